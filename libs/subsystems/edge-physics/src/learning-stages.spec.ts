/**
 * The learning circuit as its stages (issue 15): the amplifier gains, the multiplier's scale
 * and each stage's offset, per edge; and each edge's learn-enable jitter.
 */
import { DEFAULT_LEVEL1, Rng, paperLattice, uniformTransistors } from '@metatwin/physics';
import { PAPER_LEARNING_CIRCUIT, PAPER_LEARNING_STAGES, gateRates, stagesV0_V, validateLearningCircuit, type EdgeStages } from './learning-rule';
import { drawEdgeStages, enableFactor } from './imperfections';
import { TwinNetwork, type ClampPort, type TwinConfig } from './twin';

const network = paperLattice();
const M = network.edgeCount;
const stagesV0 = stagesV0_V(PAPER_LEARNING_STAGES);
const circuit = { ...PAPER_LEARNING_CIRCUIT, v0_V: stagesV0, stages: PAPER_LEARNING_STAGES };

/** Node voltages of two copies: the clamped copy a little off the free one. */
function voltages(seed: number): { free: Float64Array; clamped: Float64Array } {
  const rng = new Rng(seed);
  const free = Float64Array.from({ length: network.nodeCount }, () => 0.45 * rng.uniform());
  const clamped = free.map((v) => v + 0.02 * (rng.uniform() - 0.5));
  return { free, clamped };
}

function rates(stages: EdgeStages | null, offsets: Float64Array | null = null, seed = 1): Float64Array {
  const { free, clamped } = voltages(seed);
  const out = new Float64Array(M);
  gateRates(network, free, clamped, offsets, circuit, out, stages);
  return out;
}

