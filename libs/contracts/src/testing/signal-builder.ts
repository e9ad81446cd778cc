/**
 * Signals for specs, stamped as a host would stamp them: `{ v, runId, source, seq, t_ns }`.
 * The source defaults to the type's emitter (EMITTER), or, for the 'any' types
 * (ServiceStarted, PortBound), to the service the data names; sequence numbers count 1, 2, 3, …
 * per source, as the log requires. Test code: imports nothing but contracts' own files.
 */
import type { Experiment } from '../experiment';
import { CONTRACT_VERSION, EMITTER, type Signal, type SignalData, type SignalType, type Source } from '../signals';

export const TEST_RUN_ID = 'run-spec';

/** What a spec may set of a signal's meta; the rest is filled in. */
export interface Stamp {
  readonly source?: Source;
  readonly seq?: number;
  readonly t_ns?: number;
}

function sourceOf<T extends SignalType>(type: T, data: SignalData[T], stamp: Stamp): Source {
  if (stamp.source !== undefined) return stamp.source;
  const emitter = EMITTER[type];
  if (emitter !== 'any') return emitter;
  const service = (data as { service?: Source }).service;
  if (service === undefined) throw new Error(`${type}: say which source sends it`);
  return service;
}

/** Builds the signals of one run, numbering each source's signals 1, 2, 3, … unless a stamp says otherwise. */
export class SignalStamper {
  private readonly seqs = new Map<Source, number>();

  constructor(readonly runId: string = TEST_RUN_ID) {}

  /** A signal of this run (a bound function: `const { signal } = new SignalStamper()` works). */
  readonly signal = <T extends SignalType>(type: T, data: SignalData[T], stamp: Stamp = {}): Signal<T> => {
    const source = sourceOf(type, data, stamp);
    const seq = stamp.seq ?? (this.seqs.get(source) ?? 0) + 1;
    this.seqs.set(source, Math.max(seq, this.seqs.get(source) ?? 0));
    return { type, meta: { v: CONTRACT_VERSION, runId: this.runId, source, seq, t_ns: stamp.t_ns ?? 0 }, data } as Signal<T>;
  };

  /** The last sequence number used for `source` (0 before any). */
  lastSeq(source: Source): number {
    return this.seqs.get(source) ?? 0;
  }

  /** Count on from what `signals` already used (signals built elsewhere). */
  observe(signals: Iterable<Signal>): this {
    for (const s of signals) if (s.meta.seq > (this.seqs.get(s.meta.source) ?? 0)) this.seqs.set(s.meta.source, s.meta.seq);
    return this;
  }
}

/** One signal with its meta filled in (seq 1 unless stamped): for specs that need a single signal. */
export function signal<T extends SignalType>(type: T, data: SignalData[T], stamp: Stamp & { readonly runId?: string } = {}): Signal<T> {
  return new SignalStamper(stamp.runId).signal(type, data, { seq: 1, ...stamp });
}

/** The RunCreated a supervisor sends for `experiment` (seq 1, t 0). */
export function runCreated(experiment: Experiment, options: { readonly runId?: string; readonly mode?: 'embedded' | 'distributed' } = {}): Signal<'RunCreated'> {
  return signal('RunCreated', { contract: CONTRACT_VERSION, experiment, mode: options.mode ?? 'embedded' }, { runId: options.runId, source: 'supervisor', seq: 1, t_ns: 0 });
}

/**
 * The supervisor's set-up of the XOR fixture as its signals: the patch map (inputs at nodes
 * 0 and 2, rails at 3 and 7, then the label line) and the rails' DAC latch (0.11 V, 0.40 V).
 */
export function xorSetUpSignals(stamper: SignalStamper): { readonly patchMapSet: () => Signal; readonly rails: () => Signal } {
  const { signal: stamp } = stamper;
  return {
    patchMapSet: () =>
      stamp('PatchMapSet', {
        channels: [
          { kind: 'node', node: 0 },
          { kind: 'node', node: 2 },
          { kind: 'node', node: 3 },
          { kind: 'node', node: 7 },
          { kind: 'label', output: 0 },
        ],
      }),
    rails: () =>
      stamp('DacWritten', {
        writes: [
          { channel: 2, code: 63 },
          { channel: 3, code: 228 },
        ],
      }),
  };
}
