/**
 * `metatwin watch <run>`: follow a run in the terminal, one line per completed test step.
 *
 * The event log can only be read from a run's beginning, so following is polling: every
 * --every seconds the whole run is read again and only records newer than the last
 * sequence number seen per source are taken. The analysis is RunAssembler's (the fold that
 * makes result.json); this file only decides which signals may be folded yet.
 *
 * Why not fold whatever has arrived: each service records its own signals and flushes on
 * its own, so the log can hold measurement's AdcSampled of a test before the supervisor's
 * TestStepStarted of it (the assembler would drop the samples), or the supervisor's
 * TestStepFinished before the samples (the assembler would throw). readRunSignals avoids
 * this by sorting a *complete* log by (simulated time, causal rank). The watcher does the
 * same on a prefix that is known to be complete: up to the TestStepFinished of the latest
 * test step whose samples (measurement) and settled nodes (edge-physics) have all been
 * read. Every assembler-relevant signal at or before that point has then been read — later
 * arrivals all sort after it — so the entries equal those of a fold of the finished log.
 */
import { parseArgs } from 'node:util';
import { fromRecord, type Signal, type SignalType, type Source } from '@metatwin/contracts';
import type { LogBatch } from '@metatwin/eventlog';
import type { Experiment, LogEntry } from '@metatwin/experiments';
import { CAUSAL_RANK, RUN_FOLD_TYPES, RunAssembler } from '@metatwin/services';
import { UsageError } from '../usage';
import { defaultLogDir, openEventLog } from './event-log';

/** The signals RunAssembler acts on, ordered at equal simulated time by readRunSignals's causal rank. */
const FOLDED: ReadonlySet<SignalType> = new Set<SignalType>(RUN_FOLD_TYPES);
const RANK: Partial<Record<SignalType, number>> = Object.fromEntries([...FOLDED].map((t) => [t, CAUSAL_RANK[t]]));

/** Trailing wall-clock span over which the step rate is measured (s). */
const RATE_WINDOW_s = 5;
/** How long, after the run's last signal, to wait for other services' records before giving up on them (s). */
export const LATE_RECORDS_GRACE_s = 10;

interface Key {
  readonly t_ns: number;
  readonly rank: number;
  readonly source: string;
  readonly seq: number;
}

const keyOf = (s: Signal): Key => ({ t_ns: s.meta.t_ns, rank: RANK[s.type] ?? 99, source: s.meta.source, seq: s.meta.seq });

/** (t, rank) as readRunSignals; within one source, its own order. Each folded type has one emitter, so source only breaks ties that cannot occur. */
function compareKeys(a: Key, b: Key): number {
  return a.t_ns - b.t_ns || a.rank - b.rank || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0) || a.seq - b.seq;
}

/** A test step the supervisor closed (read its TestStepFinished), with that signal's key. */
interface ClosedTest {
  readonly step: number;
  readonly key: Key;
}

/**
 * What another service owes the log per test step: the supervisor's requests (DemuxSelected
 * → one AdcSampled each; TestDatapointApplied → one NodesSettled each) and what was read.
 */
class Owed {
  private readonly wanted = new Map<number, Set<string>>();
  private readonly got = new Map<number, Set<string>>();

  want(step: number, key: string): void {
    setOf(this.wanted, step).add(key);
  }

  record(step: number, key: string): void {
    setOf(this.got, step).add(key);
  }

  /** Every record wanted for `step` has been read. */
  complete(step: number): boolean {
    const got = this.got.get(step);
    for (const k of this.wanted.get(step) ?? []) if (!got?.has(k)) return false;
    return true;
  }

  forget(step: number): void {
    this.wanted.delete(step);
    this.got.delete(step);
  }
}

function setOf(map: Map<number, Set<string>>, step: number): Set<string> {
  let set = map.get(step);
  if (!set) map.set(step, (set = new Set()));
  return set;
}

