/**
 * Each twin edge's learning circuit (paper Eq. 4, Appendix B, Fig. 7):
 *   dG/dt = (V_F² − V_C²) / (V0·R0·C0)
 * with V_F, V_C the voltage drops across the free and clamped transistors of the edge.
 * The gate capacitor is held above G_min by a diode and cannot exceed the supply rail.
 * A per-edge offset (V²) models the small bias of each physical circuit that the paper
 * identifies as the source of its error floor.
 */
import type { LearningCircuit, LearningStages } from '@metatwin/contracts';
import type { Network } from '@metatwin/physics';

export type { LearningCircuit, LearningStages };

export const PAPER_LEARNING_CIRCUIT: LearningCircuit = Object.freeze({
  v0_V: 0.33,
  r0_Ohm: 100,
  c0_F: 22e-6,
  gMin_V: 1.1,
  gMax_V: 10,
});

/**
 * The paper's circuit as stages, ideal: the amplifiers' gain 11 halved by the averaging (5.5),
 * the AD633's V⊗ = 10 V, so V0 = 10/5.5² ≈ 0.331 V (Eq. B2's 0.33 V); every spread 0.
 */
export const PAPER_LEARNING_STAGES: LearningStages = Object.freeze({
  gain: 5.5,
  multiplierScale_V: 10,
  gainSigmaRel: 0,
  inputOffsetSigma_V: 0,
  scaleSigmaRel: 0,
  outputOffsetSigma_V: 0,
});

/** The amalgamated V0 of ideal stages (Eq. B2): V⊗ / gain². */
export function stagesV0_V(s: LearningStages): number {
  return s.multiplierScale_V / (s.gain * s.gain);
}

function validateStages(s: LearningStages): void {
  for (const key of ['gain', 'multiplierScale_V'] as const) {
    if (!(s[key] > 0) || !Number.isFinite(s[key])) throw new RangeError(`learning.stages.${key} must be a positive number, got ${s[key]}`);
  }
  for (const key of ['gainSigmaRel', 'inputOffsetSigma_V', 'scaleSigmaRel', 'outputOffsetSigma_V'] as const) {
    if (!(s[key] >= 0) || !Number.isFinite(s[key])) throw new RangeError(`learning.stages.${key} must be a σ ≥ 0, got ${s[key]}`);
  }
  const v0 = stagesV0_V(s);
  if (!(v0 > 0) || !Number.isFinite(v0)) throw new RangeError(`learning.stages: V⊗/gain² must be a positive V0, got ${v0}`);
}

export function validateLearningCircuit(c: LearningCircuit): void {
  for (const key of ['v0_V', 'r0_Ohm', 'c0_F'] as const) {
    if (!(c[key] > 0) || !Number.isFinite(c[key])) throw new RangeError(`learning.${key} must be a positive number, got ${c[key]}`);
  }
  if (!(c.gMax_V > c.gMin_V) || !Number.isFinite(c.gMin_V) || !Number.isFinite(c.gMax_V)) {
    throw new RangeError(`learning.gMin_V (${c.gMin_V}) must be below learning.gMax_V (${c.gMax_V})`);
  }
  if (c.floor !== undefined && c.floor !== 'clip' && c.floor !== 'diode') throw new RangeError(`learning.floor must be clip or diode, got ${JSON.stringify(c.floor)}`);
  if (c.stages !== undefined) {
    validateStages(c.stages);
    const v0 = stagesV0_V(c.stages);
    // One circuit, one V0: the amalgamated constant must be what the stages make.
    if (Math.abs(c.v0_V - v0) > 1e-9 * v0) throw new RangeError(`learning.v0_V (${c.v0_V} V) must equal the stages' V⊗/gain² (${v0} V), or be left out`);
  }
  if (c.enableJitterRel !== undefined && (!(c.enableJitterRel >= 0) || c.enableJitterRel > 1)) {
    throw new RangeError(`learning.enableJitterRel must be a relative σ in 0..1, got ${c.enableJitterRel}`);
  }
}

/**
 * Each edge's own learning circuit, drawn from LearningStages: the gains and offsets of the
 * two multiplier inputs, 1/V⊗, and the output offset (all per edge).
 */
export interface EdgeStages {
  readonly sumGain: Float64Array;
  readonly diffGain: Float64Array;
  readonly sumOffset_V: Float64Array;
  readonly diffOffset_V: Float64Array;
  readonly inverseScale_perV: Float64Array;
  readonly outputOffset_V: Float64Array;
}

