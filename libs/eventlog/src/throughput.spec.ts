/**
 * Throughput of both adapters, printed, not asserted (the machine is shared and noisy):
 * 1,000 awaited appends of 100 small records each, then one read of the whole run. The
 * printout gives records/s and the ratios that matter when choosing an adapter.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNats, type NatsServer } from '@metatwin/test-support';
import type { EventLog, LogBatch } from './event-log';
import { FileEventLog } from './file-event-log';
import { JetStreamEventLog } from './jetstream-event-log';

const BATCHES = 1_000;
const RECORDS_PER_BATCH = 100;

interface Rates {
  append_recPerS: number;
  read_recPerS: number;
}

async function measure(log: EventLog): Promise<Rates> {
  const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ t_s: i * 1e-4, edge: i % 32, gate_V: 2.5 + i * 1e-3 }));
  const t0 = process.hrtime.bigint();
  for (let b = 0; b < BATCHES; b++) {
    const batch: LogBatch = { runId: 'bench', source: 'edges', firstSeq: b * RECORDS_PER_BATCH + 1, lastSeq: (b + 1) * RECORDS_PER_BATCH, records };
    await log.append(batch);
  }
  const t1 = process.hrtime.bigint();
  let read = 0;
  for await (const batch of log.read('bench')) read += batch.records.length;
  const t2 = process.hrtime.bigint();
  expect(read).toBe(BATCHES * RECORDS_PER_BATCH);
  const total = BATCHES * RECORDS_PER_BATCH;
  return { append_recPerS: total / (Number(t1 - t0) / 1e9), read_recPerS: total / (Number(t2 - t1) / 1e9) };
}

const fmt = (n: number) => `${Math.round(n).toLocaleString('en-US')}`;

describe('event log throughput (printed, not asserted)', () => {
  let nats: NatsServer;
  let dir: string;
  const results: Record<string, Rates> = {};

  beforeAll(async () => {
    nats = await startNats();
    dir = await mkdtemp(join(tmpdir(), 'metatwin-eventlog-bench-'));
  });
  afterAll(async () => {
    await nats.stop();
    await rm(dir, { recursive: true, force: true });
    const file = results.FileEventLog;
    const js = results.JetStreamEventLog;
    if (!file || !js) return;
    const lines = [`event log: ${BATCHES} awaited appends × ${RECORDS_PER_BATCH} records, then one read`];
    for (const [name, r] of Object.entries(results)) {
      lines.push(
        `  ${name.padEnd(18)} append ${fmt(r.append_recPerS).padStart(11)} records/s (${fmt(r.append_recPerS / RECORDS_PER_BATCH)} batches/s)   read ${fmt(r.read_recPerS).padStart(11)} records/s   read/append ${(r.read_recPerS / r.append_recPerS).toFixed(1)}×`,
      );
    }
    lines.push(`  JetStream/File: append ${(js.append_recPerS / file.append_recPerS).toFixed(2)}×, read ${(js.read_recPerS / file.read_recPerS).toFixed(2)}×`);
    console.log(lines.join('\n'));
  });

  it('FileEventLog (fsync per batch)', async () => {
    const log = await FileEventLog.open(dir);
    results.FileEventLog = await measure(log);
    await log.close();
  });

  it('JetStreamEventLog (file storage, loopback)', async () => {
    const log = await JetStreamEventLog.connect({ servers: nats.url, security: nats.security('recorder') });
    results.JetStreamEventLog = await measure(log);
    await log.close();
  });
});
