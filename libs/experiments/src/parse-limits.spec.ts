/**
 * The hardware's signal contract, checked once at parse: every experiment parseExperiment
 * accepts must run without a signal dead-lettering later (libs/contracts validate.ts) or a
 * subsystem refusing it, and every one just past a limit is refused with the field, the value
 * and what is allowed. Accepted boundary cases are replayed through the contract's checker
 * and the subsystems' own functions (patch map, DAC codes, demux, ADC), so a limit changed
 * there without changing parse fails here.
 */
import {
  CONTRACT_VERSION,
  DAC_CHANNEL_COUNT,
  DAC_CHANNELS_PER_BOARD,
  checkSignal,
  decodeDemux,
  encodeDemux,
  encodeFloat64,
  type Signal,
  type SignalType,
  type Source,
} from '@metatwin/contracts';
import { outputCount, outputNodes } from '@metatwin/contracts';
import { PAPER_ADC, readGate, readNode, type AdcConfig } from '@metatwin/measurement';
import { applied_V, dacCode, dacConfig, patchMap, validatePatchMap } from '@metatwin/supervisor';
import type { Experiment } from './experiment';
import { EDGES_MAX, SIGNAL_ARRAY_MAX, V_MAX, mergeExperimentInput, parseExperiment } from './parse';
import { regressionPreset, xorPreset } from './presets';
import { ExperimentError } from './validate';

const ctx = {
  readText: (): string => {
    throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  },
};

/** xor: 2 inputs (nodes 0, 2), rails at 3 and 7, differential output 1/13. */
const xor = (change: Record<string, unknown> = {}): unknown => mergeExperimentInput(xorPreset(), change);
/** regression: 1 input (node 0), rails at 1 (0 V) and 2 (0.45 V), single-ended output 3. */
const regression = (change: Record<string, unknown> = {}): unknown => mergeExperimentInput(regressionPreset(), change);

/** A signal as a service would send it. */
function signal<T extends SignalType>(type: T, source: Source, data: Record<string, unknown>, t_ns = 0): Signal {
  return { type, meta: { v: CONTRACT_VERSION, runId: 'limits', source, seq: 1, t_ns }, data } as unknown as Signal;
}

function expectAccepted(s: Signal): void {
  expect(checkSignal(s)).toEqual({ ok: true, signal: s });
}

const nodesOf = (exp: Experiment): number => (exp.network.kind === 'lattice' ? exp.network.rows * exp.network.cols : exp.network.nodes);
const outputsOf = (exp: Experiment): number[] => outputNodes(exp);

/**
 * What a run of `exp` sends at its limits, through the contract's checker: the patch map,
 * the potentiometer, every channel at its lowest and highest voltage, the last step's
 * timing, the last datapoint, the demux addresses of the outputs, ADC samples at the
 * extremes of what the outputs and gates can read, and the gates and node voltages.
 */
