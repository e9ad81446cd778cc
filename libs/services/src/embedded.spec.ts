import { planFromInput, presetInput, runExperiment, type Experiment } from '@metatwin/experiments';
import type { Signal } from '@metatwin/contracts';
import { checkSignal } from '@metatwin/contracts';
import { runEmbedded } from './embedded';

function preset(name: 'xor' | 'regression', steps: number, extra: Record<string, unknown> = {}): Experiment {
  const plan = planFromInput({ preset: name, ...extra }, { steps }, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  return plan.experiment;
}

const strip = (r: object): string => JSON.stringify({ ...r, wall_s: 0, run: undefined, mode: undefined });

/** The first path at which two JSON values differ, for a readable failure. */
function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b) ? null : `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return null;
}

describe('embedded run over the in-process bus', () => {
  it.each([
    ['xor', preset('xor', 3000)],
    ['regression', preset('regression', 3000)],
    ['regression with 3 substeps, noise and mismatch', preset('regression', 500, { schedule: { substeps: 3, testEvery: 100 }, imperfections: { mismatch: { vtoSigma_V: 0.01, kpRelSigma: 0.005 }, learningOffsetSigma_V2: 1e-4 } })],
  ])('%s: the signals reproduce the direct runner bit for bit', async (_name, exp) => {
    const direct = runExperiment(exp);
    const viaBus = await runEmbedded(exp, { runId: 'r1', window: 7 });
    expect(firstDifference(JSON.parse(strip(viaBus)), JSON.parse(strip(direct)))).toBeNull();
  });

  it('emits only valid signals, numbered 1, 2, 3, … per source, with non-decreasing time', async () => {
    const seen: Signal[] = [];
    await runEmbedded(preset('xor', 300), { runId: 'r2', recorder: { record: (s) => seen.push(s), flush: async () => undefined } });
    const last = new Map<string, number>();
    for (const s of seen) {
      const c = checkSignal(JSON.parse(JSON.stringify(s)));
      if (!c.ok) throw new Error(c.reason);
      expect(s.meta.seq).toBe((last.get(s.meta.source) ?? 0) + 1);
      last.set(s.meta.source, s.meta.seq);
    }
    const types = new Set(seen.map((s) => s.type));
    for (const t of ['RunCreated', 'PatchMapSet', 'PotentiometerSet', 'StepStarted', 'DacWritten', 'LearningEnabled', 'LearningDisabled', 'FreeOutputMeasured', 'ClampOutputSet', 'GatesEvolved', 'TestStepStarted', 'TestDatapointApplied', 'NodesSettled', 'DemuxSelected', 'AdcSampled', 'TestStepFinished', 'RunFinished']) {
      expect(types).toContain(t);
    }
    expect(seen.filter((s) => s.type === 'GatesEvolved')).toHaveLength(300);
  });

  it('is the same whatever the flow-control window', async () => {
    const exp = preset('xor', 800);
    const a = await runEmbedded(exp, { runId: 'w1', window: 1 });
    const b = await runEmbedded(exp, { runId: 'w1', window: 500 });
    expect(strip(a)).toBe(strip(b));
  });
});
