/**
 * A run in one process: the four subsystems' hosts on one in-process bus, the supervisor
 * pumped in windows, every signal optionally handed to a recorder (the event log), and the
 * result folded from the signals — the same hosts, adapters and fold as a distributed run
 * or a replay. With no recorder this is the fast path for sweeps (`--bus direct`).
 */
import { takePulseTiming } from '@metatwin/bridges';
import { InProcessBus } from '@metatwin/bus';
import { CONTRACT_VERSION, SOURCES, type Experiment, type Signal } from '@metatwin/contracts';
import type { Progress } from '@metatwin/experiments';
import { RUN_FOLD_TYPES, RunAssembler } from './assemble';
import { recoverRun } from './recovery';
import { createClampingHost, createEdgePhysicsHost, createMeasurementHost, createSupervisorHost, type AnyHost, type Env } from './factory';
import { StepPacer, onHardware } from './pacing';

export interface SignalRecorder {
  record(signal: Signal): void;
  /** Signals buffered, not yet handed to the log: the run flushes when they are many (memory). */
  readonly buffered?: number;
  /**
   * Write what is buffered and wait until at most `maxInFlight` writes are outstanding (all
   * of them by default). Awaited between windows, so memory stays bounded while the log's
   * server stores earlier windows in parallel with the simulation.
   */
  flush(options?: { maxInFlight?: number }): Promise<void>;
}

export interface EmbeddedOptions {
  readonly runId: string;
  readonly recorder?: SignalRecorder;
  /**
   * The host's wall clock (s): the result's wall_s and, when a subsystem is on hardware, its
   * pacing (each acknowledged step timed on it). Without one, neither is measured.
   */
  readonly clock?: () => number;
  readonly onProgress?: (p: Progress) => void;
  /** Wall-clock start of the run (ms since the epoch), recorded in RunCreated for time series. */
  readonly startedAt_ms?: number;
  /** Training steps per pump (the supervisor's window); progress is reported between pumps. */
  readonly window?: number;
  /** Pinned adapters (METATWIN_<SUBSYSTEM>), as a service reads them from its environment. */
  readonly env?: Env;
  /** Every signal, as it is published (tests). */
  readonly onSignal?: (signal: Signal) => void;
  /** The hosts, once built (tests look at their ports). */
  readonly onHosts?: (hosts: ReadonlyArray<AnyHost>) => void;
  /** Polled between pumps: a reason once the user cancels (nothing more is sent; the run ends RunCancelled). */
  readonly cancelRequested?: () => string | null;
  /**
   * Go on with a cancelled or interrupted run: its logged signals (run id `runId`). Every
   * host is rebuilt from them as after a restart, the supervisor records RunResumed and
   * sends from the first step the log lacks; numbering continues after the logged signals.
   */
  readonly resume?: ReadonlyArray<Signal>;
}

const FLUSH_EVERY_STEPS = 1000;
const FLUSH_EVERY_SIGNALS = 16_384;
const YIELD_EVERY_STEPS = 32;

export class RunFailedError extends Error {
  constructor(
    message: string,
    readonly assembler: RunAssembler,
  ) {
    super(message);
    this.name = 'RunFailedError';
  }
}

/** The user cancelled the run: what was done is in the assembler (and the log, which can resume it). */
export class RunCancelledError extends RunFailedError {
  override readonly name = 'RunCancelledError';
}

