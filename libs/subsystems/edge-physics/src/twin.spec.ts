import { ALD1106_FITTED, DEFAULT_LEVEL1, paperLattice, uniformTransistors, type Level1Params } from '@metatwin/physics';
import { TwinNetwork, type ClampPort, type TwinConfig } from './twin';
import { PAPER_LEARNING_CIRCUIT, chargingPowers, stepAboveDiode, tau0_s } from './learning-rule';
import { learningOffsets, mismatchedTransistors } from './imperfections';
import { Rng } from '@metatwin/physics';

// The clamp laws the twin is driven with here (Eq. 6 and App. F), written out: a subsystem's
// specs do not import another subsystem; the clamping subsystem tests its own laws.
const coupledClamp = (eta: number): ClampPort => ({
  drives: 'voltage',
  clamp: (o, l, out) => {
    for (let i = 0; i < l.length; i++) out[i] = eta * l[i] + (1 - eta) * o[i];
  },
});
const epClamp = (beta_S: number): ClampPort => ({
  drives: 'current',
  clamp: (o, l, out) => {
    for (let i = 0; i < l.length; i++) out[i] = beta_S * (l[i] - o[i]);
  },
});

// Regression placement: V− at 0, V+ at 2, input at 5, output at 10.
const HELD = [0, 2, 5];
const OUTPUT = [10];

function regressionTwin(card: Level1Params = DEFAULT_LEVEL1, extra: Partial<TwinConfig> = {}, gates = 2.5): TwinNetwork {
  const network = paperLattice();
  return new TwinNetwork(
    {
      network,
      freeTransistors: uniformTransistors(32, card),
      clampedTransistors: uniformTransistors(32, card),
      heldNodes: HELD,
      outputNodes: OUTPUT,
      clampDrives: 'voltage',
      ...extra,
    },
    Array.from({ length: 32 }, (_, e) => gates + 0.05 * Math.sin(e)),
  );
}

const held = [0, 0.45, 0.3];
const cl = coupledClamp(1);

