/**
 * Hosts one subsystem's decider on a bus: the imperative shell around the pure core. Per
 * run it keeps the decider's state and the port the factory bound for that run; it feeds
 * every input through decide, folds signals (received and sent) through evolve, numbers and
 * stamps what the decider emits, and carries out its port calls, feeding each result back.
 *
 * Ordering: inputs of one run are handled one at a time. An input that arrives while
 * another is being handled waits in an inbox; one the decider answers LATER is held and
 * offered again, in arrival order, after the state next changes. A port call that completes
 * later (a bridge) holds every further input of that run until it has; the simulation's
 * calls complete at once, so the simulated path never creates a promise.
 */
import { CONTRACT_VERSION, LATER, type AdapterChoice, type Completion, type Decider, type Output, type Signal, type SignalData, type Source } from '@metatwin/contracts';

// Read once: the hot path below runs tens of times per training step.
const VERSION = CONTRACT_VERSION;
const HELD: typeof LATER = LATER;

/** A decider and the code that turns its calls into calls on its port. */
export interface Subsystem<S, I, C, P> {
  readonly decider: Decider<S, I, C>;
  readonly execute: (port: P, call: C) => Completion<I>;
}

/** What the factory gives a host for one run. */
export interface Binding<P> {
  readonly adapter: AdapterChoice;
  readonly port: P;
}

export interface HostOptions<P> {
  /** Bind the run's port (the factory). */
  readonly bind: (created: Signal<'RunCreated'>) => Binding<P>;
  readonly publish: (signal: Signal) => void;
  /** An asynchronous port call failed (a bridge): the host cannot go on with that run. */
  readonly onError?: (runId: string, err: unknown) => void;
}

interface Slot<S, I, P> {
  readonly runId: string;
  state: S;
  readonly port: P;
  readonly adapter: AdapterChoice;
  seq: number;
  readonly inbox: Array<Signal | I>;
  readonly deferred: Array<Signal | I>;
  /** Handling an input (inputs that arrive meanwhile go to the inbox). */
  busy: boolean;
  /** Waiting for a port call to complete. */
  waiting: boolean;
  /** The state changed since the held inputs were last offered. */
  changed: boolean;
  ended: boolean;
}

export class DeciderHost<S, I extends object, C, P> {
  readonly source: Source;
  private readonly runs = new Map<string, Slot<S, I, P>>();
  private readonly pending = new Set<Promise<void>>();
  private last: Slot<S, I, P> | undefined;

  private readonly logic: Decider<S, I, C>;
  private readonly execute: Subsystem<S, I, C, P>['execute'];
  private readonly publish: (signal: Signal) => void;

  constructor(
    subsystem: Subsystem<S, I, C, P>,
    private readonly options: HostOptions<P>,
  ) {
    this.source = subsystem.decider.source;
    this.logic = subsystem.decider;
    this.execute = subsystem.execute;
    this.publish = options.publish;
  }

  get decider(): Decider<S, I, C> {
    return this.logic;
  }

  /** A signal from the bus. */
  handle(signal: Signal): void {
    if (signal.type === 'RunCreated') {
      if (!this.runs.has(signal.meta.runId)) this.open(signal, 0);
      return;
    }
    const runId = signal.meta.runId;
    // Most signals belong to the run the last one did.
    const slot = this.last !== undefined && this.last.runId === runId ? this.last : this.runs.get(runId);
    if (slot === undefined) return;
    this.last = slot;
    this.offer(slot, signal);
  }

  /** A command from the host process (pump, resume). */
  command(runId: string, input: I): void {
    const slot = this.runs.get(runId);
    if (!slot) throw new Error(`${this.source}: no run ${runId}`);
    this.offer(slot, input);
  }

  /** Begin a run from this service (the supervisor): emit RunCreated, then take the run on. */
  create(runId: string, data: SignalData['RunCreated']): void {
    if (this.runs.has(runId)) throw new Error(`run ${runId} already exists`);
    const created: Signal<'RunCreated'> = { type: 'RunCreated', meta: { v: CONTRACT_VERSION, runId, source: this.source, seq: 1, t_ns: 0 }, data };
    const slot = this.open(created, 1, false);
    this.publish(created);
    this.bound(slot);
  }

  /**
   * Take a run on from its log after a restart: the state is the fold of the logged signals
   * through evolve; numbering continues after `lastSeq`. Announces nothing: the caller does.
   */
  restore(created: Signal<'RunCreated'>, logged: Iterable<Signal>, lastSeq: number): void {
    const slot = this.open(created, lastSeq, false);
    for (const s of logged) if (s.type !== 'RunCreated') slot.state = this.logic.evolve(slot.state, s);
  }

  /** Hand over a run rebuilt elsewhere (a private re-drive) to this host. */
  adopt(runId: string, state: S, binding: Binding<P>, lastSeq: number): void {
    this.runs.set(runId, this.slot(runId, state, binding, lastSeq));
  }

  /** Give a run up without ending it (to be adopted by another host). */
  detach(runId: string): { state: S; binding: Binding<P> } | undefined {
    const slot = this.runs.get(runId);
    if (!slot) return undefined;
    this.forget(runId);
    return { state: slot.state, binding: { adapter: slot.adapter, port: slot.port } };
  }

  /** A change of state that is not in the log (presence, the adjustments of a restart). */
  adjust(runId: string, f: (state: S) => S): void {
    const slot = this.runs.get(runId);
    if (slot) {
      slot.state = f(slot.state);
      slot.changed = true;
    }
  }

  /** Emit a signal on the run's behalf, numbered like the decider's own (ServiceStarted). */
  announce<T extends 'ServiceStarted'>(runId: string, type: T, data: SignalData[T]): void {
    const slot = this.runs.get(runId);
    if (slot) this.send(slot, { kind: 'emit', type, t_ns: 0, data } as Output<C> & { kind: 'emit' });
  }

