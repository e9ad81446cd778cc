/**
 * The twin network's hardware (paper Fig. 1B, Appendix B): both copies' held nodes driven by
 * the DAC, the free copy's outputs read by the clamp, the clamped copy's outputs driven by
 * it, every gate capacitor charging through its learning circuit while learn-enable is on,
 * and buffers on every node for the measurement. Time is passed in; a call may complete later.
 */
import type { Completion } from '@metatwin/contracts';

export type Settle = { readonly ok: true; readonly outputs_V: ReadonlyArray<number> } | { readonly ok: false; readonly reason: string };
export type Learned = { readonly ok: true } | { readonly ok: false; readonly reason: string };
/** The port's whole state: the gates and, where the adapter can save them, its Newton warm starts. */
export interface EdgeSnapshot {
  readonly gates_V: Float64Array;
  /** Null when the adapter cannot save them (hardware): only the gates are then known. */
  readonly warm: Float64Array | null;
  /** Charging energy dissipated in R0 so far (J, Eq. D1); absent when the adapter cannot know it (hardware). */
  readonly learningEnergy_J?: number;
}

export type NodesReading =
  | {
      readonly ok: true;
      readonly nodes_V: ReadonlyArray<number>;
      readonly gates_V: Float64Array;
      /** The clamped copy's nodes, where the adapter reads them (hardware); absent in simulation. */
      readonly clamped_V?: ReadonlyArray<number>;
    }
  | { readonly ok: false; readonly reason: string };

export interface EdgePhysicsPort {
  /**
   * The DAC's voltages on the held nodes (inputs then rails) of both copies, for a training
   * step of datapoint `datapoint` (a hint the simulation uses for its Newton warm start).
   */
  hold(t_ns: number, datapoint: number, held_V: ReadonlyArray<number>): Completion<void>;
  /** The free copy settled at the held voltages: its output node voltages. */
  settleFree(t_ns: number): Completion<Settle>;
  /** The clamp drives the clamped copy's outputs; with learn-enable on, every gate charges for dt_s. */
  learn(t_ns: number, clamp: ReadonlyArray<number>, dt_s: number): Completion<Learned>;
  /** Learn-enable off after `duration_s` of learning: the gates now (V). */
  endLearning(t_ns: number, duration_s: number): Completion<Float64Array>;
  /** A test datapoint, learning frozen: every free-copy node's voltage and the gates, leaving learning untouched. */
  measure(t_ns: number, datapoint: number, held_V: ReadonlyArray<number>): Completion<NodesReading>;
  /** The state after the last step, for the log (StateSnapshot). Absent: the adapter logs none. */
  snapshot?(): Completion<EdgeSnapshot>;
  /**
   * Take up a logged state (a StateSnapshot, at learning time `t_ns`) instead of re-driving
   * every step before it. Absent: recovery re-drives from the start of the run.
   */
  restore?(snapshot: EdgeSnapshot, t_ns: number): void;
}

export type EdgePhysicsCall =
  | { readonly op: 'beginStep'; readonly t_ns: number; readonly step: number; readonly datapoint: number; readonly held_V: ReadonlyArray<number> }
  | {
      readonly op: 'learn';
      readonly t_ns: number;
      readonly step: number;
      readonly substep: number;
      readonly clamp: ReadonlyArray<number>;
      readonly dt_s: number;
      readonly last: boolean;
      readonly duration_ns: number;
    }
  | { readonly op: 'measure'; readonly t_ns: number; readonly step: number; readonly datapoint: number; readonly held_V: ReadonlyArray<number> }
  | { readonly op: 'snapshot'; readonly t_ns: number; readonly step: number };

export type EdgePhysicsResult =
  | { readonly type: 'FreeSettled'; readonly t_ns: number; readonly step: number; readonly substep: number; readonly settle: Settle }
  | { readonly type: 'StepLearned'; readonly t_ns: number; readonly step: number; readonly gates_V: Float64Array }
  | { readonly type: 'StepFailed'; readonly t_ns: number; readonly step: number; readonly reason: string }
  | { readonly type: 'NodesRead'; readonly t_ns: number; readonly step: number; readonly datapoint: number; readonly reading: NodesReading }
  | { readonly type: 'Snapshotted'; readonly t_ns: number; readonly step: number; readonly snapshot: EdgeSnapshot | null };

/** Carry out one call on the port; the result (now or later) is the decider's next input. No closure on the synchronous path. */
export function executeEdgePhysicsCall(port: EdgePhysicsPort, c: EdgePhysicsCall): Completion<EdgePhysicsResult> {
  switch (c.op) {
    case 'beginStep': {
      const held = port.hold(c.t_ns, c.datapoint, c.held_V);
      return held instanceof Promise ? held.then(() => settle(port, c.t_ns, c.step, 0)) : settle(port, c.t_ns, c.step, 0);
    }
    case 'learn': {
      const learned = port.learn(c.t_ns, c.clamp, c.dt_s);
      return learned instanceof Promise ? learned.then((r) => afterLearning(port, c, r)) : afterLearning(port, c, learned);
    }
    case 'measure': {
      const reading = port.measure(c.t_ns, c.datapoint, c.held_V);
      return reading instanceof Promise ? reading.then((r) => nodesRead(c, r)) : nodesRead(c, reading);
    }
    case 'snapshot': {
      const snapshot = port.snapshot ? port.snapshot() : null;
      return snapshot instanceof Promise ? snapshot.then((s) => snapshotted(c, s)) : snapshotted(c, snapshot);
    }
    default: {
      const never: never = c;
      throw new Error(`unknown edge-physics call ${JSON.stringify(never)}`);
    }
  }
}

function settle(port: EdgePhysicsPort, t_ns: number, step: number, substep: number): Completion<EdgePhysicsResult> {
  const r = port.settleFree(t_ns);
  return r instanceof Promise ? r.then((x) => freeSettled(t_ns, step, substep, x)) : freeSettled(t_ns, step, substep, r);
}

function freeSettled(t_ns: number, step: number, substep: number, settle: Settle): EdgePhysicsResult {
  return { type: 'FreeSettled', t_ns, step, substep, settle };
}

function afterLearning(port: EdgePhysicsPort, c: EdgePhysicsCall & { op: 'learn' }, r: Learned): Completion<EdgePhysicsResult> {
  if (!r.ok) return { type: 'StepFailed', t_ns: c.t_ns, step: c.step, reason: `training step ${c.step}: ${r.reason}` };
  if (!c.last) return settle(port, c.t_ns, c.step, c.substep + 1);
  const gates = port.endLearning(c.t_ns, c.duration_ns / 1e9);
  return gates instanceof Promise ? gates.then((g) => stepLearned(c, g)) : stepLearned(c, gates);
}

function stepLearned(c: EdgePhysicsCall & { op: 'learn' }, gates_V: Float64Array): EdgePhysicsResult {
  return { type: 'StepLearned', t_ns: c.t_ns + c.duration_ns, step: c.step, gates_V };
}

function snapshotted(c: EdgePhysicsCall & { op: 'snapshot' }, snapshot: EdgeSnapshot | null): EdgePhysicsResult {
  return { type: 'Snapshotted', t_ns: c.t_ns, step: c.step, snapshot };
}

function nodesRead(c: EdgePhysicsCall & { op: 'measure' }, reading: NodesReading): EdgePhysicsResult {
  return { type: 'NodesRead', t_ns: c.t_ns, step: c.step, datapoint: c.datapoint, reading };
}
