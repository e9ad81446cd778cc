import { checkSignal, type Signal } from '@metatwin/contracts';
import { planFromInput, type Experiment } from '@metatwin/experiments';
import { runEmbedded } from './embedded';

function preset(name: 'xor' | 'regression', steps: number, extra: Record<string, unknown> = {}): Experiment {
  const plan = planFromInput({ preset: name, ...extra }, { steps }, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  return plan.experiment;
}

const strip = (r: object): string => JSON.stringify({ ...r, wall_s: 0, run: undefined, mode: undefined });

describe('embedded run over the in-process bus', () => {
  it('emits only valid signals, numbered 1, 2, 3, … per source, every kind of signal a run has', async () => {
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
    for (const t of [
      'RunCreated',
      'PortBound',
      'PatchMapSet',
      'PotentiometerSet',
      'StepStarted',
      'DacWritten',
      'LearningEnabled',
      'FreeOutputMeasured',
      'ClampOutputSet',
      'GatesEvolved',
      'TestStepStarted',
      'TestDatapointApplied',
      'NodesSettled',
      'DemuxSelected',
      'AdcSampled',
      'TestStepFinished',
      'RunFinished',
    ]) {
      expect(types).toContain(t);
    }
    expect(seen.filter((s) => s.type === 'GatesEvolved')).toHaveLength(300);
    expect(
      seen
        .filter((s) => s.type === 'PortBound')
        .map((s) => s.type === 'PortBound' && `${s.data.service}=${s.data.adapter}`)
        .sort(),
    ).toEqual(['clamping=sim', 'edge-physics=sim', 'measurement=sim', 'supervisor=sim']);
  });

  it('is the same whatever the flow-control window', async () => {
    const exp = preset('xor', 800);
    const a = await runEmbedded(exp, { runId: 'w1', window: 1 });
    const b = await runEmbedded(exp, { runId: 'w1', window: 500 });
    expect(strip(a)).toBe(strip(b));
  });

  it('holds η on the AD5220 wiper: 0.5 is realised as 64/127', async () => {
    const seen: Signal[] = [];
    await runEmbedded(preset('xor', 10), { runId: 'eta', onSignal: (s) => seen.push(s) });
    const pot = seen.find((s): s is Signal<'PotentiometerSet'> => s.type === 'PotentiometerSet');
    expect(pot?.data).toEqual({ position: 64, positions: 128, eta: 64 / 127 });
  });

  it('a solve that fails at a test step aborts the run with RunAborted, keeping the log so far', async () => {
    // An edge list with a node that no channel can reach is fine; a test that cannot converge needs
    // a failing solve: one Newton iteration allowed makes every solve fail at the first test.
    const exp = preset('regression', 100);
    const seen: Signal[] = [];
    const bad = { ...exp, transistor: { ...exp.transistor, k_AperV2: 1e300 } };
    await expect(runEmbedded(bad, { runId: 'abort', onSignal: (s) => seen.push(s) })).rejects.toThrow(/aborted: .*solve/);
    const aborted = seen.find((s) => s.type === 'RunAborted');
    expect(aborted).toBeDefined();
  });
});
