/**
 * Log followers on a 3-node cluster, the log at 3 replicas: the node leading the stream is
 * killed while three followers (connected to the whole cluster, each wherever nats.js put it)
 * read one run's batches. Every follower gets every batch once, in order — whether its
 * connection was on the lost node (it reconnects) or its consumer was (it is made again from
 * the next sequence after missed heartbeats).
 */
import { JetStreamEventLog, type LogBatch } from '@metatwin/eventlog';
import { startNatsCluster, type NatsCluster } from '@metatwin/test-support';

const BATCHES = 20;
let cluster: NatsCluster;
beforeAll(async () => {
  cluster = await startNatsCluster(3);
}, 120_000);
afterAll(async () => cluster?.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const batch = (seq: number): LogBatch => ({ runId: 'failover', source: 'measurement', firstSeq: seq, lastSeq: seq, records: [[0, seq, 0, { seq }]] }) as unknown as LogBatch;

it("every follower gets every batch once when the log's leader is killed", async () => {
  const writer = await JetStreamEventLog.connect({ servers: cluster.url, limits: { replicas: 3 }, reconnectForever: true, security: cluster.security('measurement') });
  await writer.append(batch(1));
  const readers = await Promise.all([0, 1, 2].map(() => JetStreamEventLog.connect({ servers: cluster.url, reconnectForever: true, security: cluster.security('observer') })));
  const got: number[][] = readers.map(() => []);
  const follows = await Promise.all(
    readers.map(async (reader, k) => {
      const f = await reader.follow({ fromStreamSeq: 1, runId: 'failover', source: 'measurement' });
      void (async () => {
        for await (const b of f.batches) got[k].push(b.firstSeq);
      })();
      return f;
    }),
  );
  try {
    const leader = await cluster.streamLeader('METATWIN_LOG');
    cluster.serverByName(leader).kill();
    // The writer retries a batch until stored, as the log bus does.
    for (let seq = 2; seq <= BATCHES; seq++) {
      for (;;) {
        try {
          await writer.append(batch(seq));
          break;
        } catch {
          await sleep(250);
        }
      }
      await sleep(200);
    }
    const deadline = Date.now() + 30_000;
    while (got.some((g) => g.length < BATCHES) && Date.now() < deadline) await sleep(100);
    const all = Array.from({ length: BATCHES }, (_, i) => i + 1);
    expect(got).toEqual([all, all, all]);
  } finally {
    for (const f of follows) await f.stop().catch(() => undefined);
    for (const r of readers) await r.close().catch(() => undefined);
    await writer.close();
  }
}, 120_000);
