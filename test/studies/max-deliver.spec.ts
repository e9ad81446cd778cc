/**
 * A job no worker ever finishes: every delivery's worker takes it and dies without an ack (here
 * a bare JetStream client that pulls and never answers, which is what a worker killed with
 * SIGKILL leaves behind). After MaxDeliver deliveries JetStream advises it; the submitting
 * `study run` turns it into a 'failed' row naming why, publishes a dead letter with the reason,
 * and ends. Running the study again re-queues the failed job, and a real worker finishes it.
 */
import { connect, type NatsConnection } from 'nats';
import { killClis, startCli, startNats, type NatsServer } from '@metatwin/test-support';
import { JOBS_STREAM, MAX_DELIVER, WORKERS_CONSUMER, deadSubject } from '@metatwin/study-runner';
import { resultLines, studyId, tempDir } from './fixture';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

let nats: NatsServer;
let nc: NatsConnection;
beforeAll(async () => {
  nats = await startNats();
  // The cli role: it pulls from the workers' consumer like a worker and sees the study's dead letters.
  nc = await connect({ servers: nats.url, ...nats.connectOptions('cli') });
});
afterAll(async () => {
  killClis();
  await nc?.close();
  await nats?.stop();
});

// AckWait is three heartbeats: 300 ms heartbeats give up on a silent delivery after 0.9 s.
const env = (dir: string): NodeJS.ProcessEnv => ({ METATWIN_STUDIES_DIR: dir, METATWIN_STUDY_HEARTBEAT_MS: '300' });

const waitFor = async (what: string, ready: () => boolean, timeoutMs = 60_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('a job whose every worker dies', () => {
  it(`is given up after ${MAX_DELIVER} deliveries: a failed row naming why and a dead letter; run again, it runs`, async () => {
    const dir = tempDir('metatwin-study-maxdeliver-');
    const file = join(dir, 'study.yaml');
    writeFileSync(file, 'name: doomed\nbase: { preset: xor, schedule: { steps: 400, testEvery: 100 } }\naxes: { seed: 7 }\n');
    const run = startCli(['study', 'run', file, '--nats', nats.url], env(dir));
    await waitFor('the job to be queued', () => /distributed: 0 done before, 1 queued/.test(run.output()));
    const id = studyId(run.output());
    const deadLetters: Array<{ job: string; reason: string }> = [];
    const dead = nc.subscribe(deadSubject(id));
    void (async () => {
      for await (const m of dead) deadLetters.push(m.json());
    })();

    // The "workers": each pull takes the job and never acks, heartbeats or naks.
    const consumer = await nc.jetstream().consumers.get(JOBS_STREAM, WORKERS_CONSUMER);
    const deliveries: number[] = [];
    for (let i = 0; i < MAX_DELIVER; i++) {
      const m = await consumer.next({ expires: 10_000 });
      expect(m).not.toBeNull();
      deliveries.push(m?.info.redeliveryCount ?? -1);
    }
    expect(deliveries).toEqual([1, 2, 3]);
    // Given up: no fourth delivery.
    expect(await consumer.next({ expires: 2_000 })).toBeNull();

    const ended = await run.within(60_000);
    expect(ended.code).toBe(1);
    expect(ended.out).toContain('(0 done, 1 failed)');
    const rows = resultLines(dir, id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'failed', worker: 'nobody', seed: 7 });
    expect(rows[0].error).toBe(`delivered ${MAX_DELIVER} times and never acknowledged: each worker that took it died or hung`);
    await waitFor('the dead letter', () => deadLetters.length > 0, 10_000);
    expect(deadLetters).toEqual([{ job: rows[0].job, params: expect.anything(), reason: rows[0].error }]);
    // The given-up job left the work queue.
    const info = await (await nc.jetstreamManager()).streams.info(JOBS_STREAM);
    expect(info.state.messages).toBe(0);

    // Run again with a worker that lives: the failed job is queued again and done.
    const worker = startCli(['worker', '--nats', nats.url, '--name', 'alive'], env(dir));
    const again = await startCli(['study', 'run', file, '--nats', nats.url], env(dir)).within(120_000);
    worker.child.kill('SIGTERM');
    await worker.within(30_000);
    expect(again.code).toBe(0);
    expect(again.out).toContain('distributed: 0 done before, 1 queued');
    const status = await startCli(['study', 'status', id, '--nats', nats.url, '--json'], env(dir)).within(30_000);
    expect(JSON.parse(status.out)).toMatchObject({ jobs: 1, done: 1, failed: 0 });
    dead.unsubscribe();
  });
});
