/**
 * The EventLog contract, run against every adapter: FileEventLog in a temporary directory,
 * and JetStreamEventLog and ThreadedJetStreamEventLog (appends on a worker thread) against
 * real nats-servers started for this file. Each test opens its own store (a directory, or a
 * stream with its own subject prefix) so runIds() sees only its runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNats, testSecurity, type NatsServer } from '@metatwin/test-support';
import { EventLogClosedError, EventLogError, InvalidBatchError, SequenceError } from './errors';
import type { EventLog, LogBatch } from './event-log';
import { FileEventLog } from './file-event-log';
import { JetStreamEventLog } from './jetstream-event-log';
import { ThreadedJetStreamEventLog } from './threaded-jetstream-event-log';

interface Harness {
  readonly name: string;
  beforeAll(): Promise<void>;
  afterAll(): Promise<void>;
  /** A fresh, empty store; open() may be called on it any number of times. */
  store(): Promise<string>;
  open(store: string): Promise<EventLog>;
}

let dirs: string[] = [];
const fileHarness: Harness = {
  name: 'FileEventLog',
  async beforeAll() {},
  async afterAll() {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    dirs = [];
  },
  async store() {
    const dir = await mkdtemp(join(tmpdir(), 'metatwin-eventlog-'));
    dirs.push(dir);
    return dir;
  },
  open: (dir) => FileEventLog.open(dir),
};

/** A JetStream-backed adapter on its own nats-server; each store is a stream with its own subject prefix. */
function natsHarness(name: string, tag: string, connect: (servers: string, stream: string, subjectPrefix: string) => Promise<EventLog>): Harness {
  let nats: NatsServer | undefined;
  let streams = 0;
  return {
    name,
    async beforeAll() {
      nats = await startNats();
    },
    async afterAll() {
      await nats?.stop();
    },
    async store() {
      streams++;
      return `${tag}${streams}`;
    },
    open: (store) => connect(nats!.url, `LOG_${store}`, `log${store}`),
  };
}

// admin: each harness makes a stream of its own, which the roles' table does not know.
const jetStreamHarness = natsHarness('JetStreamEventLog', 'C', (servers, stream, subjectPrefix) =>
  JetStreamEventLog.connect({ servers, stream, subjectPrefix, security: testSecurity('admin') }),
);
const threadedHarness = natsHarness('ThreadedJetStreamEventLog', 'T', (servers, stream, subjectPrefix) =>
  ThreadedJetStreamEventLog.connect({ servers, stream, subjectPrefix, security: testSecurity('admin') }),
);

/** `count` records for (run, source) starting at `first`. */
function batch(runId: string, source: string, first: number, count: number): LogBatch {
  const records = Array.from({ length: count }, (_, i) => ({ seq: first + i, gate_V: 2.5 + (first + i) * 1e-3 }));
  return { runId, source, firstSeq: first, lastSeq: first + count - 1, records };
}

async function collect(log: EventLog, runId: string, source?: string): Promise<LogBatch[]> {
  const out: LogBatch[] = [];
  for await (const b of log.read(runId, source === undefined ? {} : { source })) out.push(b);
  return out;
}

const spans = (batches: LogBatch[]) => batches.map((b) => `${b.source}:${b.firstSeq}-${b.lastSeq}`);

