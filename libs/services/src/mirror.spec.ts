/**
 * Plumbing: XOR with one subsystem on its mirror adapter and the other three simulated. The
 * same signals cross the bus as in the all-simulated run, every command reaches the mirror,
 * and PortBound records which adapter each service bound — the factory's choice.
 */
import { decodeFloat64, type RigChoice, type Signal, type SignalType, type Source } from '@metatwin/contracts';
import type { EdgePhysicsCommandRecord } from '@metatwin/edge-physics';
import { planFromInput, type Experiment } from '@metatwin/experiments';
import { MIRROR_CODES, type MeasurementCommandRecord } from '@metatwin/measurement';
import type { ClampingCommandRecord } from '@metatwin/clamping';
import type { SupervisorCommandRecord } from '@metatwin/supervisor';
import { runEmbedded } from './embedded';
import type { AnyHost } from './factory';

const STEPS = 1500;

function xor(rig: Partial<RigChoice> = {}): Experiment {
  const plan = planFromInput({ preset: 'xor', rig }, { steps: STEPS }, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  return plan.experiment;
}

interface Observed {
  readonly signals: Signal[];
  readonly journal: ReadonlyArray<{ op: string }>;
  readonly result: Awaited<ReturnType<typeof runEmbedded>>;
}

async function observe(mirrored: Source | null): Promise<Observed> {
  const signals: Signal[] = [];
  let hosts: ReadonlyArray<AnyHost> = [];
  let journal: ReadonlyArray<{ op: string }> = [];
  const result = await runEmbedded(xor(mirrored ? { [mirrored]: 'mirror' } : {}), {
    runId: `mirror-${mirrored ?? 'none'}`,
    onHosts: (h) => (hosts = h),
    onSignal: (s) => {
      signals.push(s);
      // The port is the run's while it runs: take the mirror's journal when it binds.
      if (s.type === 'PortBound' && s.data.adapter === 'mirror')
        journal = (hosts.find((h) => h.source === s.data.service)?.portOf(s.meta.runId) as unknown as { journal: { op: string }[] }).journal;
    },
  });
  return { signals, journal, result };
}

const histogram = (signals: ReadonlyArray<Signal>): Record<string, number> => {
  const h: Record<string, number> = {};
  for (const s of signals) h[`${s.meta.source}:${s.type}`] = (h[`${s.meta.source}:${s.type}`] ?? 0) + 1;
  return h;
};
const ofType = <T extends SignalType>(signals: ReadonlyArray<Signal>, type: T): Signal<T>[] => signals.filter((s): s is Signal<T> => s.type === type);
const bound = (signals: ReadonlyArray<Signal>): Record<string, string> => Object.fromEntries(ofType(signals, 'PortBound').map((s) => [s.data.service, s.data.adapter]));

describe('each subsystem on its mirror adapter, the others simulated', () => {
  let sim: Observed;
  beforeAll(async () => {
    sim = await observe(null);
  });

  it.each(['supervisor', 'edge-physics', 'clamping', 'measurement'] as const)('%s: the run completes and every signal crosses the bus as in the simulated run', async (source) => {
    const m = await observe(source);
    expect(m.result.steps).toBe(STEPS);
    expect(bound(m.signals)).toEqual({ supervisor: 'sim', 'edge-physics': 'sim', clamping: 'sim', measurement: 'sim', [source]: 'mirror' });
    expect(histogram(m.signals)).toEqual(histogram(sim.signals));
    expect(m.journal.length).toBeGreaterThan(0);
  });

  it('measurement mirror: every sample reads the fixed codes, and learning is untouched (bit for bit)', async () => {
    const m = await observe('measurement');
    const samples = ofType(m.signals, 'AdcSampled');
    expect(samples.length).toBe(ofType(m.signals, 'DemuxSelected').length);
    for (const s of samples) expect({ nodeCode: s.data.nodeCode, gateCode: s.data.gateCode, repeats: s.data.repeats }).toEqual(MIRROR_CODES);
    expect(m.result.final.gates_V).toEqual(sim.result.final.gates_V);
    const journal = m.journal as ReadonlyArray<MeasurementCommandRecord>;
    expect(journal.filter((c) => c.op === 'sample')).toHaveLength(samples.length);
    expect(journal.filter((c) => c.op === 'select')).toHaveLength(samples.length);
  });

  it('clamping mirror: every clamp output holds the free output it was given, so the gates barely move', async () => {
    const m = await observe('clamping');
    const free = new Map(ofType(m.signals, 'FreeOutputMeasured').map((s) => [`${s.data.step}:${s.data.substep}`, s.data.outputs_V]));
    const clamps = ofType(m.signals, 'ClampOutputSet');
    expect(clamps).toHaveLength(STEPS);
    for (const c of clamps) expect(c.data.values).toEqual(free.get(`${c.data.step}:${c.data.substep}`));
    const initial = m.result.experiment.initialGates_V;
    m.result.final.gates_V.forEach((g, e) => expect(Math.abs(g - initial[e])).toBeLessThan(1e-6));
    const journal = m.journal as ReadonlyArray<ClampingCommandRecord>;
    expect(journal.filter((c) => c.op === 'clamp')).toHaveLength(STEPS);
    expect(journal.filter((c) => c.op === 'setWiper')).toHaveLength(1);
  });

  it('edge-physics mirror: outputs echo the held voltages, gates stay at their initial values', async () => {
    const m = await observe('edge-physics');
    const snapshots = ofType(m.signals, 'StateSnapshot');
    expect(snapshots.map((s) => s.data.step)).toContain(STEPS - 1);
    for (const s of snapshots) expect(Array.from(decodeFloat64(s.data.gates))).toEqual(m.result.experiment.initialGates_V);
    const journal = m.journal as ReadonlyArray<EdgePhysicsCommandRecord>;
    const holds = journal.filter((c): c is EdgePhysicsCommandRecord & { op: 'hold' } => c.op === 'hold');
    expect(holds).toHaveLength(STEPS);
    const fom = ofType(m.signals, 'FreeOutputMeasured');
    fom.forEach((s, k) => {
      const mean = holds[k].held_V.reduce((a, b) => a + b, 0) / holds[k].held_V.length;
      expect(s.data.outputs_V).toEqual([mean, mean]);
    });
    expect(journal.filter((c) => c.op === 'endLearning')).toHaveLength(STEPS);
  });

  it('supervisor mirror: an ideal DAC (exact volts on every write) and a pulse per step', async () => {
    const m = await observe('supervisor');
    for (const s of ofType(m.signals, 'DacWritten')) for (const w of s.data.writes) expect(typeof w.volts).toBe('number');
    const journal = m.journal as ReadonlyArray<SupervisorCommandRecord>;
    expect(journal.filter((c) => c.op === 'pulseLearnEnable')).toHaveLength(STEPS);
    expect(journal.filter((c) => c.op === 'selectDemux')).toHaveLength(ofType(m.signals, 'DemuxSelected').length);
    expect(ofType(m.signals, 'PotentiometerSet')[0].data).toEqual({ position: 500, positions: 1001, eta: 0.5 });
  });

  it('a pinned service (METATWIN_MEASUREMENT) wins over the experiment, and PortBound says so', async () => {
    const signals: Signal[] = [];
    await runEmbedded(xor({ measurement: 'sim' }), { runId: 'pinned', env: { METATWIN_MEASUREMENT: 'mirror' }, onSignal: (s) => signals.push(s) });
    expect(bound(signals).measurement).toBe('mirror');
    expect(ofType(signals, 'RunCreated')[0].data.experiment.rig.measurement).toBe('sim');
  });

  it('a hardware bridge that cannot drive the experiment, or one naming no controller, is refused with a clear reason', async () => {
    const ep: Experiment = { ...xor({ clamping: 'bridge:/dev/ttyACM0' }), clamp: { kind: 'differential-equilibrium-propagation', beta_S: 1e-4 } };
    await expect(runEmbedded(ep, { runId: 'bridge' })).rejects.toThrow(
      'clamping: adapter "bridge:/dev/ttyACM0": the clamp law "differential-equilibrium-propagation" injects currents; the board\'s clamp holds voltages',
    );
    // A chain of DAC boards runs in simulation; the paper's one board has 8 channels.
    const tenChannels: Experiment = { ...xor({ supervisor: 'bridge:/dev/ttyACM0' }), roles: { ...xor().roles, inputs: [0, 2, 4, 5, 6, 8, 9] } };
    await expect(
      runEmbedded({ ...tenChannels, dataset: { ...tenChannels.dataset, inputs: tenChannels.dataset.inputs.map(() => new Array(7).fill(0)) } }, { runId: 'bridge' }),
    ).rejects.toThrow(
      'supervisor: adapter "bridge:/dev/ttyACM0": the board\'s DAC has 8 channels; this experiment needs 10 (one per input, one per rail, one label line per output)',
    );
    await expect(runEmbedded(xor({ supervisor: 'bridge:ttyACM0' }), { runId: 'bridge' })).rejects.toThrow(
      'supervisor: adapter "bridge:ttyACM0": controller "ttyACM0": expected tcp://host:port or a serial device path such as /dev/ttyACM0 (optionally /dev/ttyACM0@115200)',
    );
  });
});
