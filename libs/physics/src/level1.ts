/**
 * SPICE Level-1 (Shichman–Hodges) N-channel MOSFET with its body tied to ground, written
 * the way SPICE3/ngspice's mos1load evaluates it so that a DC solve here agrees with a
 * SPICE `.op` of the same circuit. The terminal at the higher voltage is the drain, so an
 * edge conducts both ways; the current, gm, gds and gmbs are continuous wherever SPICE's are.
 *
 * Units: volts, amperes, siemens. beta = KP·W/L (A/V²).
 */

/** Model-card parameters of one transistor type. */
export interface Level1Params {
  /** Zero-bias threshold voltage VTO (V). */
  readonly vto_V: number;
  /** Transconductance factor beta = KP·W/L (A/V²). */
  readonly beta_AperV2: number;
  /** Body-effect coefficient GAMMA (√V); 0 gives the paper's bare law K ∝ G − Vth − V̄. */
  readonly gamma_sqrtV: number;
  /** Surface potential PHI (V). */
  readonly phi_V: number;
  /** Channel-length modulation LAMBDA (1/V). */
  readonly lambda_perV: number;
}

/**
 * Defaults: VTO = 0.7 V (the paper's Vth) and beta = 0.45 mA/V², so that an edge at
 * G = 3 V with V̄ ≈ 0.1 V conducts ≈ 1 mS (1 kΩ), as in the paper's Fig. 6; no body effect
 * and no channel-length modulation (the paper's reduced law, Eq. A1).
 */
export const DEFAULT_LEVEL1: Level1Params = Object.freeze({
  vto_V: 0.7,
  beta_AperV2: 4.5e-4,
  gamma_sqrtV: 0,
  phi_V: 0.6,
  lambda_perV: 0,
});

/**
 * The card fitted to the ALD1106 for a published SPICE reproduction of the paper
 * (VTO 0.75 V, KP 62.496 µA/V², W 138 µm, L 7.8 µm, GAMMA 1.09, PHI 0.95, LAMBDA 0.2).
 */
export const ALD1106_FITTED: Level1Params = Object.freeze({
  vto_V: 0.75,
  beta_AperV2: (6.2496e-5 * 138) / 7.8,
  gamma_sqrtV: 1.09,
  phi_V: 0.95,
  lambda_perV: 0.2,
});

/**
 * Result slots of one evaluation, in a reused Float64Array (typed-array stores keep the
 * kernel inlinable and allocation-free): [DRAIN_ID] drain current drain → source (A, ≥ 0),
 * [DRAIN_GDS] ∂id/∂Vds, [DRAIN_GM] ∂id/∂Vgs, [DRAIN_GMBS] ∂id/∂Vbs (S).
 */
export type DrainResult = Float64Array;
export const DRAIN_ID = 0;
export const DRAIN_GDS = 1;
export const DRAIN_GM = 2;
export const DRAIN_GMBS = 3;

export function newDrainResult(): DrainResult {
  return new Float64Array(4);
}

/**
 * Evaluate the Level-1 drain current for drain voltage vd ≥ source voltage vs, gate g,
 * bulk at 0 V. Writes into `out`; allocates nothing.
 */
