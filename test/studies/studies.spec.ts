/**
 * `metatwin study run`, embedded and distributed (issue 13), on real nats-server processes on
 * loopback: the same results table either way; a worker killed mid-job loses nothing and
 * counts nothing twice; a finished study run again runs nothing, an interrupted one only what
 * is missing; and a bad study file is refused before any job is queued.
 */
import { connect } from 'nats';
import { killClis, startCli, startNats, type NatsServer } from '@metatwin/test-support';
import { JOBS_STREAM } from '@metatwin/study-runner';
import { comparable, resultLines, smallStudy, studyId, tempDir } from './fixture';

let nats: NatsServer;
beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  killClis();
  await nats?.stop();
});

const FAST_HEARTBEAT = { METATWIN_STUDY_HEARTBEAT_MS: '500' };

describe('a study of 2 sizes × 2 topologies × 3 seeds', () => {
  const dir = tempDir('metatwin-study-');
  const file = smallStudy(dir, 600);
  const embeddedDir = `${dir}/embedded`;
  const distributedDir = `${dir}/distributed`;
  let id = '';

  it('runs embedded on a pool of threads, and again runs nothing', async () => {
    const first = await startCli(['study', 'run', file, '--workers', '2'], { METATWIN_STUDIES_DIR: embeddedDir }).within(240_000);
    expect(first.code).toBe(0);
    id = studyId(first.out);
    expect(first.out).toContain('embedded: 0 done before, 12 to run on 2 threads');
    expect(first.out).toMatch(/\(12 done, 0 failed\)/);
    const again = await startCli(['study', 'run', file], { METATWIN_STUDIES_DIR: embeddedDir }).within(60_000);
    expect(again.code).toBe(0);
    expect(again.out).toContain('embedded: 12 done before, 0 to run');
    expect(resultLines(embeddedDir, id)).toHaveLength(12);
  });

  it('runs distributed on two workers and gives the same table, but for who ran it and how long', async () => {
    const env = { METATWIN_STUDIES_DIR: distributedDir, ...FAST_HEARTBEAT };
    const workers = [startCli(['worker', '--nats', nats.url, '--name', 'w1'], env), startCli(['worker', '--nats', nats.url, '--name', 'w2'], env)];
    const run = await startCli(['study', 'run', file, '--nats', nats.url], env).within(240_000);
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.within(30_000)));
    expect(run.code).toBe(0);
    expect(studyId(run.out)).toBe(id);
    const distributed = resultLines(distributedDir, id);
    const embedded = resultLines(embeddedDir, id);
    expect(distributed.map(comparable)).toEqual(embedded.map(comparable));
    // Both workers took jobs.
    expect(new Set(distributed.map((r) => r.worker))).toEqual(new Set(['w1', 'w2']));
    const again = await startCli(['study', 'run', file, '--nats', nats.url], env).within(60_000);
    expect(again.code).toBe(0);
    expect(again.out).toContain('distributed: 12 done before, 0 queued');
    const status = await startCli(['study', 'status', id, '--nats', nats.url, '--json'], env).within(30_000);
    expect(JSON.parse(status.out)).toMatchObject({ study: id, jobs: 12, done: 12, failed: 0, queued: 0 });
  });
});

