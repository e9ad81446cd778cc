import { CircuitFileError, parseCircuit, solveCircuit } from './circuit-file';
import { quantise, NODE_DAC } from './quantisation';
import { energyPerInference } from './power';

const good = {
  nodes: 3,
  edges: [
    [0, 1],
    [1, 2],
  ],
  gates: [3, 2],
  fixed: { '0': 0.45, '2': 0 },
  transistor: { k: 4.5e-4, vth: 0.7 },
};

describe('circuit file', () => {
  it('solves a valid file; power is Σ I·ΔV', () => {
    const s = solveCircuit(parseCircuit(good));
    expect(s.status).toBe('converged');
    // The two channel currents differ only by node 1's junction leakage (≈ 6e-13 A).
    expect(s.currents[0]).toBeCloseTo(s.currents[1], 11);
    expect(s.power).toBeCloseTo(s.currents[0] * 0.45, 12);
  });

  it('accepts kp, w, l instead of k', () => {
    const a = parseCircuit({ ...good, transistor: { kp: 6.2496e-5, w: 138e-6, l: 7.8e-6, vth: 0.75 } });
    expect(a.transistor.beta_AperV2).toBeCloseTo((6.2496e-5 * 138) / 7.8, 12);
  });

  it.each([
    [{ ...good, nodes: 1 }, /^nodes: /],
    [
      {
        ...good,
        edges: [
          [0, 1],
          [1, 7],
        ],
      },
      /edges\[1\]\[1\]/,
    ],
    [{ ...good, gates: [3] }, /^gates: has 1 entries but there are 2 edges/],
    [{ ...good, gates: [3, 'x'] }, /^gates\[1\]/],
    [{ ...good, fixed: { '5': 0.1 } }, /^fixed\[5\]/],
    [{ ...good, fixed: {} }, /^fixed: must hold at least one/],
    [{ ...good, transistor: { k: -1 } }, /^transistor\.k/],
    [{ ...good, transistor: { k: 1e-3, kp: 1e-4 } }, /either "k" or "kp"/],
    [{ ...good, transistor: { kp: 1e-4, w: 1e-6 } }, /^transistor\.l/],
    [{ ...good, transistor: { vt: 1 } }, /^transistor\.vt: is not a known parameter/],
    [{ ...good, extra: 1 }, /^extra: is not a known field/],
    [[1, 2], /must be a JSON object/],
  ])('rejects bad input %#, naming the field', (json, message) => {
    expect(() => parseCircuit(json)).toThrow(CircuitFileError);
    expect(() => parseCircuit(json)).toThrow(message);
  });
});

describe('quantisation and energy', () => {
  it('rounds to the nearest DAC step and saturates', () => {
    const lsb = 0.45 / 256;
    expect(quantise(NODE_DAC, 0.1)).toBeCloseTo(Math.round(0.1 / lsb) * lsb, 15);
    expect(quantise(NODE_DAC, 1)).toBeCloseTo(255 * lsb, 15);
    expect(quantise(NODE_DAC, Number.NaN)).toBe(0);
  });
  it('energy per inference is power × τ_V (151 µW × 2 µs ≈ 0.3 nJ for the whole XOR network)', () => {
    expect(energyPerInference(151e-6)).toBeCloseTo(302e-12, 20);
    expect(() => energyPerInference(1, 0)).toThrow(/equilibration time/);
  });
});

describe('parseCircuit never echoes the file', () => {
  it('names the field and what is wrong, not the content', () => {
    const base = { nodes: 2, edges: [[0, 1]], gates: [3], fixed: { 0: 1 } };
    const secret = 'root:x:0:0:root:/root:/bin/bash';
    const messages = [
      { ...base, nodes: secret },
      { ...base, gates: [secret] },
      { ...base, fixed: { 0: secret } },
      { ...base, [secret]: 1 },
      { ...base, fixed: { [secret]: 1 } },
    ].map((c) => {
      try {
        parseCircuit(c);
        return 'accepted';
      } catch (err) {
        return (err as Error).message;
      }
    });
    for (const m of messages) {
      expect(m).not.toContain('root');
      expect(m).toMatch(/must be|is not/);
    }
    expect(messages[0]).toContain('a string of 31 characters');
  });
});
