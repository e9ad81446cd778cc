/**
 * An embedded run: the four cores on one in-process bus, the supervisor pumped in windows,
 * every signal optionally handed to a recorder (the event log), and the result folded from
 * the signals — the same fold a distributed run or a replay uses.
 */
import { InProcessBus } from '@metatwin/bus';
import { SOURCES, type Signal } from '@metatwin/contracts';
import type { Experiment, Progress } from '@metatwin/experiments';
import { RunAssembler } from './assemble';
import { ClampingCore } from './clamping-core';
import { EdgePhysicsCore } from './edge-physics-core';
import { MeasurementCore } from './measurement-core';
import { SupervisorCore } from './supervisor-core';

export interface SignalRecorder {
  record(signal: Signal): void;
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
  readonly clock?: () => number;
  readonly onProgress?: (p: Progress) => void;
  /** Wall-clock start of the run (ms since the epoch), recorded in RunCreated for time series. */
  readonly startedAt_ms?: number;
  /** Training steps per pump; the recorder is flushed between pumps. */
  readonly window?: number;
}

export class RunFailedError extends Error {
  constructor(message: string, readonly assembler: RunAssembler) {
    super(message);
    this.name = 'RunFailedError';
  }
}

export async function runEmbedded(exp: Experiment, options: EmbeddedOptions): Promise<ReturnType<RunAssembler['result']>> {
  const clock = options.clock ?? (() => 0);
  const started = clock();
  const bus = new InProcessBus();
  const publish = (s: Signal): void => bus.publish(s);
  const window = options.window ?? 1000;
  const supervisor = new SupervisorCore(publish, window, () => undefined, false);
  const cores = [new EdgePhysicsCore(publish), new ClampingCore(publish), new MeasurementCore(publish), supervisor];
  for (const core of cores) bus.subscribe(core.listensTo, (s) => core.handle(s));
  const assembler = new RunAssembler();
  bus.subscribe(SOURCES, (s) => assembler.fold(s));
  if (options.recorder) {
    const recorder = options.recorder;
    bus.subscribe(SOURCES, (s) => recorder.record(s));
  }
  supervisor.start(options.runId, exp, 'embedded', options.startedAt_ms);
  let lastReported = -1;
  for (;;) {
    const more = supervisor.pump(options.runId);
    const p = supervisor.progress(options.runId);
    if (options.recorder) await options.recorder.flush({ maxInFlight: 32 });
    if (p?.failure) throw new RunFailedError(p.failure, assembler);
    if (options.onProgress && p && p.stepsAcknowledged !== lastReported) {
      lastReported = p.stepsAcknowledged;
      const last = assembler.log[assembler.log.length - 1];
      options.onProgress({ step: p.stepsAcknowledged, steps: p.steps, t_s: (p.stepsAcknowledged * exp.schedule.t_h_s), mse: last ? last.mse : NaN, wall_s: clock() - started });
    }
    if (!more) break;
  }
  await bus.close();
  await options.recorder?.flush();
  if (assembler.status !== 'finished') throw new RunFailedError(`run ${options.runId} did not finish (${assembler.abortReason ?? 'no RunFinished'})`, assembler);
  return assembler.result(options.runId, clock() - started);
}
