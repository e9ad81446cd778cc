/**
 * The twin network's port as a mirror: no physics. Every output and node reads the mean of
 * the held voltages, the gates stay at their initial values, and every command is kept in a
 * journal, so a plumbing test sees each command that crossed the seam and the answers it got.
 */
import type { Experiment } from '@metatwin/contracts';
import { nodeCount, outputNodes } from '@metatwin/contracts';
import type { EdgePhysicsPort, EdgeSnapshot, Learned, NodesReading, Settle } from '../port';

export type EdgePhysicsCommandRecord =
  | { readonly op: 'hold'; readonly t_ns: number; readonly datapoint: number; readonly held_V: ReadonlyArray<number> }
  | { readonly op: 'settleFree'; readonly t_ns: number }
  | { readonly op: 'learn'; readonly t_ns: number; readonly clamp: ReadonlyArray<number>; readonly dt_s: number }
  | { readonly op: 'endLearning'; readonly t_ns: number; readonly duration_s: number }
  | { readonly op: 'measure'; readonly t_ns: number; readonly datapoint: number; readonly held_V: ReadonlyArray<number> };

const mean = (v: ReadonlyArray<number>): number => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);

export class EdgePhysicsMirror implements EdgePhysicsPort {
  readonly journal: EdgePhysicsCommandRecord[] = [];
  private readonly gates_V: Float64Array;
  private readonly outputs: number;
  private readonly nodes: number;
  private held = 0;

  constructor(exp: Experiment) {
    this.gates_V = Float64Array.from(exp.initialGates_V);
    this.outputs = outputNodes(exp).length;
    this.nodes = nodeCount(exp.network);
  }

  hold(t_ns: number, datapoint: number, held_V: ReadonlyArray<number>): void {
    this.journal.push({ op: 'hold', t_ns, datapoint, held_V: [...held_V] });
    this.held = mean(held_V);
  }

  settleFree(t_ns: number): Settle {
    this.journal.push({ op: 'settleFree', t_ns });
    return { ok: true, outputs_V: new Array<number>(this.outputs).fill(this.held) };
  }

  learn(t_ns: number, clamp: ReadonlyArray<number>, dt_s: number): Learned {
    this.journal.push({ op: 'learn', t_ns, clamp: [...clamp], dt_s });
    return { ok: true };
  }

  endLearning(t_ns: number, duration_s: number): Float64Array {
    this.journal.push({ op: 'endLearning', t_ns, duration_s });
    return this.gates_V;
  }

  measure(t_ns: number, datapoint: number, held_V: ReadonlyArray<number>): NodesReading {
    this.journal.push({ op: 'measure', t_ns, datapoint, held_V: [...held_V] });
    return { ok: true, nodes_V: new Array<number>(this.nodes).fill(mean(held_V)), gates_V: this.gates_V };
  }

  /** The mirror's gates never move; it has no warm starts. */
  snapshot(): EdgeSnapshot {
    return { gates_V: Float64Array.from(this.gates_V), warm: null };
  }
}