export interface RunWatcherOptions {
  /** After the run's last signal, how long to wait for late records from the other services (s); 0 for `--once`. */
  readonly lateRecordsGrace_s?: number;
}

/**
 * The pure core of `watch`: fed log batches (any number of times, overlapping or not) and
 * the wall time of each look, it folds what is safe into a RunAssembler and returns lines.
 */
export class RunWatcher {
  private readonly assembler = new RunAssembler();
  private readonly lastSeq = new Map<string, number>();
  /** Simulated time of each source's newest record: a source's records are in time order. */
  private readonly latest_ns = new Map<string, number>();
  private pending: Signal[] = [];
  /** AdcSampled owed by measurement, NodesSettled owed by edge-physics. */
  private readonly samples = new Owed();
  private readonly settles = new Owed();
  private readonly closed: ClosedTest[] = [];
  private experiment: Experiment | null = null;
  /** The supervisor's last word (RunFinished or RunAborted), once read. */
  private terminal: Signal<'RunFinished'> | Signal<'RunAborted'> | Signal<'RunCancelled'> | null = null;
  private terminalSeen_s: number | null = null;
  private ended: { status: 'finished' | 'aborted'; line: string } | null = null;
  /** Training steps acknowledged (GatesEvolved) in the records read, and when we looked. */
  private acknowledged = 0;
  private readonly looks: Array<{ readonly wall_s: number; readonly acknowledged: number }> = [];
  private printed = 0;
  private readonly grace_s: number;

  constructor(
    readonly runId: string,
    options: RunWatcherOptions = {},
  ) {
    this.grace_s = options.lateRecordsGrace_s ?? LATE_RECORDS_GRACE_s;
  }

  /** Take the records of `batch` not seen before (by per-source sequence number). */
  ingest(batch: LogBatch): void {
    if (batch.runId !== this.runId) return;
    const last = this.lastSeq.get(batch.source) ?? 0;
    if (batch.lastSeq <= last) return;
    if (batch.firstSeq > last + 1) throw new Error(`${this.runId}/${batch.source}: records ${last + 1}..${batch.firstSeq - 1} are missing from the log`);
    for (let i = last + 1 - batch.firstSeq; i < batch.records.length; i++) this.take(fromRecord(batch.records[i], this.runId, batch.source as Source));
    this.lastSeq.set(batch.source, batch.lastSeq);
  }

  private take(s: Signal): void {
    this.latest_ns.set(s.meta.source, Math.max(this.latest_ns.get(s.meta.source) ?? 0, s.meta.t_ns));
    switch (s.type) {
      case 'RunCreated':
        this.experiment = s.data.experiment;
        break;
      case 'GatesEvolved':
        if (!s.data.failed) this.acknowledged = Math.max(this.acknowledged, s.data.step + 1);
        break;
      case 'TestDatapointApplied':
        this.settles.want(s.data.step, `${s.data.datapoint}`);
        break;
      case 'NodesSettled':
        this.settles.record(s.data.step, `${s.data.datapoint}`);
        break;
      case 'DemuxSelected':
        this.samples.want(s.data.step, `${s.data.datapoint}:${s.data.address}`);
        break;
      case 'AdcSampled':
        this.samples.record(s.data.step, `${s.data.datapoint}:${s.data.address}`);
        break;
      case 'TestStepFinished':
        this.closed.push({ step: s.data.step, key: keyOf(s) });
        break;
      case 'RunFinished':
      case 'RunAborted':
      case 'RunCancelled':
        this.terminal ??= s;
        break;
      case 'RunResumed':
        // A cancelled run goes on: its end is still to come.
        this.terminal = null;
        this.terminalSeen_s = null;
        break;
      case 'PotentiometerSet':
      case 'PatchMapSet':
      case 'StepStarted':
      case 'DacWritten':
      case 'LearningEnabled':
      case 'FreeOutputMeasured':
      case 'ClampOutputSet':
      case 'TestStepStarted':
      case 'ServiceStarted':
      case 'PortBound':
      case 'RunFaulted':
      case 'StateSnapshot':
        break;
      default: {
        const never: never = s;
        throw new Error(`unknown signal type ${JSON.stringify((never as { type: unknown }).type)}`);
      }
    }
    if (RANK[s.type] !== undefined) this.pending.push(s);
  }

