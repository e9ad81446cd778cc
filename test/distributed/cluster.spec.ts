/**
 * The event log at 3 replicas on a 3-node nats-server cluster (started here on loopback), the
 * four services and the CLI connected to all three: a node holding a follower replica of the
 * log's stream is killed mid-run (and brought back), then the node leading it. Each time the
 * run completes with the outputs and gates of an unfaulted run on the same cluster, and the log
 * holds every step exactly once with contiguous sequence numbers.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SOURCES, fromRecord } from '@metatwin/contracts';
import { JetStreamEventLog } from '@metatwin/eventlog';
import type { RunResult } from '@metatwin/experiments';
import { killClis, startCli, startNatsCluster, startServices, stopServices, type NatsCluster, type ServiceProcess } from '@metatwin/test-support';
import { followSteps } from './follow-steps';

const STEPS = 3000;
const LOG_STREAM = 'METATWIN_LOG';
const R3 = { METATWIN_NATS_REPLICAS: '3' };

let cluster: NatsCluster;
let services: ServiceProcess[] = [];
beforeAll(async () => {
  cluster = await startNatsCluster(3);
  services = await startServices({ natsUrl: cluster.url, extra: { supervisor: R3, 'edge-physics': R3, clamping: R3, measurement: R3 } });
}, 180_000);
afterAll(async () => {
  killClis();
  await stopServices(services);
  await cluster?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function run(dir: string): { output: () => string; result: Promise<RunResult & { run: string }> } {
  const cli = startCli(['run', 'xor', '--steps', String(STEPS), '--bus', cluster.url, '--out', dir, '--no-report'], R3);
  const result = cli.within(240_000).then((r) => {
    if (r.code !== 0) throw new Error(`run exited ${r.code}:\n${r.out}`);
    return JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as RunResult & { run: string };
  });
  return { output: cli.output, result };
}

let reference: (RunResult & { run: string }) | undefined;

/** Kill the stream's leader or one of its followers at step 1300 of a run; the run and its log must come out whole. */
async function killMidRun(which: 'leader' | 'follower'): Promise<string> {
  reference ??= await run(mkdtempSync(join(tmpdir(), 'mt-cluster-ref-'))).result;
  const progress = await followSteps(cluster.url);
  const dir = mkdtempSync(join(tmpdir(), 'mt-cluster-'));
  const faulted = run(dir);
  const diagnose = (): string => `--- run\n${faulted.output()}\n${services.map((svc) => `--- ${svc.name}\n${svc.output.slice(-3000)}`).join('\n')}`;
  while (progress.lastStep < 1300) await sleep(20);
  const leader = await cluster.streamLeader(LOG_STREAM);
  const victim = which === 'leader' ? leader : (cluster.servers.find((n) => n.running && n.name !== leader)?.name ?? '');
  const killedAt = Date.now();
  cluster.serverByName(victim).kill();
  const next = await cluster.streamLeader(LOG_STREAM, { timeoutMs: 60_000 });
  const elected_ms = Date.now() - killedAt;
  const stepAtKill = progress.lastStep;
  while (progress.lastStep === stepAtKill && Date.now() < killedAt + 60_000) await sleep(20);
  if (progress.lastStep === stepAtKill) throw new Error(`no step stored within 60 s of the kill:\n${diagnose()}`);
  process.stdout.write(
    `event log, ${which} lost: ${victim} killed at step ${stepAtKill}, ${next} leads ${LOG_STREAM} after ${elected_ms} ms; the next step stored after ${Date.now() - killedAt} ms\n`,
  );
  if (which === 'leader') expect(next).not.toBe(leader);
  else expect(next).toBe(leader);
  const result = await faulted.result.catch((err: Error) => {
    throw new Error(`${err.message}\n${diagnose()}`);
  });
  await progress.stop();
  expect(result.final.gates_V).toEqual(reference.final.gates_V);
  expect(result.log.map((e) => e.outputs)).toEqual(reference.log.map((e) => e.outputs));

  // The log, read from the nodes left: every step's GatesEvolved once, sequences contiguous.
  const log = await JetStreamEventLog.connect({ servers: cluster.url, security: cluster.security('observer') });
  try {
    const steps: number[] = [];
    for (const source of SOURCES) {
      let expected = 1;
      for await (const batch of log.read(result.run, { source })) {
        expect(batch.firstSeq).toBe(expected);
        expected = batch.lastSeq + 1;
        if (source !== 'edge-physics') continue;
        for (const r of batch.records) {
          const s = fromRecord(r, result.run, source);
          if (s.type === 'GatesEvolved') steps.push(s.data.step);
        }
      }
    }
    expect(steps).toEqual(Array.from({ length: STEPS }, (_, k) => k));
    // The run catalogue (a KV bucket at 3 replicas) still lists both runs.
    const runs = (await log.entries()).map((e) => e.run);
    expect(runs).toEqual(expect.arrayContaining([reference.run, result.run]));
  } finally {
    await log.close();
  }
  return victim;
}

it('loses nothing when a node holding a follower replica of the log is killed mid-run: the run completes identical', async () => {
  const victim = await killMidRun('follower');
  // Back, so that the next test's cluster has its three nodes.
  await cluster.serverByName(victim).start();
}, 600_000);

it("loses nothing when the log stream's leader is killed mid-run: the run completes identical", async () => {
  await killMidRun('leader');
}, 600_000);