  stateOf(runId: string): S | undefined {
    return this.runs.get(runId)?.state;
  }

  portOf(runId: string): P | undefined {
    return this.runs.get(runId)?.port;
  }

  adapterOf(runId: string): AdapterChoice | undefined {
    return this.runs.get(runId)?.adapter;
  }

  lastSequence(runId: string): number {
    return this.runs.get(runId)?.seq ?? 0;
  }

  runIds(): string[] {
    return [...this.runs.keys()];
  }

  /** Whether a port call is outstanding (an adapter that answers later: a bridge, a mirror). */
  get waiting(): boolean {
    return this.pending.size > 0;
  }

  /** Resolves when no port call is outstanding. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private forget(runId: string): void {
    this.runs.delete(runId);
    if (this.last?.runId === runId) this.last = undefined;
  }

  private open(created: Signal<'RunCreated'>, seq: number, announce = true): Slot<S, I, P> {
    const slot = this.slot(created.meta.runId, this.logic.start(created), this.options.bind(created), seq);
    this.runs.set(slot.runId, slot);
    if (announce) this.bound(slot);
    return slot;
  }

  private slot(runId: string, state: S, binding: Binding<P>, seq: number): Slot<S, I, P> {
    return { runId, state, port: binding.port, adapter: binding.adapter, seq, inbox: [], deferred: [], busy: false, waiting: false, changed: false, ended: false };
  }

  private bound(slot: Slot<S, I, P>): void {
    this.send(slot, { kind: 'emit', type: 'PortBound', t_ns: 0, data: { service: this.source, adapter: slot.adapter } } as Output<C> & { kind: 'emit' });
  }

  private offer(slot: Slot<S, I, P>, input: Signal | I): void {
    if (slot.busy) {
      slot.inbox.push(input);
      return;
    }
    // The common case — nothing waiting — without touching the inbox.
    slot.busy = true;
    const r = this.apply(slot, input);
    if (r === HELD) slot.deferred.push(input);
    else {
      slot.changed = true;
      if (r !== undefined) this.await(slot, r);
    }
    if (slot.inbox.length === 0 && slot.deferred.length === 0 && !slot.waiting) {
      slot.busy = false;
      if (slot.ended) this.forget(slot.runId);
      return;
    }
    this.drain(slot);
  }

  /** Handle what is waiting, held inputs first whenever the state changed. */
  private drain(slot: Slot<S, I, P>): void {
    slot.busy = true;
    for (;;) {
      if (slot.waiting) return; // resumed when the port call completes
      let input: Signal | I | undefined;
      let held = false;
      if (slot.changed && slot.deferred.length > 0) {
        input = slot.deferred[0];
        held = true;
      } else {
        slot.changed = false;
        input = slot.inbox.shift();
      }
      if (input === undefined) break;
      const r = this.apply(slot, input);
      if (r === HELD) {
        if (held)
          slot.changed = false; // the first held input still waits: so do those behind it
        else slot.deferred.push(input);
        continue;
      }
      if (held) slot.deferred.shift();
      slot.changed = true;
      if (r !== undefined) this.await(slot, r);
    }
    slot.busy = false;
    if (slot.ended) this.forget(slot.runId);
  }

  private await(slot: Slot<S, I, P>, p: Promise<void>): void {
    slot.waiting = true;
    const done = p.then(
      () => {
        slot.waiting = false;
        this.pending.delete(done);
        this.drain(slot);
      },
      (err: unknown) => {
        this.pending.delete(done);
        this.forget(slot.runId);
        if (this.options.onError) this.options.onError(slot.runId, err);
        else throw err;
      },
    );
    this.pending.add(done);
  }

  /** decide, evolve, then the outputs in order. LATER, nothing, or a promise while a port call is outstanding. */
  private apply(slot: Slot<S, I, P>, input: Signal | I): typeof LATER | Promise<void> | undefined {
    const out = this.logic.decide(slot.state, input);
    if (out === HELD) return HELD;
    if ((input as { meta?: unknown }).meta !== undefined) {
      const signal = input as Signal;
      slot.state = this.logic.evolve(slot.state, signal);
      if (signal.type === 'RunFinished' || signal.type === 'RunAborted') slot.ended = true;
    }
    return out.length === 0 ? undefined : this.run(slot, out, 0);
  }

  private run(slot: Slot<S, I, P>, out: ReadonlyArray<Output<C>>, from: number): Promise<void> | undefined {
    for (let i = from; i < out.length; i++) {
      const o = out[i];
      if (o.kind === 'emit') {
        this.send(slot, o);
        continue;
      }
      const result = this.execute(slot.port, o.call);
      if (result instanceof Promise) return result.then((r) => this.continueWith(slot, r, out, i + 1));
      const nested = this.apply(slot, result);
      if (nested instanceof Promise) return nested.then(() => this.run(slot, out, i + 1));
    }
    return undefined;
  }

  private continueWith(slot: Slot<S, I, P>, result: I, out: ReadonlyArray<Output<C>>, next: number): Promise<void> | undefined {
    const nested = this.apply(slot, result);
    if (nested instanceof Promise) return nested.then(() => this.run(slot, out, next));
    return this.run(slot, out, next);
  }

  private send(slot: Slot<S, I, P>, o: Output<C> & { kind: 'emit' }): void {
    const signal = { type: o.type, meta: { v: VERSION, runId: slot.runId, source: this.source, seq: ++slot.seq, t_ns: o.t_ns }, data: o.data } as Signal;
    slot.state = this.logic.evolve(slot.state, signal);
    if (signal.type === 'RunFinished' || signal.type === 'RunAborted') slot.ended = true;
    this.publish(signal);
  }
}