export async function runEmbedded(exp: Experiment, options: EmbeddedOptions): Promise<ReturnType<RunAssembler['result']>> {
  const clock = options.clock ?? (() => 0);
  const started = clock();
  const bus = new InProcessBus();
  const publish = (s: Signal): void => bus.publish(s);
  const env = options.env ?? {};
  const supervisor = createSupervisorHost({ publish, env, supervisor: { window: options.window ?? 16, autoPump: false } });
  const hosts: AnyHost[] = [createEdgePhysicsHost({ publish, env }), createClampingHost({ publish, env }), createMeasurementHost({ publish, env }), supervisor];
  for (const host of hosts) bus.subscribe(host.decider.listensTo, (s) => host.handle(s), host.decider.accepts);
  options.onHosts?.(hosts);
  const assembler = new RunAssembler();
  bus.subscribe(SOURCES, (s) => assembler.fold(s), RUN_FOLD_TYPES);
  if (options.recorder) {
    const recorder = options.recorder;
    bus.subscribe(SOURCES, (s) => recorder.record(s));
  }
  if (options.onSignal) bus.subscribe(SOURCES, options.onSignal);
  const { runId } = options;
  // A run on hardware keeps hardware time: the host times its steps (all-simulated runs pay nothing).
  const bridged = onHardware(exp, env);
  const pacer = options.clock && bridged ? new StepPacer(exp, options.clock, started) : null;
  if (pacer) bus.subscribe(['edge-physics'], (s) => pacer.step(s), ['GatesEvolved']);
  if (options.resume) {
    // The result covers the whole run: the logged part is folded first.
    for (const s of options.resume) if ((RUN_FOLD_TYPES as ReadonlyArray<string>).includes(s.type)) assembler.fold(s);
    assembler.status = 'running';
    for (const host of hosts) recoverRun(host, options.resume, lastSequence(options.resume, host.source));
    supervisor.command(runId, { type: 'Resume' });
  } else
    supervisor.create(runId, {
      contract: CONTRACT_VERSION,
      experiment: exp,
      mode: 'embedded',
      ...(options.startedAt_ms === undefined ? {} : { startedAt_ms: options.startedAt_ms }),
    });
  let lastReported = -1;
  let lastFlushed = 0;
  let lastYielded = 0;
  while (assembler.status === 'running') {
    const cancel = options.cancelRequested?.() ?? null;
    supervisor.command(runId, cancel === null ? { type: 'Pump' } : { type: 'Cancel', reason: cancel });
    // An adapter that answers later (a hardware bridge, a mirror) holds its host until it does;
    // a user may cancel meanwhile (a controller that never answers freezes the run, not the CLI).
    while (hosts.some((h) => h.waiting)) {
      const cancelled = options.cancelRequested?.() ?? null;
      if (cancelled !== null) throw new RunCancelledError(`run ${runId} cancelled while a hardware port had not answered: ${cancelled}`, assembler);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(hosts.map((h) => h.idle())), new Promise((r) => (timer = setTimeout(r, 100)))]);
      clearTimeout(timer);
    }
    // The log's writes go on only while this loop lets the event loop turn: give it a turn
    // every YIELD_EVERY_STEPS, so they keep up with the run instead of piling up for the flush.
    if (options.recorder && assembler.lastStep + 1 - lastYielded >= YIELD_EVERY_STEPS) {
      lastYielded = assembler.lastStep + 1;
      await new Promise((r) => setImmediate(r));
    }
    // Hand the log what is buffered about every 1,000 steps (fewer, fuller batches), and wait
    // while too many writes are outstanding, so memory stays bounded.
    // Between pumps every signal's causes are recorded too: a consistent cut, the only place
    // the log is written, so a crash leaves it consistent across sources.
    if (assembler.lastStep + 1 - lastFlushed >= FLUSH_EVERY_STEPS || (options.recorder?.buffered ?? 0) >= FLUSH_EVERY_SIGNALS) {
      lastFlushed = assembler.lastStep + 1;
      if (options.recorder) await options.recorder.flush({ maxInFlight: 32 });
      // Let signal handlers (Ctrl-C) run: they set what cancelRequested reads.
      else if (options.cancelRequested) await new Promise((r) => setImmediate(r));
    }
    const done = assembler.lastStep + 1;
    if (options.onProgress && done !== lastReported) {
      lastReported = done;
      const last = assembler.log[assembler.log.length - 1];
      options.onProgress({ step: done, steps: exp.schedule.steps, t_s: done * exp.schedule.t_h_s, mse: last ? last.mse : NaN, wall_s: clock() - started });
    }
    if (supervisor.stateOf(runId) === undefined && assembler.status === 'running')
      throw new RunFailedError(`run ${runId}: the supervisor stopped without RunFinished or RunAborted`, assembler);
  }
  await bus.close();
  await options.recorder?.flush();
  const pulses = bridged ? takePulseTiming(runId) : undefined;
  if (assembler.status === 'cancelled') throw new RunCancelledError(`run ${runId} cancelled: ${assembler.abortReason ?? ''}`, assembler);
  if (assembler.status !== 'finished') throw new RunFailedError(`run ${runId} aborted: ${assembler.abortReason ?? 'no RunFinished'}`, assembler);
  const result = assembler.result(runId, clock() - started);
  return pacer ? { ...result, pacing: pacer.pacing(pulses) } : result;
}

/** The last sequence number a source's logged signals reached (0 when none). */
function lastSequence(signals: ReadonlyArray<Signal>, source: string): number {
  let last = 0;
  for (const s of signals) if (s.meta.source === source && s.meta.seq > last) last = s.meta.seq;
  return last;
}