  /**
   * Fold what is safe to fold and return the new lines: one per completed test step, then a
   * last one when the run has ended. `now_s` is the wall time of this look (for the step rate).
   */
  advance(now_s: number): string[] {
    if (this.ended) return [];
    this.looks.push({ wall_s: now_s, acknowledged: this.acknowledged });
    while (this.looks.length > 2 && this.looks[1].wall_s <= now_s - RATE_WINDOW_s) this.looks.shift();
    if (this.terminal && this.terminalSeen_s === null) this.terminalSeen_s = now_s;
    const lines: string[] = [];
    let upTo: Key | null = null;
    let ready = 0;
    while (ready < this.closed.length && this.testReady(this.closed[ready], now_s)) upTo = this.closed[ready++].key;
    // After the supervisor's last word, with every closed test ready, nothing that matters can still come.
    const all = this.terminal !== null && ready === this.closed.length;
    if (all || upTo !== null) this.foldUpTo(all ? null : upTo, lines, this.rate_per_s());
    for (const t of this.closed.splice(0, ready)) {
      this.samples.forget(t.step);
      this.settles.forget(t.step);
    }
    if (all && this.terminal) {
      this.ended = { status: this.terminal.type === 'RunFinished' ? 'finished' : 'aborted', line: this.endLine(this.terminal) };
      lines.push(this.ended.line);
    }
    return lines;
  }

  /** Fold the pending signals at or before `upTo` (all when null) in readRunSignals's order. */
  private foldUpTo(upTo: Key | null, lines: string[], rate_per_s: number | null): void {
    const now: Signal[] = [];
    const later: Signal[] = [];
    for (const s of this.pending) (upTo === null || compareKeys(keyOf(s), upTo) <= 0 ? now : later).push(s);
    this.pending = later;
    now.sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
    for (const s of now) this.fold(s, lines, rate_per_s);
  }

  private endLine(end: Signal<'RunFinished'> | Signal<'RunAborted'> | Signal<'RunCancelled'>): string {
    if (end.type === 'RunAborted') return `aborted at step ${end.data.step}: ${end.data.reason}`;
    if (end.type === 'RunCancelled') return `cancelled at step ${end.data.step}: ${end.data.reason} (metatwin resume ${this.runId} goes on)`;
    const last = this.assembler.log[this.assembler.log.length - 1];
    return `finished: ${end.data.steps} training steps, t = ${(end.meta.t_ns / 1e9).toFixed(4)} s${last ? `, final MSE ${last.mse.toExponential(3)} V²` : ''}`;
  }

  /**
   * A closed test may be folded once measurement and edge-physics have recorded everything
   * the supervisor asked of them in it — or something later (their records are in time
   * order, so what is still missing was lost, e.g. to a crash), or the run ended more than
   * the grace period ago.
   */
  private testReady(t: ClosedTest, now_s: number): boolean {
    const past = (source: Source): boolean => (this.latest_ns.get(source) ?? -1) > t.key.t_ns;
    if ((this.samples.complete(t.step) || past('measurement')) && (this.settles.complete(t.step) || past('edge-physics'))) return true;
    return this.terminalSeen_s !== null && now_s - this.terminalSeen_s >= this.grace_s;
  }

  /** Fold one signal; a test step it completes becomes a line. */
  private fold(s: Signal, lines: string[], rate_per_s: number | null): void {
    try {
      this.assembler.fold(s);
    } catch (err) {
      // Only a test whose records were lost gets here: say so and carry on with the next.
      lines.push(`step ${s.type === 'TestStepFinished' ? s.data.step : '?'}: cannot be shown, ${(err as Error).message}`);
    }
    for (; this.printed < this.assembler.log.length; this.printed++) lines.push(testLine(this.assembler.log[this.printed], rate_per_s));
  }