describe('a worker killed with SIGKILL mid-job', () => {
  it('has its job delivered again; the study completes with each job exactly once', async () => {
    const dir = tempDir('metatwin-study-kill-');
    const file = smallStudy(dir, 30_000, 'description: kill');
    const env = { METATWIN_STUDIES_DIR: dir, ...FAST_HEARTBEAT };
    const doomed = startCli(['worker', '--nats', nats.url, '--name', 'doomed'], env);
    const run = startCli(['study', 'run', file, '--nats', nats.url], env);
    // Once the doomed worker has finished a job it is in the middle of its next one.
    const deadline = Date.now() + 120_000;
    while (!/ done /.test(doomed.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(doomed.output()).toMatch(/ done /);
    doomed.child.kill('SIGKILL');
    const survivor = startCli(['worker', '--nats', nats.url, '--name', 'survivor'], env);
    const done = await run.within(240_000);
    survivor.child.kill('SIGTERM');
    await survivor.within(30_000);
    expect(done.code).toBe(0);
    const rows = resultLines(dir, studyId(done.out));
    expect(rows).toHaveLength(12);
    expect(new Set(rows.map((r) => r.job)).size).toBe(12);
    expect(rows.every((r) => r.status === 'done')).toBe(true);
    // The doomed worker's job in flight was finished by the survivor.
    expect(rows.filter((r) => r.worker === 'doomed').length).toBeGreaterThanOrEqual(1);
    expect(rows.filter((r) => r.worker === 'survivor').length).toBeGreaterThanOrEqual(1);
  });
});

describe('study cancel', () => {
  it('purges the queued jobs; the waiting study run ends, and status says cancelled', async () => {
    const dir = tempDir('metatwin-study-cancel-');
    const file = smallStudy(dir, 700, 'description: cancel'); // jobs no other test ran
    const env = { METATWIN_STUDIES_DIR: dir };
    // No worker: every job stays queued.
    const run = startCli(['study', 'run', file, '--nats', nats.url], env);
    const deadline = Date.now() + 60_000;
    while (!/distributed: 0 done before, 12 queued/.test(run.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const id = studyId(run.output());
    const cancelled = await startCli(['study', 'cancel', id, '--nats', nats.url], env).within(60_000);
    expect(cancelled.out).toContain(`${id}: cancelled, 12 queued jobs removed`);
    const ended = await run.within(60_000);
    expect(ended.code).toBe(1);
    expect(ended.out).toContain('cancelled: metatwin study cancel');
    const status = await startCli(['study', 'status', id, '--nats', nats.url, '--json'], env).within(30_000);
    expect(JSON.parse(status.out)).toMatchObject({ done: 0, queued: 0, cancelled: 'metatwin study cancel' });
  });
});

describe('an interrupted embedded study', () => {
  it('runs only what is missing when run again', async () => {
    const dir = tempDir('metatwin-study-resume-');
    const file = smallStudy(dir, 6000, 'description: resume');
    const env = { METATWIN_STUDIES_DIR: dir };
    const first = startCli(['study', 'run', file, '--workers', '1'], env);
    const deadline = Date.now() + 120_000;
    while ((first.output().match(/ done$/gm) ?? []).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    first.child.kill('SIGKILL');
    await first.done;
    const id = studyId(first.output());
    const kept = resultLines(dir, id).length;
    expect(kept).toBeGreaterThanOrEqual(3);
    expect(kept).toBeLessThan(12);
    const second = await startCli(['study', 'run', file, '--workers', '2'], env).within(240_000);
    expect(second.code).toBe(0);
    expect(second.out).toContain(`embedded: ${kept} done before, ${12 - kept} to run`);
    const rows = resultLines(dir, id);
    expect(rows).toHaveLength(12);
    expect(new Set(rows.map((r) => r.job)).size).toBe(12);
  });
});

describe('a bad study', () => {
  it.each([
    ['a malformed file', 'name: bad\naxes: { size: [4, }', /study\.yaml: .*must be valid YAML/],
    ['an unknown field', 'name: bad\naxes: { seed: 1 }\ncolour: red', /study\.yaml: \.colour: is not a known field/],
    [
      'an axis value that makes an invalid experiment',
      'name: bad\nbase: { preset: xor }\naxes: { seed: "1, 2", clamp.eta: "0.5, 1.5" }',
      /point \{seed: 1, clamp\.eta: 1\.5\}: clamp\.eta: must be in \(0, 1\], got 1\.5/,
    ],
  ])('%s is refused before any job is queued, naming the field', async (_what, text, message) => {
    const dir = tempDir('metatwin-study-bad-');
    require('node:fs').writeFileSync(`${dir}/study.yaml`, text);
    const r = await startCli(['study', 'run', `${dir}/study.yaml`, '--nats', nats.url], { METATWIN_STUDIES_DIR: dir }).within(60_000);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(message);
    const nc = await connect({ servers: nats.url, ...nats.connectOptions('observer') });
    try {
      const jsm = await nc.jetstreamManager();
      const info = await jsm.streams.info(JOBS_STREAM).catch(() => null);
      // Jobs of earlier tests were all acknowledged: nothing is waiting.
      expect(info?.state.messages ?? 0).toBe(0);
    } finally {
      await nc.close();
    }
  });
});