export function level1Drain(vd: number, vs: number, g: number, vto: number, beta: number, gamma: number, phi: number, lambda: number, out: DrainResult): void {
  const vds = vd - vs;
  const vbs = -vs;
  let von = vto;
  let arg = 0;
  if (gamma !== 0) {
    const sqrtPhi = Math.sqrt(phi);
    let sarg: number;
    if (vbs <= 0) {
      sarg = Math.sqrt(phi - vbs);
    } else {
      // SPICE's continuation for a forward-biased source junction.
      sarg = sqrtPhi - vbs / (sqrtPhi + sqrtPhi);
      if (sarg < 0) sarg = 0;
    }
    von = vto + gamma * (sarg - sqrtPhi);
    arg = sarg > 0 ? gamma / (sarg + sarg) : 0;
  }
  const vgst = g - vs - von;
  if (vgst <= 0) {
    out[DRAIN_ID] = 0;
    out[DRAIN_GDS] = 0;
    out[DRAIN_GM] = 0;
    out[DRAIN_GMBS] = 0;
    return;
  }
  const betap = beta * (1 + lambda * vds);
  if (vgst <= vds) {
    // Saturation.
    out[DRAIN_ID] = betap * vgst * vgst * 0.5;
    out[DRAIN_GM] = betap * vgst;
    out[DRAIN_GDS] = lambda * beta * vgst * vgst * 0.5;
  } else {
    // Triode (the paper's operating region).
    out[DRAIN_ID] = betap * vds * (vgst - 0.5 * vds);
    out[DRAIN_GM] = betap * vds;
    out[DRAIN_GDS] = betap * (vgst - vds) + lambda * beta * vds * (vgst - 0.5 * vds);
  }
  out[DRAIN_GMBS] = out[DRAIN_GM] * arg;
}

/** Region of operation of an edge, for reports and tests. */
export type Region = 'cutoff' | 'triode' | 'saturation';

export function level1Region(va: number, vb: number, g: number, p: Level1Params): Region {
  const vs = Math.min(va, vb);
  const vds = Math.abs(va - vb);
  const sqrtPhi = Math.sqrt(p.phi_V);
  const vbs = -vs;
  let von = p.vto_V;
  if (p.gamma_sqrtV !== 0) {
    const sarg = vbs <= 0 ? Math.sqrt(p.phi_V - vbs) : Math.max(0, sqrtPhi - vbs / (2 * sqrtPhi));
    von = p.vto_V + p.gamma_sqrtV * (sarg - sqrtPhi);
  }
  const vgst = g - vs - von;
  if (vgst <= 0) return 'cutoff';
  return vgst <= vds ? 'saturation' : 'triode';
}

/**
 * Per-edge transistor parameters of one network copy. VTO and beta are per edge so device
 * mismatch and damage can differ edge by edge and between the free and clamped copies.
 */
export interface TransistorSet {
  readonly vto_V: Float64Array;
  readonly beta_AperV2: Float64Array;
  readonly gamma_sqrtV: number;
  readonly phi_V: number;
  readonly lambda_perV: number;
  /** 0 = intact, 1 = cut open (no channel current), 2 = shorted (a linear shortConductance_S). */
  readonly edgeState: Uint8Array;
  readonly shortConductance_S: number;
}

export const EDGE_INTACT = 0;
export const EDGE_OPEN = 1;
export const EDGE_SHORT = 2;

/** Validate a model card once at the public entry. */
export function validateLevel1(p: Level1Params, where = 'transistor'): void {
  const check = (name: string, v: number, ok: boolean, allowed: string): void => {
    if (!Number.isFinite(v) || !ok) throw new RangeError(`${where}.${name} must be ${allowed}, got ${v}`);
  };
  check('vto_V', p.vto_V, true, 'a finite number of volts');
  check('beta_AperV2', p.beta_AperV2, p.beta_AperV2 > 0, '> 0 A/V²');
  check('gamma_sqrtV', p.gamma_sqrtV, p.gamma_sqrtV >= 0, '≥ 0 √V');
  check('phi_V', p.phi_V, p.phi_V > 0, '> 0 V');
  check('lambda_perV', p.lambda_perV, p.lambda_perV >= 0, '≥ 0 1/V');
}

/** Every edge with the same card. */
export function uniformTransistors(edgeCount: number, p: Level1Params, shortConductance_S = 1): TransistorSet {
  validateLevel1(p);
  return {
    vto_V: new Float64Array(edgeCount).fill(p.vto_V),
    beta_AperV2: new Float64Array(edgeCount).fill(p.beta_AperV2),
    gamma_sqrtV: p.gamma_sqrtV,
    phi_V: p.phi_V,
    lambda_perV: p.lambda_perV,
    edgeState: new Uint8Array(edgeCount),
    shortConductance_S,
  };
}
