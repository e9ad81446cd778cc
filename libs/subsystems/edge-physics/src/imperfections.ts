/**
 * Seeded imperfections, each off by default: per-transistor VTO and KP mismatch (drawn
 * independently for the free and clamped copies and fixed per "chip"), per-edge learning
 * rule offsets, each edge's learning-circuit stages, learn-enable jitter, and damage (an edge
 * cut open or shorted from a chosen time on).
 */
import type { DamageEvent, LearningStages, Mismatch } from '@metatwin/contracts';
import { EDGE_OPEN, EDGE_SHORT, RNG_STREAM, Rng, counterUniform, uniformTransistors, type Level1Params, type TransistorSet } from '@metatwin/physics';
import type { EdgeStages } from './learning-rule';

export type { DamageEvent, Mismatch };

/** One copy's transistors with mismatch drawn from `rng` (no mismatch when sigmas are 0). */
export function mismatchedTransistors(edgeCount: number, card: Level1Params, mismatch: Mismatch | null, rng: Rng): TransistorSet {
  const set = uniformTransistors(edgeCount, card);
  if (mismatch === null) return set;
  if (!(mismatch.vtoSigma_V >= 0) || !(mismatch.kpRelSigma >= 0)) {
    throw new RangeError(`mismatch sigmas must be ≥ 0, got vtoSigma_V=${mismatch.vtoSigma_V}, kpRelSigma=${mismatch.kpRelSigma}`);
  }
  for (let e = 0; e < edgeCount; e++) {
    set.vto_V[e] = card.vto_V + mismatch.vtoSigma_V * rng.normal();
    set.beta_AperV2[e] = Math.max(1e-3, 1 + mismatch.kpRelSigma * rng.normal()) * card.beta_AperV2;
  }
  return set;
}

/** Per-edge learning-rule offsets (V², added to V_F² − V_C²) with σ = sigma_V2. */
export function learningOffsets(edgeCount: number, sigma_V2: number, rng: Rng): Float64Array {
  if (!(sigma_V2 >= 0) || !Number.isFinite(sigma_V2)) throw new RangeError(`learning offset sigma must be ≥ 0 V², got ${sigma_V2}`);
  const out = new Float64Array(edgeCount);
  for (let e = 0; e < edgeCount; e++) out[e] = sigma_V2 * rng.normal();
  return out;
}

export function validateDamage(events: ReadonlyArray<DamageEvent>, edgeCount: number): void {
  events.forEach((d, i) => {
    if (!Number.isInteger(d.edge) || d.edge < 0 || d.edge >= edgeCount) throw new RangeError(`damage[${i}].edge must be an edge index in 0..${edgeCount - 1}, got ${d.edge}`);
    if (d.kind !== 'open' && d.kind !== 'short') throw new RangeError(`damage[${i}].kind must be "open" or "short", got ${JSON.stringify(d.kind)}`);
    if (!(d.at_s >= 0) || !Number.isFinite(d.at_s)) throw new RangeError(`damage[${i}].at_s must be a time ≥ 0 s, got ${d.at_s}`);
  });
}

/** Apply one damage event to a copy's transistors. */
export function applyDamage(set: TransistorSet, event: DamageEvent): void {
  set.edgeState[event.edge] = event.kind === 'open' ? EDGE_OPEN : EDGE_SHORT;
}

/** Each edge's learning circuit drawn from the stages' spreads (ideal stages draw nothing). */
export function drawEdgeStages(edgeCount: number, stages: LearningStages, rng: Rng): EdgeStages {
  const values = (mean: number, sigma: number, relative: boolean): Float64Array => {
    const out = new Float64Array(edgeCount);
    for (let e = 0; e < edgeCount; e++) out[e] = sigma === 0 ? mean : relative ? mean * (1 + sigma * rng.normal()) : mean + sigma * rng.normal();
    return out;
  };
  const scale_V = values(stages.multiplierScale_V, stages.scaleSigmaRel, true);
  return {
    sumGain: values(stages.gain, stages.gainSigmaRel, true),
    diffGain: values(stages.gain, stages.gainSigmaRel, true),
    sumOffset_V: values(0, stages.inputOffsetSigma_V, false),
    diffOffset_V: values(0, stages.inputOffsetSigma_V, false),
    inverseScale_perV: scale_V.map((v) => 1 / v),
    outputOffset_V: values(0, stages.outputOffsetSigma_V, false),
  };
}

/**
 * Edge e's learn-enable time in the step that starts at learning time t_ns, relative to t_h:
 * max(0, 1 + σ·n), n a standard normal drawn from (seed, step start, edge) alone, so a step
 * re-driven after a restart draws what it drew the first time.
 */
export function enableFactor(seed: number, sigmaRel: number, stepStart_ns: number, edge: number, edgeCount: number): number {
  const counter = 2 * (Math.round(stepStart_ns / 1000) * edgeCount + edge);
  const u1 = counterUniform(seed, RNG_STREAM.enable, counter);
  const u2 = counterUniform(seed, RNG_STREAM.enable, counter + 1);
  const n = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  return Math.max(0, 1 + sigmaRel * n);
}