function expectRunnable(exp: Experiment): void {
  const nodes = nodesOf(exp);
  const edges = exp.initialGates_V.length;
  const map = patchMap(exp);
  expect(() => validatePatchMap(map, nodes, outputCount(exp))).not.toThrow();
  expectAccepted(signal('PatchMapSet', 'supervisor', { channels: map }));
  if (exp.clamp.kind === 'coupled' || exp.clamp.kind === 'differential') {
    expectAccepted(signal('PotentiometerSet', 'supervisor', { position: Math.round(exp.clamp.eta * 127), positions: 128, eta: exp.clamp.eta }));
  }
  const dac = dacConfig(exp);
  const write = (channel: number, v: number): void => {
    const code = dacCode(dac, map[channel], v);
    expectAccepted(signal('DacWritten', 'supervisor', { writes: [dac.quantise ? { channel, code } : { channel, code, volts: v }] }));
  };
  const column = (i: number): number[] => exp.dataset.inputs.map((row) => row[i]);
  const extremes = (xs: number[]): number[] => [xs.reduce((a, b) => Math.min(a, b)), xs.reduce((a, b) => Math.max(a, b))];
  exp.roles.inputs.forEach((_, i) => extremes(column(i)).forEach((v) => write(i, v)));
  exp.roles.rails.forEach((r, i) => write(exp.roles.inputs.length + i, r.volts));
  const k = outputCount(exp);
  for (let o = 0; o < k; o++) extremes(exp.dataset.labels.filter((_, i) => i % k === o)).forEach((l) => write(map.length - k + o, l));

  const t_h_ns = Math.round(exp.schedule.t_h_s * 1e9);
  const last = exp.schedule.steps - 1;
  expectAccepted(signal('LearningEnabled', 'supervisor', { step: last, duration_ns: t_h_ns }, last * t_h_ns));
  expectAccepted(signal('RunFinished', 'supervisor', { steps: exp.schedule.steps }, exp.schedule.steps * t_h_ns));
  const lastDatapoint = exp.dataset.inputs.length - 1;
  expectAccepted(signal('StepStarted', 'supervisor', { step: last, datapoint: lastDatapoint }));

  // The outputs settle between the lowest and highest held voltage, as the DAC applies them.
  const held = [...exp.roles.inputs.flatMap((_, i) => extremes(column(i))), ...exp.roles.rails.map((r) => r.volts)].map((v) => applied_V(dac, map[0], v));
  const adc: AdcConfig = { ...PAPER_ADC, quantise: exp.quantisation.adc, repeats: exp.quantisation.adcRepeats, noiseSigma_V: exp.imperfections.readoutNoiseSigma_V };
  for (const node of outputsOf(exp)) {
    const address = encodeDemux('free', node, nodes);
    expect(decodeDemux(address, nodes, edges)).toEqual({ copy: 'free', node, edge: address % edges });
    expectAccepted(signal('DemuxSelected', 'supervisor', { step: 0, datapoint: lastDatapoint, address }));
    for (const [v, g] of [
      [Math.min(...held), exp.learning.gMin_V],
      [Math.max(...held), exp.learning.gMax_V],
    ]) {
      const n = readNode(adc, v, null);
      expectAccepted(
        signal('AdcSampled', 'measurement', { step: 0, datapoint: lastDatapoint, address, nodeCode: n.code, gateCode: readGate(adc, g, null).code, repeats: n.repeats }),
      );
    }
  }
  const gates = encodeFloat64(Float64Array.from(exp.initialGates_V));
  expectAccepted(signal('GatesEvolved', 'edge-physics', { step: last, gates, datapoint: lastDatapoint }));
  expectAccepted(signal('NodesSettled', 'edge-physics', { step: 0, datapoint: lastDatapoint, free_V: new Array(nodes).fill(0), gates }));
  // RunCreated carries the experiment as JSON: every number must survive the trip.
  expect(nonFinite(exp)).toEqual([]);
}

/** Paths of the numbers JSON would not carry (it writes NaN and ±Infinity as null). */
function nonFinite(v: unknown, path = '', out: string[] = []): string[] {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) out.push(path);
  } else if (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    return out;
  } else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x !== 'number' || !Number.isFinite(x)) nonFinite(x, `${path}[${i}]`, out);
    }
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) nonFinite(x, `${path}.${k}`, out);
  }
  return out;
}

function expectRejected(input: unknown, message: RegExp): void {
  let error: unknown;
  try {
    parseExperiment(input, ctx);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ExperimentError);
  expect((error as Error).message).toMatch(message);
}

/** A dataset of `n` datapoints over `inputs` input columns, every input at `v`. */
const flatDataset = (n: number, inputs: number, v = 0.2, label = 0): Record<string, unknown> => ({
  inputs: Array.from({ length: n }, () => new Array(inputs).fill(v)),
  labels: new Array(n).fill(label),
});