/**
 * The floor diode, a 1N4148 (its widely used SPICE card: IS = 4.352 nA, N = 1.906; RS =
 * 0.65 Ω is left out beside R0 = 100 Ω), at 300 K: V_T = kT/q = 25.85 mV. Its anode sits on
 * the G_min source and its cathode on the gate, so it feeds the gate capacitor
 * I_D = IS·(exp((G_min − G)/(N·V_T)) − 1): only its reverse current −IS (nA) above G_min, a
 * growing forward current below it.
 */
export const FLOOR_DIODE_1N4148 = Object.freeze({ is_A: 4.352e-9, n: 1.906, vt_V: 0.025852 });

/**
 * The gate after dt (s) from g_V at a learning-circuit rate (V/s), with the floor diode
 * feeding the capacitor: C0·dG/dt = C0·rate + I_D(G). The diode term is taken implicitly
 * (linearised at g_V), so the knee's stiffness (C0/g_D down to a few ms) needs no smaller
 * step; the learning rate is explicit, as in the clipped model.
 */
export function stepAboveDiode(g_V: number, rate_Vps: number, dt_s: number, c: LearningCircuit): number {
  const { is_A, n, vt_V } = FLOOR_DIODE_1N4148;
  const nVt = n * vt_V;
  // exp is capped: a gate can only reach far below the floor through a huge forward current.
  const e = Math.exp(Math.min((c.gMin_V - g_V) / nVt, 80));
  const current_A = is_A * (e - 1);
  const conductance_S = (is_A * e) / nVt;
  return g_V + (dt_s * (c.c0_F * rate_Vps + current_A)) / (c.c0_F + dt_s * conductance_S);
}

/** V0·R0·C0 (V·s): the gate moves 1 V/s per V² of (V_F² − V_C²). */
export function learningTimeScale_Vs(c: LearningCircuit): number {
  return c.v0_V * c.r0_Ohm * c.c0_F;
}

/** The paper's τ0 = (G_rng / V_max²)·V0·R0·C0 ≈ 18 ms for G_rng = 5 V, V_max = 0.45 V (Eq. B1). */
export function tau0_s(c: LearningCircuit, gRange_V = 5, vMax_V = 0.45): number {
  return (gRange_V / (vMax_V * vMax_V)) * learningTimeScale_Vs(c);
}

/**
 * Gate rates dG/dt (V/s) of every edge from the free and clamped node voltages.
 * @param offset_V2 per-edge bias added to V_F² − V_C², or null
 * @param stages each edge's own circuit (then the multiplier's W − Z = X·Y/V⊗ + offset
 *   drives (W − Z)/R0 into C0), or null: the amalgamated V0 for every edge
 */
export function gateRates(
  network: Network,
  free_V: Float64Array,
  clamped_V: Float64Array,
  offset_V2: Float64Array | null,
  c: LearningCircuit,
  out_Vps: Float64Array,
  stages: EdgeStages | null = null,
): void {
  const inv = 1 / learningTimeScale_Vs(c);
  const invRC = 1 / (c.r0_Ohm * c.c0_F);
  const { edgeA, edgeB, edgeCount } = network;
  for (let e = 0; e < edgeCount; e++) {
    const a = edgeA[e];
    const b = edgeB[e];
    const dF = free_V[a] - free_V[b];
    const dC = clamped_V[a] - clamped_V[b];
    if (stages === null) {
      // The amalgamated V0, in the arithmetic runs have always used (recorded runs re-drive bit for bit).
      let drive = dF * dF - dC * dC;
      if (offset_V2 !== null) drive += offset_V2[e];
      out_Vps[e] = drive * inv;
    } else {
      const x = stages.sumGain[e] * (dF + dC + stages.sumOffset_V[e]);
      const y = stages.diffGain[e] * (dF - dC + stages.diffOffset_V[e]);
      const rate = (x * y * stages.inverseScale_perV[e] + stages.outputOffset_V[e]) * invRC;
      out_Vps[e] = offset_V2 === null ? rate : rate + offset_V2[e] * inv;
    }
  }
}

/**
 * Charging power dissipated in R0 by each learning circuit (W), Eq. D1:
 * (V_F² − V_C²)² / (V0²·R0). Returns the total.
 */
export function chargingPowers(network: Network, free_V: Float64Array, clamped_V: Float64Array, c: LearningCircuit, out_W: Float64Array): number {
  const k = 1 / (c.v0_V * c.v0_V * c.r0_Ohm);
  const { edgeA, edgeB, edgeCount } = network;
  let total = 0;
  for (let e = 0; e < edgeCount; e++) {
    const dF = free_V[edgeA[e]] - free_V[edgeB[e]];
    const dC = clamped_V[edgeA[e]] - clamped_V[edgeB[e]];
    const drive = dF * dF - dC * dC;
    out_W[e] = drive * drive * k;
    total += out_W[e];
  }
  return total;
}
