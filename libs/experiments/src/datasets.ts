/**
 * Datasets of the paper's tasks. Regression (Fig. 4, 5): `points` inputs evenly spaced on
 * [0, V_max], labels piecewise linear from (0, a) to (b, c), then flat at c.
 */
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