describe('twin network learning rule', () => {
  it('leaves the gates still when the label equals the free output', () => {
    const twin = regressionTwin();
    const out = new Float64Array(1);
    twin.infer(held, out);
    const before = Float64Array.from(twin.gates_V);
    twin.learnEnabled = true;
    const r = twin.trainStep(held, [out[0]], cl, 100e-6);
    expect(r.ok).toBe(true);
    for (let e = 0; e < 32; e++) expect(Math.abs(twin.gates_V[e] - before[e])).toBeLessThan(1e-12);
  });

  it('moves the gates so that the output rises toward a higher label (and falls toward a lower one)', () => {
    for (const card of [DEFAULT_LEVEL1, ALD1106_FITTED]) {
      for (const delta of [0.05, -0.05]) {
        const twin = regressionTwin(card);
        const out = new Float64Array(1);
        twin.infer(held, out);
        const o0 = out[0];
        twin.learnEnabled = true;
        for (let k = 0; k < 20; k++) expect(twin.trainStep(held, [o0 + delta], cl, 100e-6).ok).toBe(true);
        twin.infer(held, out);
        expect(Math.sign(out[0] - o0)).toBe(Math.sign(delta));
        expect(Math.abs(out[0] - o0)).toBeGreaterThan(1e-4);
      }
    }
  });

  it('has edges move by dG = (V_F² − V_C²)·t_h/(V0·R0·C0) in one Euler step', () => {
    const twin = regressionTwin();
    const before = Float64Array.from(twin.gates_V);
    twin.learnEnabled = true;
    twin.trainStep(held, [0.1], cl, 100e-6);
    const { edgeA, edgeB } = twin.network;
    // The voltages are those at the start of the step; recompute the expected move.
    const fresh = regressionTwin();
    fresh.applyHeld(held);
    fresh.solveFree();
    fresh.applyClamp([0.1]);
    fresh.solveClamped();
    for (let e = 0; e < 32; e++) {
      const dF = fresh.freeVoltages_V[edgeA[e]] - fresh.freeVoltages_V[edgeB[e]];
      const dC = fresh.clampedVoltages_V[edgeA[e]] - fresh.clampedVoltages_V[edgeB[e]];
      const expected = Math.max(1.1, before[e] + ((dF * dF - dC * dC) * 100e-6) / (0.33 * 100 * 22e-6));
      expect(twin.gates_V[e]).toBeCloseTo(expected, 12);
    }
  });

  it('holds gates at the 1.1 V diode floor', () => {
    const twin = regressionTwin(DEFAULT_LEVEL1, {}, 1.1);
    twin.gates_V.fill(1.1);
    twin.learnEnabled = true;
    for (let k = 0; k < 200; k++) twin.trainStep(held, [0.0], cl, 100e-6);
    for (let e = 0; e < 32; e++) expect(twin.gates_V[e]).toBeGreaterThanOrEqual(1.1);
    expect(Math.min(...twin.gates_V)).toBe(1.1); // some edges want to go lower and are stopped
  });

  it('freezes the gates and the learning clock while learn-enable is off', () => {
    const twin = regressionTwin();
    const before = Float64Array.from(twin.gates_V);
    twin.learnEnabled = false;
    twin.trainStep(held, [0.0], cl, 100e-6);
    expect(Array.from(twin.gates_V)).toEqual(Array.from(before));
    expect(twin.time_s).toBe(0);
    twin.learnEnabled = true;
    twin.trainStep(held, [0.0], cl, 100e-6);
    expect(twin.time_s).toBeCloseTo(100e-6, 15);
  });

  it('converges to the continuous dynamics as substeps grow (first order)', () => {
    const run = (substeps: number): Float64Array => {
      const twin = regressionTwin(ALD1106_FITTED);
      twin.learnEnabled = true;
      twin.trainStep(held, [0.05], coupledClamp(0.5), 5e-3, substeps);
      return twin.gates_V;
    };
    const reference = run(512);
    const err = (g: Float64Array): number => Math.max(...g.map((x, e) => Math.abs(x - reference[e])));
    const e4 = err(run(4));
    const e16 = err(run(16));
    const e64 = err(run(64));
    expect(e4).toBeGreaterThan(0);
    expect(e16).toBeLessThan(e4 / 2.5);
    expect(e64).toBeLessThan(e16 / 2.5);
  });

  it('learning-rule offsets move gates even when the label is met (the bias the paper reports)', () => {
    const twin = regressionTwin(DEFAULT_LEVEL1, { learningOffset_V2: learningOffsets(32, 1e-4, new Rng(1)) });
    const out = new Float64Array(1);
    twin.infer(held, out);
    const before = Float64Array.from(twin.gates_V);
    twin.learnEnabled = true;
    twin.trainStep(held, [out[0]], cl, 100e-6);
    expect(Math.max(...twin.gates_V.map((g, e) => Math.abs(g - before[e])))).toBeGreaterThan(1e-6);
  });

  it('cuts or shorts a damaged edge from its time on', () => {
    const twin = regressionTwin(DEFAULT_LEVEL1, { damage: [{ edge: 3, kind: 'open', at_s: 200e-6 }] });
    twin.learnEnabled = true;
    twin.trainStep(held, [0.2], cl, 100e-6);
    expect(Math.abs(twin.currents('free')[3])).toBeGreaterThan(1e-7);
    twin.trainStep(held, [0.2], cl, 100e-6);
    twin.trainStep(held, [0.2], cl, 100e-6);
    expect(twin.currents('free')[3]).toBe(0);
  });

  it('gives each copy its own mismatched transistors when asked', () => {
    const rng = new Rng(5);
    const free = mismatchedTransistors(32, DEFAULT_LEVEL1, { vtoSigma_V: 0.01, kpRelSigma: 0.005 }, rng);
    const clamped = mismatchedTransistors(32, DEFAULT_LEVEL1, { vtoSigma_V: 0.01, kpRelSigma: 0.005 }, rng);
    expect(free.vto_V[0]).not.toBe(clamped.vto_V[0]);
    const twin = regressionTwin(DEFAULT_LEVEL1, { freeTransistors: free, clampedTransistors: clamped });
    const out = new Float64Array(1);
    twin.infer(held, out);
    const before = Float64Array.from(twin.gates_V);
    // With mismatch, clamping to the free output no longer gives V_F = V_C everywhere.
    twin.learnEnabled = true;
    twin.trainStep(held, [out[0]], cl, 100e-6);
    expect(Math.max(...twin.gates_V.map((g, e) => Math.abs(g - before[e])))).toBeGreaterThan(0);
  });

  it('reports power: learning charging power stays under the D1 bound', () => {
    const twin = regressionTwin();
    twin.applyHeld(held);
    twin.solveFree();
    twin.applyClamp([0.0]);
    twin.solveClamped();
    const each = new Float64Array(32);
    const total = chargingPowers(twin.network, twin.freeVoltages_V, twin.clampedVoltages_V, PAPER_LEARNING_CIRCUIT, each);
    const bound = 0.45 ** 4 / (0.33 ** 2 * 100); // ≈ 3.8 mW
    for (const p of each) expect(p).toBeLessThanOrEqual(bound);
    expect(total).toBeGreaterThan(0);
    expect(twin.freePower()).toBeGreaterThan(0);
    expect(tau0_s(PAPER_LEARNING_CIRCUIT) * 1e3).toBeCloseTo(17.9, 1);
  });

  it('integrates the charging power of Eq. D1 over learning time, and a restored state goes on from its energy', () => {
    const twin = regressionTwin();
    const fresh = regressionTwin();
    fresh.applyHeld(held);
    fresh.solveFree();
    fresh.applyClamp([0.1]);
    fresh.solveClamped();
    const power_W = chargingPowers(fresh.network, fresh.freeVoltages_V, fresh.clampedVoltages_V, PAPER_LEARNING_CIRCUIT, new Float64Array(32));
    twin.learnEnabled = true;
    twin.trainStep(held, [0.1], cl, 100e-6);
    expect(twin.learningEnergy_J).toBeGreaterThan(0);
    expect(twin.learningEnergy_J).toBeCloseTo(power_W * 100e-6, 18);
    // Frozen learning dissipates nothing in R0.
    twin.learnEnabled = false;
    twin.trainStep(held, [0.1], cl, 100e-6);
    expect(twin.learningEnergy_J).toBeCloseTo(power_W * 100e-6, 18);
    const other = regressionTwin();
    other.restoreState(Float64Array.from(twin.gates_V), twin.warmStarts(), 100_000, twin.learningEnergy_J);
    expect(other.learningEnergy_J).toBe(twin.learningEnergy_J);
  });

  it('rejects bad configuration with a message naming it', () => {
    expect(() => regressionTwin(DEFAULT_LEVEL1, { heldNodes: [0, 99] })).toThrow(/heldNodes\[1\]/);
    expect(() => regressionTwin(DEFAULT_LEVEL1, { outputNodes: [0] })).toThrow(/two roles/);
    expect(() => regressionTwin(DEFAULT_LEVEL1, { damage: [{ edge: 40, kind: 'open', at_s: 0 }] })).toThrow(/damage\[0\]\.edge/);
  });
});