describe('DAC channels: inputs + rails + one label line per output ≤ 256 (32 chained boards of 8)', () => {
  /** A 17 × 17 lattice with `inputs` inputs, 2 rails and `outputs` single-ended outputs placed on it. */
  const wide = (inputs: number, outputs: number): unknown =>
    regression({
      network: { lattice: { rows: 17, cols: 17, periodic: true } },
      roles: { place: { inputs, rails: [0, 0.45], output: 'single', outputs } },
      dataset: { inputs: [new Array(inputs).fill(0.2)], labels: [outputs === 1 ? 0.1 : new Array(outputs).fill(0.1)] },
    });

  it('rejects 257 channels at parse, naming roles and the chain', () => {
    expectRejected(
      wide(253, 2),
      /^roles: needs one DAC channel per input node, one per rail and one label line per output, at most 256 \(32 chained boards of 8; here 253 inputs \+ 2 rails \+ 2 label lines\), got 257$/,
    );
    expect(DAC_CHANNEL_COUNT).toBe(256);
    expect(DAC_CHANNELS_PER_BOARD).toBe(8);
    // What the run would have sent: a patch map the contract refuses.
    const channels = [...Array.from({ length: 255 }, (_, node) => ({ kind: 'node', node })), { kind: 'label', output: 0 }, { kind: 'label', output: 1 }];
    expect(checkSignal(signal('PatchMapSet', 'supervisor', { channels }))).toEqual({
      ok: false,
      reason: expect.stringMatching(/PatchMapSet: channels must be an array of at most 256 targets/),
    });
  });

  it.each([
    ['253 inputs + 2 rails + 1 label line (the whole chain)', 253, 1, 256],
    ['4 inputs + 2 rails + 3 label lines (Iris, more than one board)', 4, 3, 9],
  ])('accepts %s and runs it on the contract', (_name, inputs, outputs, channels) => {
    const exp = parseExperiment(wide(inputs, outputs), ctx);
    expect(patchMap(exp)).toHaveLength(channels);
    expectRunnable(exp);
  });
});

describe('DAC codes: inputs and rails within 0..V_max, labels within their label line', () => {
  it('accepts inputs and rails at 0 and V_max, which the DAC writes as codes 0 and 255', () => {
    const exp = parseExperiment(
      xor({
        roles: {
          rails: [
            { node: 3, volts: 0 },
            { node: 7, volts: V_MAX },
          ],
        },
        dataset: {
          inputs: [
            [0, V_MAX],
            [V_MAX, 0],
          ],
          labels: [0, 0],
        },
      }),
      ctx,
    );
    expectRunnable(exp);
    expect(dacCode(dacConfig(exp), patchMap(exp)[0], V_MAX)).toBe(255);
    expectRunnable(parseExperiment(xor({ quantisation: { dac: false } }), ctx));
  });

  it.each([
    [{ dataset: { inputs: [[0, -0.001]], labels: [0] } }, /^dataset\.inputs\[0\]\[1\]: must be within the DAC range 0\.\.0\.45 V, got -0\.001$/],
    [{ dataset: { inputs: [[0.4501, 0]], labels: [0] } }, /^dataset\.inputs\[0\]\[0\]: must be within the DAC range 0\.\.0\.45 V, got 0\.4501$/],
    [{ roles: { rails: [{ node: 3, volts: -0.01 }] } }, /^roles\.rails\[0\]\.volts: must be within the DAC range 0\.\.0\.45 V, got -0\.01$/],
    [{ roles: { rails: [{ node: 3, volts: 0.46 }] } }, /^roles\.rails\[0\]\.volts: must be within the DAC range 0\.\.0\.45 V, got 0\.46$/],
  ])('rejects %j', (change, message) => expectRejected(xor(change), message));

  it('keeps a single-ended label within its line, 0..0.45 V', () => {
    expectRunnable(parseExperiment(regression({ dataset: { inputs: [[0], [0.45]], labels: [0, 0.45] } }), ctx));
    expectRejected(
      regression({ dataset: { inputs: [[0], [0.45]], labels: [0, 0.4501] } }),
      /^dataset\.labels\[1\]: must be within the single-ended label line's range 0\.\.0\.45 V, got 0\.4501$/,
    );
    expectRejected(
      regression({ dataset: { inputs: [[0]], labels: [-0.001] } }),
      /^dataset\.labels\[0\]: must be within the single-ended label line's range 0\.\.0\.45 V, got -0\.001$/,
    );
  });

  it('keeps a differential label within its bipolar line, −0.225..0.225 V', () => {
    expectRunnable(
      parseExperiment(
        xor({
          dataset: {
            inputs: [
              [0, 0],
              [0.45, 0],
            ],
            labels: [-0.225, 0.225],
          },
        }),
        ctx,
      ),
    );
    expectRunnable(
      parseExperiment(
        xor({
          dataset: {
            inputs: [
              [0, 0],
              [0.45, 0],
            ],
            labels: [-0.225, 0.225],
          },
          quantisation: { dac: false },
        }),
        ctx,
      ),
    );
    expectRejected(
      xor({ dataset: { inputs: [[0, 0]], labels: [0.2251] } }),
      /^dataset\.labels\[0\]: must be within the differential label line's range -0\.225\.\.0\.225 V, got 0\.2251$/,
    );
    expectRejected(
      xor({ dataset: { inputs: [[0, 0]], labels: [-0.2251] } }),
      /^dataset\.labels\[0\]: must be within the differential label line's range -0\.225\.\.0\.225 V, got -0\.2251$/,
    );
  });
});