  /** Training steps per wall second over the last few looks; null before two looks (history is not a rate). */
  private rate_per_s(): number | null {
    const first = this.looks[0];
    const last = this.looks[this.looks.length - 1];
    if (this.looks.length < 2 || last.wall_s <= first.wall_s) return null;
    return (last.acknowledged - first.acknowledged) / (last.wall_s - first.wall_s);
  }

  /** Test steps folded so far (the assembler's log entries). */
  get entries(): ReadonlyArray<LogEntry> {
    return this.assembler.log;
  }

  /** 0 finished, 1 aborted, null while the run goes on. */
  get exitCode(): 0 | 1 | null {
    return this.ended === null ? null : this.ended.status === 'finished' ? 0 : 1;
  }

  /** Where a run that has not ended stands (for `--once`). */
  statusLine(): string {
    const steps = this.experiment?.schedule.steps;
    const t_s = this.acknowledged * (this.experiment?.schedule.t_h_s ?? 0);
    return `running: ${this.acknowledged}${steps === undefined ? '' : ` of ${steps}`} training steps acknowledged, t = ${t_s.toFixed(4)} s, ${this.assembler.log.length} test steps shown`;
  }
}

const signed = (v: number): string => (v >= 0 ? '+' : '') + v.toExponential(2);

/** One test step: learning time, step, MSE, each error mode and the step rate. */
export function testLine(e: LogEntry, rate_per_s: number | null): string {
  const modes = Object.entries(e.modes)
    .map(([name, v]) => `${name} ${signed(v)} V`)
    .join('  ');
  const rate = rate_per_s === null ? '—' : Math.round(rate_per_s).toLocaleString('en-US');
  return `t ${e.t_s.toFixed(4).padStart(9)} s  step ${String(e.step).padStart(7)}  MSE ${e.mse.toExponential(3)} V²  ${modes}  ${rate} steps/s`;
}

export interface WatchIo {
  /** Wall time (s). */
  readonly clock: () => number;
  readonly sleep: (seconds: number) => Promise<void>;
}

const defaultIo: WatchIo = {
  clock: () => performance.now() / 1000,
  sleep: (s) => new Promise((resolve) => setTimeout(resolve, s * 1000)),
};

/** `metatwin watch <run> [--log DIR|nats://…] [--every SECONDS] [--once]` */
export async function watchCommand(argv: string[], write: (s: string) => void, io: WatchIo = defaultIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { log: { type: 'string' }, every: { type: 'string' }, once: { type: 'boolean' } },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('watch needs exactly one run id (see `metatwin runs`)');
  const runId = positionals[0];
  const every_s = values.every === undefined ? 1 : Number(values.every);
  if (!(every_s > 0) || !Number.isFinite(every_s)) throw new UsageError(`--every must be a number of seconds > 0, got "${values.every}"`);
  const target = values.log ?? process.env.METATWIN_LOG ?? defaultLogDir();
  const log = await openEventLog(target);
  try {
    if (!(await log.runIds()).includes(runId)) throw new UsageError(`no run "${runId}" in the event log ${target} (see \`metatwin runs --log ${target}\`)`);
    const watcher = new RunWatcher(runId, { lateRecordsGrace_s: values.once ? 0 : LATE_RECORDS_GRACE_s });
    for (;;) {
      for await (const batch of log.read(runId)) watcher.ingest(batch);
      for (const line of watcher.advance(io.clock())) write(line + '\n');
      if (watcher.exitCode !== null) return watcher.exitCode;
      if (values.once) {
        write(watcher.statusLine() + '\n');
        return 0;
      }
      await io.sleep(every_s);
    }
  } finally {
    await log.close();
  }
}
