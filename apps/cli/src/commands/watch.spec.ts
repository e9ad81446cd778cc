/**
 * `metatwin watch` on the logs of real embedded runs (file event logs, no mocks): the lines
 * carry exactly the test steps RunAssembler makes of the finished log, however unevenly the
 * services' records arrive while following.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTRACT_VERSION, fromRecord, type Signal, type Source } from '@metatwin/contracts';
import { FileEventLog, type LogBatch } from '@metatwin/eventlog';
import { planFromInput, presetInput, type Experiment, type LogEntry } from '@metatwin/experiments';
import { LogRecorder, RunAssembler, runEmbedded } from '@metatwin/services';
import { main } from '../main';
import { captureMain } from '../testing/capture-main';
import { RunWatcher, testLine } from './watch';

const RUN = 'watch-xor';
const STEPS = 2000;

function xor(steps: number): Experiment {
  const plan = planFromInput(presetInput('xor'), { steps }, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  return plan.experiment;
}

const cli = captureMain;

async function readBatches(dir: string): Promise<LogBatch[]> {
  const log = await FileEventLog.open(dir);
  const batches: LogBatch[] = [];
  for await (const b of log.read(RUN)) batches.push(b);
  await log.close();
  return batches;
}

async function appendAll(dir: string, batches: ReadonlyArray<LogBatch>): Promise<void> {
  const log = await FileEventLog.open(dir);
  for (const b of batches) await log.append(b);
  await log.close();
}

/** Record `signals` as a run's log would hold them (batches per source, many of them). */
async function writeSignals(dir: string, signals: ReadonlyArray<Signal>): Promise<void> {
  const log = await FileEventLog.open(dir);
  const recorder = new LogRecorder(log, null, 300);
  for (const s of signals) recorder.record(s);
  await recorder.flush();
  await log.close();
}

/** A line without its step rate, which depends on the wall clock. */
const withoutRate = (line: string): string => line.replace(/ \S+ steps\/s$/, '');

/** A small deterministic generator (the interleavings must be reproducible). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Batches in an order that keeps each source's own order but lets sources run far ahead of or behind each other. */
function interleave(batches: ReadonlyArray<LogBatch>, random: () => number): LogBatch[] {
  const queues = new Map<string, LogBatch[]>();
  for (const b of batches) queues.set(b.source, [...(queues.get(b.source) ?? []), b]);
  const out: LogBatch[] = [];
  for (let left = [...queues.values()].filter((q) => q.length); left.length; left = left.filter((q) => q.length)) {
    out.push(left[Math.floor(random() * left.length)].shift() as LogBatch);
  }
  return out;
}

