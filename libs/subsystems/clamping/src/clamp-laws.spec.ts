import { clampCircuit, coupledOutput, etaOfWiper } from './clamp-laws';

describe('clamping laws', () => {
  it('Coupled Learning holds O^C = ηL + (1 − η)O (Eq. 6); η = 1 clamps the label', () => {
    const out = new Float64Array(2);
    clampCircuit({ kind: 'coupled', eta: 0.5 }).clamp([0.2, 0.3], [0.1, 0.4], out);
    expect(out[0]).toBeCloseTo(0.15, 15);
    expect(out[1]).toBeCloseTo(0.35, 15);
    expect(coupledOutput(0.2, 0.31, 1)).toBe(0.31);
  });

  it('differential clamp satisfies Eq. 7 and recreates Eq. 6 on O+ − O−', () => {
    const out = new Float64Array(2);
    const [op, om, l, eta] = [0.25, 0.2, -0.087, 0.5];
    clampCircuit({ kind: 'differential', eta }).clamp([op, om], [l], out);
    const o = op - om;
    expect(out[0]).toBeCloseTo(op + (eta / 2) * (l - o), 15);
    expect(out[1]).toBeCloseTo(om - (eta / 2) * (l - o), 15);
    expect(out[0] - out[1]).toBeCloseTo(eta * l + (1 - eta) * o, 15);
    // The common mode is untouched: the label circuit only moves the difference.
    expect(out[0] + out[1]).toBeCloseTo(op + om, 15);
  });

  it('Equilibrium Propagation injects β(L − O); its differential form pushes the pair apart', () => {
    const out = new Float64Array(2);
    const ep = clampCircuit({ kind: 'equilibrium-propagation', beta_S: 1e-3 });
    expect(ep.drives).toBe('current');
    ep.clamp([0.2], [0.3], out);
    expect(out[0]).toBeCloseTo(1e-4, 18);
    clampCircuit({ kind: 'differential-equilibrium-propagation', beta_S: 2e-3 }).clamp([0.3, 0.2], [0.2], out);
    expect(out[0]).toBeCloseTo(1e-4, 18);
    expect(out[1]).toBeCloseTo(-1e-4, 18);
  });

  it('rejects η outside (0, 1] and β ≤ 0 with the field named', () => {
    expect(() => clampCircuit({ kind: 'coupled', eta: 0 })).toThrow(/clamp\.eta/);
    expect(() => clampCircuit({ kind: 'differential', eta: 1.5 })).toThrow(/clamp\.eta/);
    expect(() => clampCircuit({ kind: 'equilibrium-propagation', beta_S: -1 })).toThrow(/clamp\.beta_S/);
    expect(() => clampCircuit({ kind: 'nope' } as never)).toThrow(/clamp\.kind/);
  });

  it('realises η from the AD5220 wiper position', () => {
    expect(etaOfWiper(64)).toBe(64 / 127);
    expect(etaOfWiper(127)).toBe(1);
    expect(() => etaOfWiper(128)).toThrow(/wiper position/);
  });
});
