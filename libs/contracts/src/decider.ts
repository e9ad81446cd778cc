/**
 * The shape every subsystem's logic takes (emmett's decider, extended with port calls):
 *
 *   decide(state, input) → outputs      pure: what to send and which hardware calls to make
 *   evolve(state, signal) → state       pure: the state after a signal (received or sent)
 *
 * An input is a signal from another service, a port call's result, or a command from the
 * host (start, pump). Outputs are signals to emit (the host numbers and stamps them) and
 * calls on the subsystem's port (the hardware, simulated or real); a call's result comes
 * back as the next input. State is a fold of signals alone, so a log rebuilds it: recovery,
 * replay and the run assembler fold the same `evolve`.
 *
 * `LATER` says an input cannot be acted on yet (the DAC must not change under a step in
 * flight; a free output may arrive before its step's label): the host holds it and offers it
 * again, in arrival order, after the state next changes.
 */
import type { Signal, SignalData, SignalType, Source } from './signals';

/** A port call that may complete later: a value now (a simulation) or a promise (a serial bridge). */
export type Completion<T> = T | Promise<T>;

/** A completion still to come. (An instanceof test: a missing `then` looked up on every result is slower.) */
export function isPending<T>(c: Completion<T>): c is Promise<T> {
  return c instanceof Promise;
}

/** A signal the decider wants sent; the host adds run id, source and sequence number. */
export interface Emit<T extends SignalType = SignalType> {
  readonly kind: 'emit';
  readonly type: T;
  /** Simulated learning time (ns). */
  readonly t_ns: number;
  readonly data: SignalData[T];
}

export interface PortCall<C> {
  readonly kind: 'call';
  readonly call: C;
}

export type Output<C> = { readonly [T in SignalType]: Emit<T> }[SignalType] | PortCall<C>;

export const LATER = Symbol('later');
export type Later = typeof LATER;

export const NO_OUTPUT: ReadonlyArray<never> = Object.freeze([]);

export function emit<T extends SignalType>(type: T, t_ns: number, data: SignalData[T]): Emit<T> {
  return { kind: 'emit', type, t_ns, data };
}

export function call<C>(c: C): PortCall<C> {
  return { kind: 'call', call: c };
}

/**
 * One subsystem's logic. `State` is per run; `Input` is what the decider acts on besides
 * signals (port results, host commands); `Call` the port calls it makes.
 */
export interface Decider<State, Input, Call> {
  readonly source: Source;
  /** Sources whose signals this decider needs. */
  readonly listensTo: ReadonlyArray<Source>;
  /** The signal types it acts on (a transport may filter on them). */
  readonly accepts: ReadonlyArray<SignalType>;
  /** The state a run starts in, from its RunCreated. */
  start(created: Signal<'RunCreated'>): State;
  decide(state: State, input: Signal | Input): ReadonlyArray<Output<Call>> | Later;
  evolve(state: State, signal: Signal): State;
}

/** Integer nanoseconds of learning time after `steps` steps of t_h. */
export function stepTime_ns(steps: number, t_h_s: number): number {
  return steps * Math.round(t_h_s * 1e9);
}
