import { ALD1106_FITTED, DEFAULT_LEVEL1, DRAIN_GDS, DRAIN_GM, DRAIN_GMBS, DRAIN_ID, level1Drain, level1Region, newDrainResult, type Level1Params } from './level1';

const out = newDrainResult();
const id = (vd: number, vs: number, g: number, p: Level1Params): number => {
  level1Drain(vd, vs, g, p.vto_V, p.beta_AperV2, p.gamma_sqrtV, p.phi_V, p.lambda_perV, out);
  return out[DRAIN_ID];
};

describe('Level-1 NMOS, body at ground', () => {
  const p: Level1Params = { vto_V: 0.7, beta_AperV2: 1e-3, gamma_sqrtV: 0, phi_V: 0.6, lambda_perV: 0 };

  it('is cut off when G − Vs ≤ VTO', () => {
    expect(id(0.4, 0.2, 0.9, p)).toBe(0);
    expect(id(0.4, 0.2, 0.85, p)).toBe(0);
    expect(level1Region(0.4, 0.2, 0.85, p)).toBe('cutoff');
  });

  it('follows the triode square law by hand: β[(G − Vth − Vs)·Vds − Vds²/2]', () => {
    // G = 3, Vs = 0.1, Vd = 0.3: vgst = 2.2, vds = 0.2 → 1e-3·(2.2·0.2 − 0.02) = 4.2e-4 A
    expect(id(0.3, 0.1, 3, p)).toBeCloseTo(4.2e-4, 15);
    expect(level1Region(0.3, 0.1, 3, p)).toBe('triode');
    // The paper's Eq. A2: I = β(G − Vth − V̄)·ΔV with V̄ = 0.2
    expect(id(0.3, 0.1, 3, p)).toBeCloseTo(1e-3 * (3 - 0.7 - 0.2) * 0.2, 15);
  });

  it('saturates at β·vgst²/2 when Vds ≥ G − Vs − VTO', () => {
    // G = 1.1, Vs = 0.1: vgst = 0.3 < vds = 0.35 → 1e-3·0.09/2
    expect(id(0.45, 0.1, 1.1, p)).toBeCloseTo(4.5e-5, 15);
    expect(level1Region(0.45, 0.1, 1.1, p)).toBe('saturation');
  });

  it('raises the threshold with the source voltage through GAMMA (body effect)', () => {
    const q = { ...p, gamma_sqrtV: 1.09, phi_V: 0.95 };
    // Vth(Vs = 0.4) = 0.7 + 1.09(√1.35 − √0.95) = 0.7 + 1.09·0.16727 = 0.88232
    const vth = 0.7 + 1.09 * (Math.sqrt(1.35) - Math.sqrt(0.95));
    const vgst = 2 - 0.4 - vth;
    expect(id(0.45, 0.4, 2, q)).toBeCloseTo(1e-3 * (vgst * 0.05 - (0.05 * 0.05) / 2), 15);
    expect(vth - 0.7).toBeGreaterThan(0.1);
  });

  it('scales current by (1 + λ·Vds) (channel-length modulation)', () => {
    const q = { ...p, lambda_perV: 0.2 };
    expect(id(0.3, 0.1, 3, q)).toBeCloseTo(4.2e-4 * (1 + 0.2 * 0.2), 15);
  });

  it('has derivatives that match finite differences in every region', () => {
    const h = 1e-7;
    for (const card of [DEFAULT_LEVEL1, ALD1106_FITTED]) {
      for (const [vd, vs, g] of [
        [0.3, 0.1, 3],
        [0.45, 0.1, 1.3],
        [0.2, 0.05, 1.1],
        [0.44, 0.02, 0.95],
      ]) {
        level1Drain(vd, vs, g, card.vto_V, card.beta_AperV2, card.gamma_sqrtV, card.phi_V, card.lambda_perV, out);
        const [gds, gm, gmbs] = [out[DRAIN_GDS], out[DRAIN_GM], out[DRAIN_GMBS]];
        // vds, vgs, vbs as independent variables: vd = vs + vds, g = vs + vgs, bulk 0 = vs + vbs
        const f = (dVds: number, dVgs: number, dVbs: number): number => {
          // Moving vbs by δ means moving the source by −δ with vds and vgs held.
          const vs2 = vs - dVbs;
          return id(vs2 + (vd - vs) + dVds, vs2, vs2 + (g - vs) + dVgs, card);
        };
        const scale = Math.max(1e-6, Math.abs(gds) + Math.abs(gm));
        expect(Math.abs((f(h, 0, 0) - f(-h, 0, 0)) / (2 * h) - gds)).toBeLessThan(1e-6 * scale);
        expect(Math.abs((f(0, h, 0) - f(0, -h, 0)) / (2 * h) - gm)).toBeLessThan(1e-6 * scale);
        expect(Math.abs((f(0, 0, h) - f(0, 0, -h)) / (2 * h) - gmbs)).toBeLessThan(1e-6 * scale);
      }
    }
  });

  it('is continuous at the triode/saturation and cutoff boundaries', () => {
    const q = ALD1106_FITTED;
    const vs = 0.1;
    level1Drain(0.1, vs, 2, q.vto_V, q.beta_AperV2, q.gamma_sqrtV, q.phi_V, q.lambda_perV, out);
    // find vdsat = vgst by evaluating the threshold through a current of zero vds
    const vth = q.vto_V + q.gamma_sqrtV * (Math.sqrt(q.phi_V + vs) - Math.sqrt(q.phi_V));
    const vdsat = 2 - vs - vth;
    const below = id(vs + vdsat - 1e-9, vs, 2, q);
    const above = id(vs + vdsat + 1e-9, vs, 2, q);
    expect(Math.abs(above - below)).toBeLessThan(1e-11);
    const gCut = vs + vth;
    expect(id(0.4, vs, gCut + 1e-9, q)).toBeLessThan(1e-15);
    expect(id(0.4, vs, gCut - 1e-9, q)).toBe(0);
  });
});
