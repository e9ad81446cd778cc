/**
 * What the four subsystem cores share: numbering their own signals per run and stamping
 * them. A core is pure logic over signals — it never touches a transport or a clock; the
 * app or the embedded runner connects it to a bus.
 */
import { CONTRACT_VERSION, type Signal, type SignalData, type SignalType, type Source } from '@metatwin/contracts';

export type Publish = (signal: Signal) => void;

export abstract class Core {
  abstract readonly source: Source;
  /** Sources whose signals this core needs. */
  abstract readonly listensTo: ReadonlyArray<Source>;
  /** The signal types it acts on (a transport may filter on them). */
  abstract readonly accepts: ReadonlyArray<SignalType>;
  private readonly sequences = new Map<string, number>();

  constructor(protected readonly publish: Publish) {}

  abstract handle(signal: Signal): void;

  /**
   * Rebuild an unfinished run's state after a restart from its logged signals (all sources,
   * each source in order). Returns the step this service needs next, when it matters.
   */
  abstract recover(runId: string, logged: ReadonlyArray<Signal>): number | void;

  /** Tell the others this service is back, and from where it needs signals. */
  announce(runId: string, resumeFrom: number): void {
    this.emit(runId, 'ServiceStarted', 0, { service: this.source, resumeFrom });
  }

  /** Continue numbering after a restart from the last sequence found in the log. */
  resumeSequence(runId: string, lastSeq: number): void {
    this.sequences.set(runId, lastSeq);
  }

  lastSequence(runId: string): number {
    return this.sequences.get(runId) ?? 0;
  }

  protected emit<T extends SignalType>(runId: string, type: T, t_ns: number, data: SignalData[T]): void {
    const seq = (this.sequences.get(runId) ?? 0) + 1;
    this.sequences.set(runId, seq);
    this.publish({ type, meta: { v: CONTRACT_VERSION, runId, source: this.source, seq, t_ns }, data } as Signal);
  }
}

/** Integer nanoseconds of learning time after `steps` steps of t_h. */
export function stepTime_ns(steps: number, t_h_s: number): number {
  return steps * Math.round(t_h_s * 1e9);
}
