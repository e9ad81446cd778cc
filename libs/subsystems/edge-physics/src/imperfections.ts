/**
 * Seeded imperfections, each off by default: per-transistor VTO and KP mismatch (drawn
 * independently for the free and clamped copies and fixed per "chip"), per-edge learning
 * rule offsets, and damage (an edge cut open or shorted from a chosen time on).
 */
import type { DamageEvent, Mismatch } from '@metatwin/contracts';
import { EDGE_OPEN, EDGE_SHORT, Rng, uniformTransistors, type Level1Params, type TransistorSet } from '@metatwin/physics';

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