describe('roles: an output is read through the demux and is never driven', () => {
  it.each([
    [regression({ roles: { output: { node: 0 } } }), /^roles\.output\.node: must be a node not already used \(roles\.inputs\[0\] uses it\), got 0$/],
    [regression({ roles: { output: { node: 2 } } }), /^roles\.output\.node: must be a node not already used \(roles\.rails\[1\]\.node uses it\), got 2$/],
    [xor({ roles: { output: { plus: 1, minus: 2 } } }), /^roles\.output\.minus: must be a node not already used \(roles\.inputs\[1\] uses it\), got 2$/],
    [xor({ roles: { output: { plus: 1, minus: 1 } } }), /^roles\.output\.minus: must be a node not already used \(roles\.output\.plus uses it\), got 1$/],
  ])('rejects an output node that is also driven: %#', (input, message) => expectRejected(input, message));

  it('reads the last node of the network at demux address = node index', () => {
    const exp = parseExperiment(xor({ roles: { output: { plus: 15, minus: 14 } } }), ctx);
    expectRunnable(exp);
    expect(encodeDemux('free', 15, 16)).toBe(15);
  });
});

describe('network size: what one signal can carry', () => {
  it('pins the sizes to the contract: node voltages, gates, datapoint indices', () => {
    const settled = (n: number): Signal =>
      signal('NodesSettled', 'edge-physics', { step: 0, datapoint: 0, free_V: new Array(n).fill(0), gates: encodeFloat64(new Float64Array(1)) });
    expect(checkSignal(settled(SIGNAL_ARRAY_MAX)).ok).toBe(true);
    expect(checkSignal(settled(SIGNAL_ARRAY_MAX + 1)).ok).toBe(false);
    const evolved = (m: number): Signal => signal('GatesEvolved', 'edge-physics', { step: 0, gates: encodeFloat64(new Float64Array(m)) });
    expect(checkSignal(evolved(EDGES_MAX)).ok).toBe(true);
    expect(checkSignal(evolved(EDGES_MAX + 1)).ok).toBe(false);
    const started = (d: number): Signal => signal('StepStarted', 'supervisor', { step: 0, datapoint: d });
    expect(checkSignal(started(SIGNAL_ARRAY_MAX)).ok).toBe(true);
    expect(checkSignal(started(SIGNAL_ARRAY_MAX + 1)).ok).toBe(false);
  });

  const ring = (nodes: number): unknown =>
    regression({
      network: {
        nodes,
        edges: [
          [0, 1],
          [1, 2],
          [2, 3],
          [3, 0],
        ],
      },
      initialGates_V: 2.5,
    });

  it('accepts 2^20 nodes and rejects one more', () => {
    expectRunnable(parseExperiment(ring(SIGNAL_ARRAY_MAX), ctx));
    expectRejected(ring(SIGNAL_ARRAY_MAX + 1), /^network\.nodes: must be at most 1048576 \(a signal carries one voltage per node, at most 1048576\), got 1048577$/);
  });

  it('accepts 2^20 − 1 edges and rejects more', () => {
    expectRejected(
      regression({ network: { nodes: 4, edges: new Array(EDGES_MAX + 1).fill([0, 1]) } }),
      /^network\.edges: must hold at most 1048575 edges \(a signal carries every gate as float64, at most 8388608 bytes\), got 1048576$/,
    );
    expectRejected(
      regression({ network: { lattice: { rows: 725, cols: 725, periodic: true } } }),
      /^network\.lattice: must have at most 1048575 edges .*, has 1051250, got \{"rows":725,"cols":725,"periodic":true\}$/,
    );
    // 724 × 724 periodic: 1 048 352 edges.
    expectRunnable(parseExperiment(regression({ network: { lattice: { rows: 724, cols: 724, periodic: true } } }), ctx));
  }, 60_000);

  it('accepts 2^20 + 1 datapoints (indices 0..2^20) and rejects one more', () => {
    expectRunnable(parseExperiment(regression({ dataset: flatDataset(SIGNAL_ARRAY_MAX + 1, 1) }), ctx));
    expectRejected(
      regression({ dataset: flatDataset(SIGNAL_ARRAY_MAX + 2, 1) }),
      /^dataset: must hold at most 1048577 datapoints \(signals number them 0\.\.1048576\), got 1048578$/,
    );
  }, 60_000);
});

