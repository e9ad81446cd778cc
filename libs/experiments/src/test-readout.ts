/**
 * What a test step read, from its ADC samples: each datapoint's outputs (an output node's
 * code in volts; O+ − O− when differential), the MSE against the labels over the datapoints
 * trained on, the signed error modes of a single-output task, and for a multi-output task
 * (classification, one output per class) the accuracy; held-out datapoints are scored apart.
 * The run fold (result.json) and the InfluxDB projection read a test this one way.
 */
import { errorModes, meanSquaredError, modeBasis, type ModeBasis } from '@metatwin/analysis';
import { trainingPointCount, type Experiment } from '@metatwin/contracts';
import type { AdcConfig } from '@metatwin/measurement';
import { fromCode } from '@metatwin/physics';
import { outputAddresses } from '@metatwin/supervisor';
import type { Rig } from './build';

/** How a test step of one experiment is read. */
export interface TestTask {
  readonly adc: AdcConfig;
  /** Demux addresses of the output nodes, in label order ([+, −] per output when differential). */
  readonly addresses: ReadonlyArray<number>;
  /** Labels as applied, datapoint-major (output k of datapoint d at d·outputs + k). */
  readonly labels: ReadonlyArray<number>;
  readonly outputs: number;
  readonly differential: boolean;
  /** The leading datapoints trained on; the rest are held out. */
  readonly trainingPoints: number;
  /** Error modes over the training datapoints; none for a multi-output task (modes are of one output's error). */
  readonly basis: ModeBasis;
}

export function testTask(exp: Experiment, rig: Rig): TestTask {
  const trainingPoints = trainingPointCount(exp.dataset);
  return {
    adc: rig.adc,
    addresses: outputAddresses(exp),
    labels: rig.labels_V,
    outputs: rig.outputs,
    differential: rig.differential,
    trainingPoints,
    basis: rig.outputs === 1 ? modeBasis(rig.inputs_V.slice(0, trainingPoints)) : { names: [], vectors: [] },
  };
}

export interface TestReading {
  /** Per datapoint and output, datapoint-major (V). */
  readonly outputs: number[];
  /** Over the training datapoints (V²). */
  readonly mse: number;
  readonly modes: Record<string, number>;
  /** Over the held-out datapoints, when there are any (V²). */
  readonly heldOutMse?: number;
  /** Multi-output tasks: the fraction of training datapoints whose highest output is their label's highest. */
  readonly accuracy?: number;
  /** Multi-output tasks with held-out datapoints: the same over those. */
  readonly heldOutAccuracy?: number;
}

/**
 * @param codeOf the mean node code sampled for (datapoint, demux address), undefined when missing
 * @param where names the test in the error a missing sample raises
 */
export function readTest(task: TestTask, codeOf: (datapoint: number, address: number) => number | undefined, where: string): TestReading {
  const { addresses, labels, outputs: k } = task;
  const volts = (d: number, address: number): number => {
    const code = codeOf(d, address);
    if (code === undefined) throw new Error(`${where}: no ADC sample of datapoint ${d} at address ${address}`);
    return fromCode(task.adc.node, code);
  };
  const outputs = labels.map((_, i) => {
    const d = Math.floor(i / k);
    const o = i % k;
    return task.differential ? volts(d, addresses[2 * o]) - volts(d, addresses[2 * o + 1]) : volts(d, addresses[o]);
  });
  const trained = task.trainingPoints * k;
  const reading: { -readonly [K in keyof TestReading]: TestReading[K] } = {
    outputs,
    mse: meanSquaredError(outputs.slice(0, trained), labels.slice(0, trained)),
    modes: errorModes(task.basis, outputs, labels),
  };
  const heldOut = trained < outputs.length;
  if (heldOut) reading.heldOutMse = meanSquaredError(outputs.slice(trained), labels.slice(trained));
  if (k > 1) {
    reading.accuracy = accuracy(outputs, labels, k, 0, task.trainingPoints);
    if (heldOut) reading.heldOutAccuracy = accuracy(outputs, labels, k, task.trainingPoints, labels.length / k);
  }
  return reading;
}

/** Fraction of datapoints from..to−1 whose highest output is at their label's highest (the class). */
export function accuracy(outputs: ArrayLike<number>, labels: ArrayLike<number>, k: number, from: number, to: number): number {
  let right = 0;
  for (let d = from; d < to; d++) if (argmax(outputs, d * k, k) === argmax(labels, d * k, k)) right++;
  return right / (to - from);
}

/** Counts [true class][predicted class] over datapoints from..to−1 (class = highest label, prediction = highest output). */
export function confusionMatrix(outputs: ArrayLike<number>, labels: ArrayLike<number>, k: number, from: number, to: number): number[][] {
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let d = from; d < to; d++) counts[argmax(labels, d * k, k)][argmax(outputs, d * k, k)]++;
  return counts;
}

function argmax(v: ArrayLike<number>, at: number, k: number): number {
  let best = 0;
  for (let o = 1; o < k; o++) if (v[at + o] > v[at + best]) best = o;
  return best;
}