describe('metatwin watch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metatwin-watch-'));
  let live: { log: LogEntry[] };
  let emitted: Signal[] = [];
  let batches: LogBatch[] = [];

  beforeAll(async () => {
    const log = await FileEventLog.open(dir);
    const recorder = new LogRecorder(log, null, 300);
    emitted = [];
    live = await runEmbedded(xor(STEPS), {
      runId: RUN,
      window: 200,
      recorder: { record: (s) => (emitted.push(s), recorder.record(s)), flush: () => recorder.flush() },
    });
    await recorder.flush();
    await log.close();
    batches = await readBatches(dir);
  }, 60_000);

  it('--once after the run prints every test step of the assembled result, then the end (exit 0)', async () => {
    expect(live.log.length).toBe(12); // tests at 0, 1, 2, 5, …, 1000, 2000
    const r = await cli(['watch', RUN, '--log', dir, '--once']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(live.log.length + 1);
    live.log.forEach((e, i) => {
      expect(lines[i]).toContain(`step ${String(e.step).padStart(7)}  MSE ${e.mse.toExponential(3)} V²`);
      for (const name of ['E00', 'E01', 'E10', 'E11']) expect(lines[i]).toContain(`${name} ${e.modes[name] >= 0 ? '+' : ''}${e.modes[name].toExponential(2)} V`);
      // History read at the first look is not a rate.
      expect(lines[i]).toBe(testLine(e, null));
      expect(lines[i]).toMatch(/ — steps\/s$/);
    });
    expect(lines[lines.length - 1]).toBe(`finished: ${STEPS} training steps, t = 0.2000 s, final MSE ${live.log[live.log.length - 1].mse.toExponential(3)} V²`);
  });

  it('folds the whole log into exactly the entries of the live run', () => {
    const w = new RunWatcher(RUN);
    for (const b of batches) w.ingest(b);
    const lines = w.advance(0);
    expect(w.entries).toEqual(live.log);
    expect(lines).toHaveLength(live.log.length + 1);
    expect(w.exitCode).toBe(0);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])('following uneven sources (interleaving %i) gives the same entries and ends with the finished line', (seed) => {
    const random = lcg(seed);
    const order = interleave(batches, random);
    const w = new RunWatcher(RUN);
    const lines: string[] = [];
    let now_s = 0;
    for (let i = 0; i < order.length;) {
      const chunk = 1 + Math.floor(random() * 6);
      // Overlapping re-reads, as polling a growing log gives: already seen records are skipped.
      for (const b of order.slice(Math.max(0, i - 3), i + chunk)) w.ingest(b);
      i += chunk;
      lines.push(...w.advance(now_s++));
      if (w.exitCode === null) expect(lines.some((l) => l.startsWith('finished'))).toBe(false);
    }
    expect(w.entries).toEqual(live.log);
    expect(lines.map(withoutRate)).toEqual([...live.log.map((e) => withoutRate(testLine(e, null))), expect.stringMatching(/^finished: 2000 training steps/)]);
    expect(w.exitCode).toBe(0);
  });

  it('the interleavings above would break a fold of records in arrival order', () => {
    // Proof the previous test can fail: folding as records arrive loses or misplaces samples.
    let broken = 0;
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
      const a = new RunAssembler();
      try {
        for (const b of interleave(batches, lcg(seed))) for (const r of b.records) a.fold(fromRecord(r, RUN, b.source as Source));
        if (JSON.stringify(a.log) !== JSON.stringify(live.log)) broken++;
      } catch {
        broken++;
      }
    }
    expect(broken).toBeGreaterThan(0);
  });

  it('measures steps per wall second from the acknowledgements it saw arrive', () => {
    const cut = Math.floor(batches.length / 2);
    const acknowledged = (bs: ReadonlyArray<LogBatch>): number => {
      let n = 0;
      for (const b of bs)
        for (const r of b.records) {
          const s = fromRecord(r, RUN, b.source as Source);
          if (s.type === 'GatesEvolved' && !s.data.failed) n = Math.max(n, s.data.step + 1);
        }
      return n;
    };
    const w = new RunWatcher(RUN);
    for (const b of batches.slice(0, cut)) w.ingest(b);
    const first = w.advance(100);
    expect(first.length).toBeGreaterThan(0);
    for (const l of first) expect(l).toMatch(/ — steps\/s$/);
    for (const b of batches) w.ingest(b);
    const second = w.advance(102);
    const rate = (acknowledged(batches) - acknowledged(batches.slice(0, cut))) / 2;
    expect(rate).toBeGreaterThan(0);
    for (const l of second.slice(0, -1)) expect(l).toMatch(new RegExp(` ${Math.round(rate).toLocaleString('en-US')} steps/s$`));
  });

  it('follows a log while it is written, then exits 0 with the finished line', async () => {
    const growing = mkdtempSync(join(tmpdir(), 'metatwin-watch-grow-'));
    const cut = Math.floor(batches.length * 0.4);
    await appendAll(growing, batches.slice(0, cut));
    let out = '';
    let err = '';
    const watching = main(
      ['watch', RUN, '--log', growing, '--every', '0.02'],
      (s) => (out += s),
      (s) => (err += s),
    );
    // Wait until the watcher has printed from the first part, then write the rest.
    for (let waited = 0; !out.includes('\n') && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    expect(out).not.toMatch(/finished/);
    const shownBefore = out.split('\n').length - 1;
    expect(shownBefore).toBeGreaterThan(0);
    expect(shownBefore).toBeLessThan(live.log.length);
    await appendAll(growing, batches.slice(cut));
    expect(await watching).toBe(0);
    expect(err).toBe('');
    const lines = out.trimEnd().split('\n');
    expect(lines.map(withoutRate)).toEqual([...live.log.map((e) => withoutRate(testLine(e, null))), expect.stringMatching(/^finished: 2000 training steps/)]);
  }, 30_000);

  it('--once on a run still going prints what is there and where it stands (exit 0)', async () => {
    const partial = mkdtempSync(join(tmpdir(), 'metatwin-watch-part-'));
    await appendAll(partial, batches.slice(0, Math.floor(batches.length * 0.4)));
    const r = await cli(['watch', RUN, '--log', partial, '--once']);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^running: \d+ of 2000 training steps acknowledged, t = [\d.]+ s, \d+ test steps shown$/);
    expect(lines.slice(0, -1)).toEqual(live.log.slice(0, lines.length - 1).map((e) => testLine(e, null)));
  });

  it('names an unknown run and the log, exit 2', async () => {
    const r = await cli(['watch', 'no-such-run', '--log', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`no run "no-such-run" in the event log ${dir}`);
    expect((await cli(['watch', '--log', dir])).code).toBe(2);
    expect((await cli(['watch', RUN, '--log', dir, '--every', '0'])).err).toMatch(/--every must be a number of seconds > 0/);
  });

  it('does not wait forever for records a crash lost', async () => {
    // Measurement recorded none of its samples of test steps 500 and 2000 (as if killed
    // before flushing; a restarted service numbers on from the log, so seq stays contiguous).
    const lost = (s: Signal): boolean => s.type === 'AdcSampled' && (s.data.step === 500 || s.data.step === 2000);
    let seq = 0;
    const kept = emitted.filter((s) => !lost(s)).map((s) => (s.meta.source === 'measurement' ? ({ ...s, meta: { ...s.meta, seq: ++seq } } as Signal) : s));
    const lossy = mkdtempSync(join(tmpdir(), 'metatwin-watch-lossy-'));
    await writeSignals(lossy, kept);
    const w = new RunWatcher(RUN, { lateRecordsGrace_s: 10 });
    for (const b of await readBatches(lossy)) w.ingest(b);
    // Step 500 is let go because measurement has recorded later samples; step 2000, the
    // last, only once the run has been over for the grace period.
    const first = w.advance(0);
    expect(first.map(withoutRate)).toEqual([
      ...live.log.filter((e) => e.step < 500).map((e) => withoutRate(testLine(e, null))),
      expect.stringMatching(/^step 500: cannot be shown, test step 500: no ADC sample/),
      withoutRate(testLine(live.log[live.log.length - 2], null)),
    ]);
    expect(w.advance(9)).toEqual([]);
    expect(w.exitCode).toBeNull();
    const last = w.advance(10);
    expect(last[0]).toMatch(/^step 2000: cannot be shown/);
    expect(last[1]).toMatch(/^finished: 2000 training steps/);
    expect(w.exitCode).toBe(0);
    // --once does not wait at all.
    const r = await cli(['watch', RUN, '--log', lossy, '--once']);
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split('\n')).toHaveLength(live.log.length + 1);
  });

  it('an aborted run ends with the aborted line, exit 1', async () => {
    // The log of a run whose training step 700 failed: everything emitted before the edge's
    // GatesEvolved of step 700, that signal marked failed, and the supervisor's RunAborted.
    const aborted = mkdtempSync(join(tmpdir(), 'metatwin-watch-abort-'));
    const at = emitted.findIndex((s) => s.type === 'GatesEvolved' && s.data.step === 700);
    const ack = emitted[at] as Signal<'GatesEvolved'>;
    const t_ns = 700 * 100_000; // step start, t_h = 100 µs
    const reason = 'training step 700: free solve diverged';
    const supervisorSeq = Math.max(
      ...emitted
        .slice(0, at)
        .filter((s) => s.meta.source === 'supervisor')
        .map((s) => s.meta.seq),
    );
    await writeSignals(aborted, [
      ...emitted.slice(0, at),
      { type: 'GatesEvolved', meta: { ...ack.meta, t_ns }, data: { step: 700, gates: ack.data.gates, failed: reason } },
      { type: 'RunAborted', meta: { v: CONTRACT_VERSION, runId: RUN, source: 'supervisor', seq: supervisorSeq + 1, t_ns }, data: { reason, step: 700 } },
    ]);
    const expected = live.log.filter((e) => e.step <= 700).map((e) => testLine(e, null));
    expect(expected).toHaveLength(10);
    for (const once of [[], ['--once']]) {
      const r = await cli(['watch', RUN, '--log', aborted, ...once]);
      expect(r.code).toBe(1);
      expect(r.out.trimEnd().split('\n')).toEqual([...expected, `aborted at step 700: ${reason}`]);
    }
  });
});
