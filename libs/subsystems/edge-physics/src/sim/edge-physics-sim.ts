/**
 * The twin network simulated: SPICE Level-1 transistors solved to DC at every step (the
 * quasi-static model), the learning rule integrated by explicit Euler over each substep,
 * Newton warm-started per datapoint. Every call answers at once.
 */
import type { Experiment } from '@metatwin/contracts';
import type { SolveResult } from '@metatwin/physics';
import type { TwinNetwork } from '../twin';
import type { EdgePhysicsPort, EdgeSnapshot, Learned, NodesReading, Settle } from '../port';
import { twinOf } from './twin-of-experiment';

const OK: Learned = Object.freeze({ ok: true });

const failure = (copy: string, r: SolveResult): string => `${copy} solve ${r.status} (residual ${r.residual_A.toExponential(2)} A)`;

export class EdgePhysicsSim implements EdgePhysicsPort {
  readonly twin: TwinNetwork;
  private readonly outputs: Float64Array;

  constructor(exp: Experiment) {
    this.twin = twinOf(exp);
    this.outputs = new Float64Array(this.twin.outputNodes.length);
  }

  hold(_t_ns: number, datapoint: number, held_V: ReadonlyArray<number>): void {
    const { twin } = this;
    twin.selectSlot(datapoint);
    twin.applyDamageDue();
    twin.applyHeld(held_V);
    twin.beginTrainingStep();
    twin.learnEnabled = true;
  }

  settleFree(): Settle {
    const r = this.twin.solveFree();
    if (r.status !== 'converged') return { ok: false, reason: failure('free', r) };
    const out = this.twin.freeOutputs(this.outputs);
    const outputs_V = new Array<number>(out.length);
    for (let i = 0; i < out.length; i++) outputs_V[i] = out[i];
    return { ok: true, outputs_V };
  }

  learn(_t_ns: number, clamp: ReadonlyArray<number>, dt_s: number): Learned {
    const { twin } = this;
    twin.applyClamp(clamp);
    const r = twin.solveClamped();
    if (r.status !== 'converged') {
      twin.learnEnabled = false;
      return { ok: false, reason: failure('clamped', r) };
    }
    twin.integrateGates(dt_s);
    return OK;
  }

  endLearning(_t_ns: number, duration_s: number): Float64Array {
    const { twin } = this;
    twin.endTrainingStep();
    twin.advanceLearningTime(duration_s);
    twin.learnEnabled = false;
    twin.offTime();
    twin.applyDamageDue(); // damage due by the end of the step applies
    return twin.gates_V;
  }

  measure(_t_ns: number, datapoint: number, held_V: ReadonlyArray<number>): NodesReading {
    const { twin } = this;
    twin.learnEnabled = false;
    twin.applyDamageDue(); // a test at the damage time sees the damaged network
    twin.selectSlot(datapoint);
    const nodes = new Float64Array(twin.network.nodeCount);
    const r = twin.measure(held_V, undefined, nodes);
    if (r.status !== 'converged') return { ok: false, reason: failure('free', r) };
    return { ok: true, nodes_V: Array.from(nodes), gates_V: twin.gates_V };
  }

  snapshot(): EdgeSnapshot {
    return { gates_V: Float64Array.from(this.twin.gates_V), warm: this.twin.warmStarts(), learningEnergy_J: this.twin.learningEnergy_J };
  }

  restore(snapshot: EdgeSnapshot, t_ns: number): void {
    if (snapshot.warm === null) throw new Error("a simulated edge needs the snapshot's warm starts to go on exactly");
    this.twin.restoreState(snapshot.gates_V, snapshot.warm, t_ns, snapshot.learningEnergy_J ?? 0);
  }
}
