/**
 * The clamping circuit simulated: the clamp law of the experiment (Eq. 6, Eq. 7, App. F)
 * with η taken from the potentiometer's wiper position, as the AD5220 realises it — 128
 * positions, so η = 0.5 is held as 64/127.
 */
import { clampDrives, outputCount, outputNodes, type ClampLaw, type Experiment } from '@metatwin/contracts';
import { clampCircuit, etaOfWiper, type ClampCircuit } from '../clamp-laws';
import type { ClampingPort } from '../port';

export class ClampingSim implements ClampingPort {
  readonly drives: 'voltage' | 'current';
  private law: ClampLaw;
  private circuit: ClampCircuit;
  private readonly labels_V: Float64Array;
  private readonly out: Float64Array;

  constructor(exp: Experiment) {
    this.law = exp.clamp;
    this.drives = clampDrives(exp.clamp);
    this.circuit = clampCircuit(exp.clamp);
    this.labels_V = new Float64Array(outputCount(exp));
    this.out = new Float64Array(outputNodes(exp).length);
  }

  setWiper(_t_ns: number, position: number, positions: number): void {
    const law = this.law;
    if (law.kind !== 'coupled' && law.kind !== 'differential') throw new RangeError(`the ${law.kind} clamp has no potentiometer`);
    this.law = { ...law, eta: etaOfWiper(position, positions) };
    this.circuit = clampCircuit(this.law);
  }

  setLabel(_t_ns: number, labels_V: ReadonlyArray<number>): void {
    for (let i = 0; i < this.labels_V.length; i++) this.labels_V[i] = labels_V[i];
  }

  clamp(_t_ns: number, freeOutputs_V: ReadonlyArray<number>): number[] {
    const out = this.out;
    this.circuit.clamp(freeOutputs_V, this.labels_V, out);
    const values = new Array<number>(out.length);
    for (let i = 0; i < out.length; i++) values[i] = out[i];
    return values;
  }
}