describe('the learning circuit as stages', () => {
  it("Eq. B2: the paper's gain 5.5 and V⊗ = 10 V make V0 ≈ 0.33 V", () => {
    expect(stagesV0).toBeCloseTo(0.3306, 4);
  });

  it('ideal stages give Eq. 4 with V0 = V⊗/gain², edge by edge', () => {
    const ideal = drawEdgeStages(M, PAPER_LEARNING_STAGES, new Rng(3));
    const staged = rates(ideal);
    const amalgamated = rates(null);
    for (let e = 0; e < M; e++) expect(staged[e]).toBeCloseTo(amalgamated[e], 9);
    expect(Math.max(...amalgamated.map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it("a multiplier's output offset moves its gate at offset/(R0·C0) when the copies agree", () => {
    const drawn = drawEdgeStages(M, { ...PAPER_LEARNING_STAGES, outputOffsetSigma_V: 5e-3 }, new Rng(4));
    const same = voltages(5).free;
    const out = new Float64Array(M);
    gateRates(network, same, same, null, circuit, out, drawn);
    for (let e = 0; e < M; e++) expect(out[e]).toBeCloseTo(drawn.outputOffset_V[e] / (circuit.r0_Ohm * circuit.c0_F), 9);
    // 5 mV through 100 Ω into 22 µF: ≈ 2.3 V/s, the size of the circuit's own imperfection.
    expect(Math.max(...out.map(Math.abs))).toBeGreaterThan(1);
  });

  it('input offsets bias the product: X·Y gains a term in the other input', () => {
    const drawn = drawEdgeStages(M, { ...PAPER_LEARNING_STAGES, inputOffsetSigma_V: 1e-3 }, new Rng(6));
    const biased = rates(drawn);
    const ideal = rates(null);
    const { free, clamped } = voltages(1);
    for (let e = 0; e < M; e++) {
      const dF = free[network.edgeA[e]] - free[network.edgeB[e]];
      const dC = clamped[network.edgeA[e]] - clamped[network.edgeB[e]];
      const g = PAPER_LEARNING_STAGES.gain;
      const extra = (g * g * (dF + dC) * drawn.diffOffset_V[e] + g * g * drawn.sumOffset_V[e] * (dF - dC + drawn.diffOffset_V[e])) / 10;
      expect(biased[e] - ideal[e]).toBeCloseTo(extra / (circuit.r0_Ohm * circuit.c0_F), 6);
    }
  });

  it('draws each spread per edge from the seed, and the same seed draws the same circuits', () => {
    const spread = { ...PAPER_LEARNING_STAGES, gainSigmaRel: 0.01, scaleSigmaRel: 0.02 };
    const a = drawEdgeStages(M, spread, new Rng(7));
    const b = drawEdgeStages(M, spread, new Rng(7));
    expect(Array.from(a.sumGain)).toEqual(Array.from(b.sumGain));
    expect(new Set(a.sumGain).size).toBe(M);
    const rel = Array.from(a.inverseScale_perV, (x) => 1 / x / 10 - 1);
    const sd = Math.sqrt(rel.reduce((s, x) => s + x * x, 0) / M);
    expect(sd).toBeGreaterThan(0.01);
    expect(sd).toBeLessThan(0.04);
  });

  it('refuses a v0_V the stages do not make, and negative spreads', () => {
    expect(() => validateLearningCircuit({ ...circuit, v0_V: 0.33 })).toThrow(/v0_V \(0\.33 V\) must equal the stages' V⊗\/gain²/);
    expect(() => validateLearningCircuit({ ...circuit, stages: { ...PAPER_LEARNING_STAGES, gainSigmaRel: -1 } })).toThrow(/gainSigmaRel must be a σ ≥ 0/);
    expect(() => validateLearningCircuit({ ...PAPER_LEARNING_CIRCUIT, enableJitterRel: 2 })).toThrow(/enableJitterRel must be a relative σ in 0\.\.1/);
  });
});

describe('learn-enable jitter per edge', () => {
  it('draws each edge its own share of each step, by seed, step and edge alone', () => {
    const f = (seed: number, step: number, e: number): number => enableFactor(seed, 0.2, step * 100_000, e, M);
    expect(f(1, 10, 3)).toBe(f(1, 10, 3));
    expect(f(1, 10, 3)).not.toBe(f(1, 11, 3));
    expect(f(1, 10, 3)).not.toBe(f(1, 10, 4));
    expect(f(1, 10, 3)).not.toBe(f(2, 10, 3));
    const draws = Array.from({ length: 20_000 }, (_, k) => f(9, k >> 5, k & 31));
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
    const sd = Math.sqrt(draws.reduce((s, x) => s + (x - mean) ** 2, 0) / draws.length);
    expect(mean).toBeCloseTo(1, 2);
    expect(sd).toBeCloseTo(0.2, 2);
  });

  const clamp: ClampPort = {
    drives: 'voltage',
    clamp: (o, l, out) => {
      for (let i = 0; i < l.length; i++) out[i] = 0.5 * l[i] + 0.5 * o[i];
    },
  };
  function trained(extra: Partial<TwinConfig>, learning = PAPER_LEARNING_CIRCUIT): Float64Array {
    const twin = new TwinNetwork(
      {
        network,
        freeTransistors: uniformTransistors(M, DEFAULT_LEVEL1),
        clampedTransistors: uniformTransistors(M, DEFAULT_LEVEL1),
        heldNodes: [0, 2, 5],
        outputNodes: [10],
        clampDrives: 'voltage',
        learning,
        ...extra,
      },
      Array.from({ length: M }, (_, e) => 2.5 + 0.05 * Math.sin(e)),
    );
    twin.learnEnabled = true;
    for (let k = 0; k < 200; k++) twin.trainStep([0, 0.45, 0.05 + 0.05 * (k % 8)], [0.2], clamp, 1e-4);
    return Float64Array.from(twin.gates_V);
  }

  it('changes where the gates go, and a run with the same seed goes there again bit for bit', () => {
    const jittered = { ...PAPER_LEARNING_CIRCUIT, enableJitterRel: 0.3 };
    const plain = trained({});
    const a = trained({ enableJitterSeed: 5 }, jittered);
    const b = trained({ enableJitterSeed: 5 }, jittered);
    const other = trained({ enableJitterSeed: 6 }, jittered);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Math.max(...a.map((g, e) => Math.abs(g - plain[e])))).toBeGreaterThan(1e-6);
    expect(Math.max(...a.map((g, e) => Math.abs(g - other[e])))).toBeGreaterThan(1e-6);
  });
});
