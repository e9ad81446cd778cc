/**
 * Dissipated power (paper Appendix D). Inference power is Σ_e I_e·ΔV_e (= Σ K·ΔV² with
 * K = I/ΔV); energy per inference assumes τ_V of equilibrium-level dissipation (2 µs in
 * the paper). The learning circuit's charging power through R0 is Eq. D1.
 */
import type { Network } from './network';

/** Default equilibration time used for energy per inference (s). */
export const DEFAULT_EQUILIBRATION_TIME_S = 2e-6;

/**
 * Per-edge dissipated power (W), written into `out`; returns the total (W).
 * @param currents_A channel current per edge, signed a → b
 */
export function edgePowers(network: Network, voltages_V: Float64Array, currents_A: Float64Array, out: Float64Array): number {
  const { edgeA, edgeB, edgeCount } = network;
  let total = 0;
  for (let e = 0; e < edgeCount; e++) {
    const p = currents_A[e] * (voltages_V[edgeA[e]] - voltages_V[edgeB[e]]);
    out[e] = p;
    total += p;
  }
  return total;
}

/** Energy of one inference (J): power held for the equilibration time τ_V. */
export function energyPerInference(totalPower_W: number, equilibrationTime_s = DEFAULT_EQUILIBRATION_TIME_S): number {
  if (!(equilibrationTime_s > 0)) throw new RangeError(`equilibration time must be > 0 s, got ${equilibrationTime_s}`);
  return totalPower_W * equilibrationTime_s;
}
