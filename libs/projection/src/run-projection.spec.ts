import type { Signal } from '@metatwin/contracts';
import { planFromInput, type Experiment } from '@metatwin/experiments';
import { runEmbedded } from '@metatwin/services';
import { RunProjection, experimentTags, runStart_ms } from './run-projection';
import { MEASUREMENTS, modeField, pointTime_us, projectEvery, type Point } from './schema';

function xor(steps: number): Experiment {
  const plan = planFromInput({ preset: 'xor' }, { steps }, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  return plan.experiment;
}

const START_MS = Date.UTC(2026, 10, 27, 9, 0, 0);

async function recorded(exp: Experiment): Promise<{ signals: Signal[]; result: Awaited<ReturnType<typeof runEmbedded>> }> {
  const signals: Signal[] = [];
  const result = await runEmbedded(exp, { runId: 'proj-1', startedAt_ms: START_MS, recorder: { record: (s) => signals.push(s), flush: async () => undefined } });
  return { signals, result };
}

function project(signals: Signal[], order: 'bus' | 'by-source'): Point[] {
  const created = signals[0] as Signal<'RunCreated'>;
  const p = new RunProjection('proj-1', created);
  const out: Point[] = [];
  const list = order === 'bus' ? signals : ['clamping', 'measurement', 'edge-physics', 'supervisor'].flatMap((src) => signals.filter((s) => s.meta.source === src));
  for (const s of list) p.fold(s, out);
  return out;
}

describe('RunProjection', () => {
  let signals: Signal[];
  let result: Awaited<ReturnType<typeof runEmbedded>>;
  let points: Point[];
  const exp = xor(2000);

  beforeAll(async () => {
    ({ signals, result } = await recorded(exp));
    points = project(signals, 'bus');
  });

  const of = (m: string): Point[] => points.filter((p) => p.measurement === m);

  it('gives the MSE and every error mode of result.json at every test step, stamped start + simulated time', () => {
    const errors = of(MEASUREMENTS.error);
    expect(errors).toHaveLength(result.log.length);
    result.log.forEach((entry, i) => {
      expect(errors[i].fields.mse_V2).toBe(entry.mse);
      for (const [name, v] of Object.entries(entry.modes)) expect(errors[i].fields[modeField(name)]).toBe(v);
      expect(errors[i].fields.step).toBe(entry.step);
      expect(errors[i].time_us).toBe(pointTime_us(START_MS, Math.round(entry.t_s * 1e9)));
      expect(errors[i].tags).toEqual({ run: 'proj-1', experiment: 'xor', task: 'xor' });
    });
  });

  it('gives each datapoint’s output and label, and the gates of each test as in result.json', () => {
    const outputs = of(MEASUREMENTS.output);
    expect(outputs).toHaveLength(result.log.length * result.labels.length);
    const last = outputs.slice(-result.labels.length);
    last.forEach((p, d) => {
      expect(p.fields.output_V).toBe(result.final.outputs[d]);
      expect(p.fields.label_V).toBe(result.labels[d]);
      expect(p.tags.inputs).toBe(exp.dataset.inputs[d].join(','));
    });
    const lastTest = result.log[result.log.length - 1];
    const gatesAtLast = of(MEASUREMENTS.gate).filter((p) => p.fields.step === lastTest.step);
    expect(gatesAtLast.map((p) => p.fields.gate_V)).toEqual(lastTest.gates_V);
    for (const p of gatesAtLast) expect(p.fields.conductance_S as number).toBeGreaterThan(0);
  });

  it('decimates training steps but keeps every test step', () => {
    const every = projectEvery(exp.schedule.steps);
    expect(every).toBe(4);
    const tests = new Set(result.log.map((e) => e.step));
    for (const p of of(MEASUREMENTS.gate)) expect((p.fields.step as number) % every === 1 % every || tests.has(p.fields.step as number)).toBe(true);
    const enabled = of(MEASUREMENTS.learnEnable).filter((p) => p.tags.phase === 'train');
    expect(enabled).toHaveLength(exp.schedule.steps / every);
    // Duty: training cycles over all supervisor cycles (a test datapoint is a cycle with learning off).
    const tested = of(MEASUREMENTS.learnEnable).filter((p) => p.tags.phase === 'test');
    expect(tested).toHaveLength(result.log.length);
    for (const p of enabled.slice(1)) expect(p.fields.duty).toBeGreaterThan(0.5);
  });

  it('projects power per edge and in total, ADC samples, DAC codes and clamp outputs', () => {
    const total = of(MEASUREMENTS.power).filter((p) => p.tags.edge === 'total');
    expect(total).toHaveLength(result.log.length);
    const lastTotal = total[total.length - 1].fields.power_W as number;
    const finalMean = result.final.power_W.reduce((a, b) => a + b, 0) / result.final.power_W.length;
    expect(lastTotal).toBeCloseTo(finalMean, 9);
    expect(of(MEASUREMENTS.adc)).toHaveLength(result.log.length * result.labels.length * 2);
    const dac = of(MEASUREMENTS.dac);
    expect(new Set(dac.map((p) => p.tags.phase))).toEqual(new Set(['setup', 'train', 'test']));
    for (const p of dac) expect(p.fields.code as number).toBeGreaterThanOrEqual(0);
    expect(of(MEASUREMENTS.clamp).length).toBeGreaterThan(0);
    expect(of(MEASUREMENTS.run).map((p) => p.fields.status)).toEqual(['created', 'finished']);
  });

  it('depends only on each source’s own order, and projecting twice gives the same points', () => {
    const key = (p: Point): string => `${p.measurement}|${JSON.stringify(p.tags)}|${p.time_us}|${JSON.stringify(p.fields)}`;
    const again = project(signals, 'by-source');
    expect(new Set(again.map(key))).toEqual(new Set(points.map(key)));
  });

  it('gives no two different points the same series and time (so nothing overwrites anything)', () => {
    const seen = new Map<string, string>();
    for (const p of points) {
      const id = `${p.measurement}|${JSON.stringify(p.tags)}|${p.time_us}`;
      const value = JSON.stringify(p.fields);
      if (seen.has(id) && seen.get(id) !== value) throw new Error(`two different points at ${id}`);
      seen.set(id, value);
    }
  });
});

describe('RunProjection of a multi-output task (iris)', () => {
  it('tags each output of each datapoint, and gives the accuracy and held-out scores of result.json', async () => {
    const plan = planFromInput({ preset: 'iris' }, { steps: 300 }, { readText: () => '' });
    if (plan.kind !== 'run') throw new Error('not a run');
    const { signals, result } = await recorded(plan.experiment);
    const points = project(signals, 'by-source');
    const outputs = points.filter((p) => p.measurement === MEASUREMENTS.output);
    expect(outputs).toHaveLength(result.log.length * 150 * 3);
    const last = outputs.slice(-450);
    last.forEach((p, i) => {
      expect(p.tags.datapoint).toBe(String(Math.floor(i / 3)));
      expect(p.tags.output).toBe(String(i % 3));
      expect(p.fields.output_V).toBe(result.final.outputs[i]);
      expect(p.fields.label_V).toBe(result.labels[i]);
    });
    const errors = points.filter((p) => p.measurement === MEASUREMENTS.error);
    result.log.forEach((entry, i) => {
      expect(errors[i].fields).toMatchObject({ mse_V2: entry.mse, heldOutMse_V2: entry.heldOutMse, accuracy: entry.accuracy, heldOutAccuracy: entry.heldOutAccuracy });
      expect(Object.keys(errors[i].fields).filter((f) => f.startsWith('mode_'))).toEqual([]);
    });
  });
});

describe('tags and time', () => {
  it('splits family members into experiment and task', () => {
    expect(experimentTags('regression-family/01 a=0.07 b=0.12 c=0.13')).toEqual({ experiment: 'regression-family', task: '01 a=0.07 b=0.12 c=0.13' });
    expect(experimentTags('xor')).toEqual({ experiment: 'xor', task: 'xor' });
  });

  it('takes the start from RunCreated, else from the run id’s UTC stamp', () => {
    expect(runStart_ms('x', 123)).toBe(123);
    expect(runStart_ms('xor-s1-20261127090113-c544', undefined)).toBe(Date.UTC(2026, 10, 27, 9, 1, 13));
    expect(runStart_ms('custom', undefined)).toBe(0);
  });

  it('keeps microsecond timestamps exact in a float64', () => {
    const t = pointTime_us(START_MS, 10_000_000_100);
    expect(Number.isSafeInteger(t)).toBe(true);
    expect(t).toBe(START_MS * 1000 + 10_000_000);
  });
});