describe('equilibrium propagation clamp', () => {
  it('injects β(L − O) into the clamped output and nudges the output toward the label', () => {
    const network = paperLattice();
    const twin = new TwinNetwork(
      {
        network,
        freeTransistors: uniformTransistors(32, DEFAULT_LEVEL1),
        clampedTransistors: uniformTransistors(32, DEFAULT_LEVEL1),
        heldNodes: HELD,
        outputNodes: OUTPUT,
        clampDrives: 'current',
      },
      new Array(32).fill(2.5),
    );
    const ep = epClamp(1e-3);
    const out = new Float64Array(1);
    twin.infer(held, out);
    const o0 = out[0];
    twin.learnEnabled = true;
    for (let k = 0; k < 30; k++) expect(twin.trainStep(held, [o0 + 0.05], ep, 100e-6).ok).toBe(true);
    expect(twin.clampedVoltages_V[10]).toBeGreaterThan(twin.freeVoltages_V[10]);
    twin.infer(held, out);
    expect(out[0]).toBeGreaterThan(o0);
  });
});

describe('learn-enable off for the rest of a step (learning.offPerStep_s)', () => {
  it('lets only the floor diode act on the gates, and nothing with the clipped floor', () => {
    const diode = { ...PAPER_LEARNING_CIRCUIT, floor: 'diode' as const, offPerStep_s: 1e-4 };
    const twin = regressionTwin(DEFAULT_LEVEL1, { learning: diode });
    twin.gates_V[3] = 0.62;
    const before = Float64Array.from(twin.gates_V);
    twin.offTime();
    expect(twin.gates_V[3]).toBe(stepAboveDiode(0.62, 0, 1e-4, diode));
    expect(twin.gates_V[3]).toBeGreaterThan(0.62);
    // Above the floor only the diode's reverse current: nanovolts.
    expect(Math.abs(twin.gates_V[0] - before[0])).toBeLessThan(1e-7);
    const clipped = regressionTwin(DEFAULT_LEVEL1, { learning: { ...PAPER_LEARNING_CIRCUIT, offPerStep_s: 1e-4 } });
    const gates = Float64Array.from(clipped.gates_V);
    clipped.offTime();
    expect(clipped.gates_V).toEqual(gates);
  });
});
