/**
 * Given / when / then for deciders (emmett's DeciderSpecification, with port calls and LATER):
 *
 *   given(decider, created, past)      start(created), then every past signal through evolve
 *     .when(input)                     decide(state, input); a signal that is not answered
 *                                      LATER is evolved, then every signal the decider emits,
 *                                      as the host does (libs/services/src/host.ts)
 *     .then(outputs) / .thenMatch(…)   the outputs, exactly / as a pattern (toMatchObject)
 *     .thenNothing() / .thenLater()    no outputs / LATER (the state is then left as it was)
 *     .thenState(partial)              the state afterwards matches (toMatchObject)
 *
 * Port calls are not carried out: a spec feeds their results back as the next `when`.
 * Outcomes chain: `.when(…)` and `.given(…)` on an outcome go on from its state, so an
 * input held LATER can be offered again after the signal it waits for. Emitted signals are
 * stamped with the decider's source and the next sequence numbers of the run.
 *
 * Test code: asserts with jest's global `expect`, reached through globalThis so that this
 * file imports nothing but contracts' own files and compiles without jest's types (the
 * production build, tsconfig.build.json, takes libs/** but specs).
 */
import { LATER, type Decider, type Emit, type Later, type Output, type PortCall } from '../decider';
import type { Signal } from '../signals';
import { SignalStamper } from './signal-builder';

/** The few jest matchers used here. */
interface Matchers {
  readonly not: Matchers;
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatchObject(expected: object): void;
}

function expect(actual: unknown): Matchers {
  const jestExpect = (globalThis as { expect?: (actual: unknown) => Matchers }).expect;
  if (jestExpect === undefined) throw new Error('decider scenarios assert with jest: no global expect');
  return jestExpect(actual);
}

/** A pattern for a state: any of its fields, each matched as toMatchObject matches. */
export type StatePattern<S> = { readonly [K in keyof S]?: unknown };

const isSignalInput = (input: object): input is Signal => (input as { meta?: unknown }).meta !== undefined;

export class Scenario<S, I, C> {
  constructor(
    readonly decider: Decider<S, I, C>,
    readonly state: S,
    /** Numbers the signals the decider emits. */
    readonly stamper: SignalStamper,
  ) {}

  /** More past signals, folded through evolve. */
  given(...past: ReadonlyArray<Signal>): Scenario<S, I, C> {
    let state = this.state;
    for (const s of past) state = this.decider.evolve(state, s);
    this.stamper.observe(past);
    return new Scenario(this.decider, state, this.stamper);
  }

  /** The state after a change the log does not show (presence, a restart's adjustment). */
  adjusted(f: (state: S) => S): Scenario<S, I, C> {
    return new Scenario(this.decider, f(this.state), this.stamper);
  }

  when(input: Signal | I): Outcome<S, I, C> {
    const { decider } = this;
    const outputs = decider.decide(this.state, input);
    if (outputs === LATER) return new Outcome(this, input, LATER, this.state, []);
    let state = isSignalInput(input as object) ? decider.evolve(this.state, input as Signal) : this.state;
    const emitted: Signal[] = [];
    for (const o of outputs) {
      if (o.kind !== 'emit') continue;
      const s = this.stamper.signal(o.type, o.data as never, { source: decider.source, t_ns: o.t_ns });
      emitted.push(s);
      state = decider.evolve(state, s);
    }
    return new Outcome(this, input, outputs, state, emitted);
  }
}

export class Outcome<S, I, C> {
  constructor(
    /** Where the input was offered. */
    readonly before: Scenario<S, I, C>,
    readonly input: Signal | I,
    readonly outputs: ReadonlyArray<Output<C>> | Later,
    /** The state afterwards, as the host holds it: the input evolved (unless LATER), then what the decider emitted. */
    readonly state: S,
    /** The emitted outputs as the host would stamp them. */
    readonly emitted: ReadonlyArray<Signal>,
  ) {}

  /** The outputs, an empty list when LATER. */
  private get list(): ReadonlyArray<Output<C>> {
    return this.outputs === LATER ? [] : this.outputs;
  }

  /** The port calls among the outputs, in order. */
  get calls(): ReadonlyArray<C> {
    return this.list.filter((o): o is PortCall<C> => o.kind === 'call').map((o) => o.call);
  }

  /** The signals to emit among the outputs, in order. */
  get emits(): ReadonlyArray<Emit> {
    return this.list.filter((o): o is Output<C> & Emit => o.kind === 'emit');
  }

  /** Exactly these outputs, in this order. */
  then(expected: ReadonlyArray<Output<C>>): this {
    expect(this.outputs).not.toBe(LATER);
    expect(this.outputs).toEqual(expected);
    return this;
  }

  /** Outputs matching these patterns one for one (toMatchObject: same length, fields as given). */
  thenMatch(expected: ReadonlyArray<unknown>): this {
    expect(this.outputs).not.toBe(LATER);
    expect(this.outputs).toMatchObject(expected as unknown[]);
    return this;
  }

  /** Acted on, with nothing to send or call. */
  thenNothing(): this {
    expect(this.outputs).not.toBe(LATER);
    expect(this.outputs).toEqual([]);
    return this;
  }

  /** Held back: the host keeps the input and offers it again after the state next changes. */
  thenLater(): this {
    expect(this.outputs).toBe(LATER);
    expect(this.state).toBe(this.before.state);
    return this;
  }

  /** The state afterwards matches (toMatchObject on the given fields). */
  thenState(pattern: StatePattern<S>): this {
    expect(this.state).toMatchObject(pattern as Record<string, unknown>);
    return this;
  }

  /** The state afterwards is the state before, the very object (nothing changed). */
  thenStateUnchanged(): this {
    expect(this.state).toBe(this.before.state);
    return this;
  }

  /** Go on from the state afterwards. */
  get and(): Scenario<S, I, C> {
    return new Scenario(this.before.decider, this.state, this.before.stamper);
  }

  given(...past: ReadonlyArray<Signal>): Scenario<S, I, C> {
    return this.and.given(...past);
  }

  when(input: Signal | I): Outcome<S, I, C> {
    return this.and.when(input);
  }
}

/** The decider's state for a run created by `created`, after `past` (signals from any source, in order). */
export function given<S, I, C>(decider: Decider<S, I, C>, created: Signal<'RunCreated'>, past: ReadonlyArray<Signal> = [], stamper?: SignalStamper): Scenario<S, I, C> {
  const st = stamper ?? new SignalStamper(created.meta.runId);
  st.observe([created]);
  return new Scenario(decider, decider.start(created), st).given(...past);
}