describe('schedule: times are whole nanoseconds below 2^53', () => {
  it('accepts a 1 ns step and rejects a shorter one, which LearningEnabled would carry as 0 ns', () => {
    expectRunnable(parseExperiment(xor({ schedule: { t_h_s: 1e-9, steps: 10 } }), ctx));
    expectRejected(
      xor({ schedule: { t_h_s: 4e-10, steps: 10 } }),
      /^schedule\.t_h_s: must be a step time in \[1e-9, 1\] s \(signals count time in whole nanoseconds\), got 4e-10$/,
    );
    expect(checkSignal(signal('LearningEnabled', 'supervisor', { step: 0, duration_ns: Math.round(4e-10 * 1e9) })).ok).toBe(false);
  });

  it('accepts a run ending just below 2^53 ns and rejects one ending past it', () => {
    expectRunnable(parseExperiment(xor({ schedule: { t_h_s: 0.009, steps: 1e9 } }), ctx));
    expectRejected(
      xor({ schedule: { t_h_s: 0.01, steps: 1e9 } }),
      /^schedule\.steps: must end by 9007199\.25474099 s of learning time \(signals stamp it in whole nanoseconds, at most 2\^53 − 1\), but 1000000000 steps of 0\.01 s end at 10000000 s, got 1000000000$/,
    );
    expectRejected(xor({ schedule: { t_h_s: 1, time_s: 9.1e6 } }), /^schedule\.time_s: must end by 9007199\.25474099 s of learning time .* got 9100000$/);
    expectRejected(xor({ schedule: { t_h_s: 1e-4, time_s: 1e6 } }), /^schedule\.time_s: must be at most 1000000000 steps of 0\.0001 s, got 1000000$/);
    expect(checkSignal(signal('RunFinished', 'supervisor', { steps: 1e9 }, 1e9 * 1e7)).ok).toBe(false);
  });
});

describe('ADC: repeats, and unrounded readings within the codes 0..255', () => {
  it('accepts 10 000 repeats and rejects more', () => {
    expectRunnable(parseExperiment(xor({ quantisation: { adcRepeats: 10_000 } }), ctx));
    expectRejected(xor({ quantisation: { adcRepeats: 10_001 } }), /^quantisation\.adcRepeats: must be an integer in 1\.\.10000, got 10001$/);
  });

  it('saturates unrounded readings at the ADC codes 0..255, as the converter does, so the defaults run with quantisation.adc false', () => {
    const adc = { ...PAPER_ADC, quantise: false };
    expect(readGate(adc, 10, null).code).toBe(255);
    expect(readGate(adc, -1, null).code).toBe(0);
    expect(readNode(adc, 0.2, null).code).toBeCloseTo(0.2 / (0.45 / 256), 12); // unrounded inside the range
    expectRunnable(parseExperiment(regression({ quantisation: { adc: false, dac: false }, imperfections: { readoutNoiseSigma_V: 0.01 } }), ctx));
  });
});

describe('RunCreated carries the resolved experiment as JSON', () => {
  it('rejects a transistor whose kp·w/l overflows (it would arrive as null)', () => {
    expectRejected(
      xor({ transistor: { card: 'default', kp_AperV2: 1e200, w_m: 1e200, l_m: 1e-200 } }),
      /^transistor: must give kp_AperV2·w_m\/l_m as a finite positive number of A\/V², has Infinity, got /,
    );
    expectRunnable(parseExperiment(xor({ transistor: { card: 'default', kp_AperV2: 1e-4, w_m: 1e-5, l_m: 1e-6 } }), ctx));
  });
});

describe('the presets', () => {
  it.each([
    ['xor', xorPreset()],
    ['regression', regressionPreset()],
  ])('%s runs on the contract', (_name, input) => {
    expectRunnable(parseExperiment(input, ctx));
  });
});
