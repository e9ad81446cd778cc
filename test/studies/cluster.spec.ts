/**
 * A study on a 3-node nats-server cluster (started here on loopback) with its stream and
 * results bucket at 3 replicas: the node leading the jobs stream is killed mid-study; the
 * study completes with no job lost and none counted twice. The failover time is printed.
 */
import { killClis, startCli, startNatsCluster, type NatsCluster } from '@metatwin/test-support';
import { JOBS_STREAM } from '@metatwin/study-runner';
import { resultLines, smallStudy, studyId, tempDir } from './fixture';

let cluster: NatsCluster;
beforeAll(async () => {
  cluster = await startNatsCluster(3);
}, 120_000);
afterAll(async () => {
  killClis();
  await cluster?.stop();
});

it('completes a study when the jobs stream leader is killed mid-study: every job once', async () => {
  const dir = tempDir('metatwin-study-cluster-');
  const file = smallStudy(dir, 20_000, 'description: cluster');
  const env = { METATWIN_STUDIES_DIR: dir, METATWIN_NATS_REPLICAS: '3', METATWIN_STUDY_HEARTBEAT_MS: '1000' };
  const workers = [startCli(['worker', '--nats', cluster.url, '--name', 'c1'], env), startCli(['worker', '--nats', cluster.url, '--name', 'c2'], env)];
  const run = startCli(['study', 'run', file, '--nats', cluster.url], env);
  const rowsPrinted = (): number => (run.output().match(/ done$/gm) ?? []).length;
  const deadline = Date.now() + 120_000;
  while (rowsPrinted() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (rowsPrinted() < 2) throw new Error(`no rows within 120 s:\n--- study run\n${run.output()}\n${workers.map((w) => `--- worker\n${w.output()}`).join('\n')}`);
  const leader = await cluster.streamLeader(JOBS_STREAM);
  const before = rowsPrinted();
  const killedAt = Date.now();
  cluster.serverByName(leader).kill();
  const next = await cluster.streamLeader(JOBS_STREAM, { timeoutMs: 60_000 });
  const elected_ms = Date.now() - killedAt;
  while (rowsPrinted() === before && Date.now() < killedAt + 120_000) await new Promise((r) => setTimeout(r, 50));
  const nextRow_ms = Date.now() - killedAt;
  process.stdout.write(`cluster failover: ${leader} killed, ${next} leads ${JOBS_STREAM} after ${elected_ms} ms; next row stored after ${nextRow_ms} ms\n`);
  expect(next).not.toBe(leader);
  const done = await run.within(300_000);
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.within(60_000)));
  expect(done.code).toBe(0);
  const rows = resultLines(dir, studyId(done.out));
  expect(rows).toHaveLength(12);
  expect(new Set(rows.map((r) => r.job)).size).toBe(12);
  expect(rows.every((r) => r.status === 'done')).toBe(true);
});