describe.each([fileHarness, jetStreamHarness, threadedHarness])('EventLog contract: $name', (harness) => {
  let log: EventLog;
  let store: string;

  beforeAll(() => harness.beforeAll());
  afterAll(() => harness.afterAll());
  beforeEach(async () => {
    store = await harness.store();
    log = await harness.open(store);
  });
  afterEach(() => log.close());

  it('reads batches back in append order with their records intact', async () => {
    const written = [batch('run1', 'edges', 1, 3), batch('run1', 'edges', 4, 2), batch('run1', 'edges', 6, 1)];
    for (const b of written) await log.append(b);
    expect(await collect(log, 'run1')).toEqual(written);
  });

  it('stores a re-sent batch once, whether it was the last one or an older one', async () => {
    await log.append(batch('run1', 'edges', 1, 5));
    await log.append(batch('run1', 'edges', 1, 5));
    await log.append(batch('run1', 'edges', 6, 5));
    await log.append(batch('run1', 'edges', 1, 5));
    await log.append(batch('run1', 'edges', 6, 5));
    expect(spans(await collect(log, 'run1'))).toEqual(['edges:1-5', 'edges:6-10']);
  });

  it('rejects gaps and overlaps with a SequenceError naming the expected firstSeq', async () => {
    await expect(log.append(batch('run1', 'edges', 2, 3))).rejects.toThrow(SequenceError);
    await log.append(batch('run1', 'edges', 1, 10));
    const gap = log.append(batch('run1', 'edges', 12, 3));
    await expect(gap).rejects.toBeInstanceOf(EventLogError);
    await expect(gap).rejects.toThrow(/gap — expected firstSeq 11, got 12/);
    await expect(log.append(batch('run1', 'edges', 5, 10))).rejects.toThrow(/overlap/);
    await expect(log.append(batch('run1', 'edges', 1, 3))).rejects.toThrow(/ends at 10, not 3/);
    await log.append(batch('run1', 'edges', 11, 1));
    expect(spans(await collect(log, 'run1'))).toEqual(['edges:1-10', 'edges:11-11']);
  });

  it('rejects malformed batches before storing anything', async () => {
    await expect(log.append(batch('run.1', 'edges', 1, 1))).rejects.toThrow(InvalidBatchError);
    await expect(log.append(batch('run1', 'edges>', 1, 1))).rejects.toThrow(/source: must match/);
    await expect(log.append({ ...batch('run1', 'edges', 1, 3), lastSeq: 4 })).rejects.toThrow(/3 records for sequence numbers 1..4/);
    await expect(log.append(batch('run1', 'edges', 0, 1))).rejects.toThrow(/firstSeq must be an integer ≥ 1/);
    await expect(collect(log, 'no run')).rejects.toThrow(/runId: must match/);
    expect(await log.runIds()).toEqual([]);
  });

  it('reports the last sequence per (run, source), 0 when there is none', async () => {
    expect(await log.lastSequence('run1', 'edges')).toBe(0);
    await log.append(batch('run1', 'edges', 1, 7));
    await log.append(batch('run1', 'clamp', 1, 2));
    await log.append(batch('run1', 'edges', 8, 3));
    expect(await log.lastSequence('run1', 'edges')).toBe(10);
    expect(await log.lastSequence('run1', 'clamp')).toBe(2);
    expect(await log.lastSequence('run2', 'edges')).toBe(0);
  });

  it('lists runs with a batch, oldest first', async () => {
    await log.append(batch('zeta', 'edges', 1, 1));
    await log.append(batch('alpha', 'edges', 1, 1));
    await expect(log.append(batch('never', 'edges', 3, 1))).rejects.toThrow(SequenceError);
    await log.append(batch('zeta', 'edges', 2, 1));
    await log.append(batch('mid', 'clamp', 1, 1));
    expect(await log.runIds()).toEqual(['zeta', 'alpha', 'mid']);
  });

  it('keeps sources interleaved in append order and filters by source', async () => {
    const order = [
      batch('run1', 'edges', 1, 2),
      batch('run1', 'clamp', 1, 1),
      batch('run1', 'edges', 3, 2),
      batch('run2', 'edges', 1, 1),
      batch('run1', 'adc', 1, 4),
      batch('run1', 'clamp', 2, 1),
    ];
    for (const b of order) await log.append(b);
    expect(spans(await collect(log, 'run1'))).toEqual(['edges:1-2', 'clamp:1-1', 'edges:3-4', 'adc:1-4', 'clamp:2-2']);
    expect(spans(await collect(log, 'run1', 'clamp'))).toEqual(['clamp:1-1', 'clamp:2-2']);
    expect(spans(await collect(log, 'run2'))).toEqual(['edges:1-1']);
    expect(await collect(log, 'run3')).toEqual([]);
    expect(await collect(log, 'run1', 'nothing')).toEqual([]);
  });

  it('stores appends issued without awaiting in call order', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(batch('run1', i % 2 ? 'odd' : 'even', Math.floor(i / 2) * 3 + 1, 3))));
    const read = await collect(log, 'run1');
    expect(read).toHaveLength(20);
    expect(spans(read).slice(0, 4)).toEqual(['even:1-3', 'odd:1-3', 'even:4-6', 'odd:4-6']);
  });

  it('a new instance on the same store reads what was written and continues from it', async () => {
    await log.append(batch('run1', 'edges', 1, 4));
    await log.append(batch('run1', 'clamp', 1, 1));
    await log.append(batch('run2', 'edges', 1, 2));
    await log.close();
    log = await harness.open(store);
    expect(await log.runIds()).toEqual(['run1', 'run2']);
    expect(await log.lastSequence('run1', 'edges')).toBe(4);
    expect(spans(await collect(log, 'run1'))).toEqual(['edges:1-4', 'clamp:1-1']);
    await log.append(batch('run1', 'edges', 1, 4));
    await expect(log.append(batch('run1', 'edges', 6, 1))).rejects.toThrow(SequenceError);
    await log.append(batch('run1', 'edges', 5, 2));
    expect(spans(await collect(log, 'run1', 'edges'))).toEqual(['edges:1-4', 'edges:5-6']);
  });

  it('keeps one catalogue entry per run, replaced whole, and a footprint that changes with what is stored', async () => {
    await log.append(batch('run1', 'edges', 1, 3));
    await log.append(batch('run1', 'clamp', 1, 2));
    await log.append(batch('run2', 'edges', 1, 1));
    const entry = { run: 'run1', experiment: 'xor', mode: 'embedded', status: 'running', steps: 0, learningTime_s: 0, updated_ms: 1 };
    await log.putEntry(entry);
    await log.putEntry({ ...entry, status: 'finished', steps: 3, updated_ms: 2 });
    expect(await log.entries()).toEqual([{ ...entry, status: 'finished', steps: 3, updated_ms: 2 }]);
    const before = await log.footprints();
    expect([...before.keys()].sort()).toEqual(['run1', 'run2']);
    expect((await log.footprints(['run1'])).get('run1')).toEqual(before.get('run1'));
    await log.append(batch('run1', 'edges', 4, 1));
    expect((await log.footprints(['run1'])).get('run1')).not.toEqual(before.get('run1'));
    expect((await log.footprints(['run2'])).get('run2')).toEqual(before.get('run2'));
  });

  it('deletes a run, its batches and its entry, and keeps the others', async () => {
    for (const run of ['run1', 'run2']) {
      await log.append(batch(run, 'edges', 1, 2));
      await log.putEntry({ run, experiment: 'xor', mode: 'embedded', status: 'finished', steps: 2, learningTime_s: 0, updated_ms: 1 });
    }
    await log.deleteRun('run1');
    expect(await log.runIds()).toEqual(['run2']);
    expect((await log.entries()).map((e) => e.run)).toEqual(['run2']);
    expect(await collect(log, 'run1')).toEqual([]);
    expect(spans(await collect(log, 'run2'))).toEqual(['edges:1-2']);
    const reopened = await harness.open(store);
    expect(await reopened.runIds()).toEqual(['run2']);
    await reopened.close();
  });

  it('refuses use after close', async () => {
    await log.close();
    await log.close();
    await expect(log.append(batch('run1', 'edges', 1, 1))).rejects.toThrow(EventLogClosedError);
    await expect(log.runIds()).rejects.toThrow(EventLogClosedError);
    log = await harness.open(store);
  });
});
