/**
 * The twin network's decider, given / when / then: held voltages from the DAC, a training
 * step through its substeps (beginStep → FreeOutputMeasured → ClampOutputSet → learn →
 * GatesEvolved), failures, the order guarantees (LATER while a step is in flight, stale clamp
 * outputs dropped, steps applied in order and once) and test measurements.
 * The xor fixture holds nodes 0, 2 (inputs, DAC channels 0–1) and 3, 7 (rails, channels 2–3);
 * channel 4 is the label line, which drives no held node.
 */
import { call, decodeFloat64, emit, encodeFloat64, type Signal } from '@metatwin/contracts';
import { SignalStamper, given, runCreated, xorExperiment, expectFastPath, xorSetUpSignals } from '@metatwin/contracts/testing';
import { edgePhysicsDecider } from './decider';
import { executeEdgePhysicsCall, type EdgePhysicsCall, type EdgePhysicsPort, type EdgePhysicsResult } from './port';

const T_H = 100_000; // ns
const LSB = 0.45 / 256;
const exp = xorExperiment();
const created = runCreated(exp);
const d = edgePhysicsDecider;
const stamper = new SignalStamper();
const { signal } = stamper;
const { patchMapSet, rails } = xorSetUpSignals(stamper);
const RAILS_V = [63 * LSB, 228 * LSB];
/** A training step's DAC latch: inputs (codes a, b) and the label line. */
const stepWrites = (k: number, a: number, b: number): Signal =>
  signal(
    'DacWritten',
    {
      writes: [
        { channel: 0, code: a },
        { channel: 1, code: b },
        { channel: 4, code: 78 },
      ],
    },
    { t_ns: k * T_H },
  );
const stepStarted = (k: number, datapoint: number): Signal => signal('StepStarted', { step: k, datapoint }, { t_ns: k * T_H });
const learningEnabled = (k: number): Signal => signal('LearningEnabled', { step: k, duration_ns: T_H }, { t_ns: k * T_H });
const clampOutputSet = (k: number, substep: number, values = [0.2, 0.19]): Signal => signal('ClampOutputSet', { step: k, substep, drives: 'voltage', values }, { t_ns: k * T_H });
const gatesEvolved = (k: number, datapoint: number): Signal => signal('GatesEvolved', { step: k, datapoint }, { t_ns: (k + 1) * T_H });
/** A whole training step k as the log holds it (supervisor, clamp and edge signals). */
const appliedStep = (k: number, datapoint: number): Signal[] => [
  stepStarted(k, datapoint),
  stepWrites(k, 0, 255),
  learningEnabled(k),
  clampOutputSet(k, 0),
  gatesEvolved(k, datapoint),
];

/** Set up: patch map and rails; step 0 (datapoint 1, inputs 0 V and 255 codes) latched. */
const setUp = (): Signal[] => [patchMapSet(), rails(), stepStarted(0, 1), stepWrites(0, 0, 255)];
const HELD_0 = [0, 255 * LSB, ...RAILS_V];
const gates = new Float64Array([3.5, 3.25, 1.1, 9.875]);

describe('edge-physics decider', () => {
  it('PatchMapSet and DacWritten set the held voltages: volts when present, else code × 0.45/256; the label channel holds no node', () => {
    given(d, created, [patchMapSet()])
      .when(
        signal('DacWritten', {
          writes: [
            { channel: 2, code: 63 },
            { channel: 3, code: 228, volts: 0.4 },
            { channel: 4, code: 100 },
          ],
        }),
      )
      .thenNothing()
      .thenState({ heldNodes: [0, 2, 3, 7], heldIndexOfChannel: [0, 1, 2, 3, -1], held_V: [0, 0, 63 * LSB, 0.4] });
  });

  it('a DacWritten before the patch map is known holds nothing', () => {
    given(d, created).when(rails()).thenNothing().thenStateUnchanged();
  });

  it('LearningEnabled for the next step calls beginStep with the held voltages and the StepStarted datapoint', () => {
    given(d, created, setUp())
      .when(learningEnabled(0))
      .then([call({ op: 'beginStep', t_ns: 0, step: 0, datapoint: 1, held_V: HELD_0 })])
      .thenState({ inFlight: { step: 0, substep: 0, duration_ns: T_H, t_ns: 0 }, lastApplied: -1 });
  });

  it.each([
    ['10 s (a forged pulse)', 10_000_000_000],
    ['twice t_h', 2 * T_H],
    ['one nanosecond short of t_h', T_H - 1],
  ])('a LearningEnabled of %s is no step of this run: nothing is applied, no step goes in flight', (_what, duration_ns) => {
    given(d, created, setUp())
      .when(signal('LearningEnabled', { step: 0, duration_ns }, { t_ns: 0 }))
      .thenNothing()
      .thenStateUnchanged();
    // The run's own pulse for the same step still applies it.
    given(d, created, [...setUp(), signal('LearningEnabled', { step: 0, duration_ns }, { t_ns: 0 })])
      .when(learningEnabled(0))
      .then([call({ op: 'beginStep', t_ns: 0, step: 0, datapoint: 1, held_V: HELD_0 })]);
  });

  it('a FreeSettled result emits FreeOutputMeasured', () => {
    given(d, created, [...setUp(), learningEnabled(0)])
      .when({ type: 'FreeSettled', t_ns: 0, step: 0, substep: 0, settle: { ok: true, outputs_V: [0.21, 0.18] } })
      .then([emit('FreeOutputMeasured', 0, { step: 0, substep: 0, outputs_V: [0.21, 0.18] })]);
  });

  it('a ClampOutputSet for the step in flight calls learn, last on the last substep', () => {
    given(d, created, [...setUp(), learningEnabled(0)])
      .when(clampOutputSet(0, 0, [0.2, 0.19]))
      .then([call({ op: 'learn', t_ns: 0, step: 0, substep: 0, clamp: [0.2, 0.19], dt_s: T_H / 1e9 / 1, last: true, duration_ns: T_H })])
      .thenState({ inFlight: { step: 0, substep: 1, duration_ns: T_H, t_ns: 0 } });
  });

  it('with substeps = 3 the middle substeps call learn with last false, and the FreeSettled of substep 1 emits FreeOutputMeasured substep 1', () => {
    const three = runCreated(xorExperiment({ schedule: { substeps: 3 } }));
    const dt_s = T_H / 1e9 / 3;
    const learn = (substep: number, last: boolean) => call<EdgePhysicsCall>({ op: 'learn', t_ns: 3 * T_H, step: 3, substep, clamp: [0.2, 0.19], dt_s, last, duration_ns: T_H });
    const settled = (substep: number): EdgePhysicsResult => ({
      type: 'FreeSettled',
      t_ns: 3 * T_H,
      step: 3,
      substep,
      settle: { ok: true, outputs_V: [[0.2, 0.21, 0.22][substep], 0.18] },
    });
    given(d, three, [patchMapSet(), rails(), ...appliedStep(0, 1), ...appliedStep(1, 2), ...appliedStep(2, 0), stepStarted(3, 3), stepWrites(3, 255, 255)])
      .when(learningEnabled(3))
      .then([call({ op: 'beginStep', t_ns: 3 * T_H, step: 3, datapoint: 3, held_V: [255 * LSB, 255 * LSB, ...RAILS_V] })])
      .when(settled(0))
      .then([emit('FreeOutputMeasured', 3 * T_H, { step: 3, substep: 0, outputs_V: [0.2, 0.18] })])
      .when(clampOutputSet(3, 0))
      .then([learn(0, false)])
      .when(settled(1))
      .then([emit('FreeOutputMeasured', 3 * T_H, { step: 3, substep: 1, outputs_V: [0.21, 0.18] })])
      .when(clampOutputSet(3, 1))
      .then([learn(1, false)])
      .when(settled(2))
      .then([emit('FreeOutputMeasured', 3 * T_H, { step: 3, substep: 2, outputs_V: [0.22, 0.18] })])
      .when(clampOutputSet(3, 2))
      .then([learn(2, true)])
      .thenState({ inFlight: { step: 3, substep: 3, duration_ns: T_H, t_ns: 3 * T_H }, lastApplied: 2 });
  });

  it('StepLearned acknowledges the step with GatesEvolved and its datapoint (no gates: they are in snapshots); the step is applied', () => {
    given(d, created, [...setUp(), learningEnabled(0), clampOutputSet(0, 0)])
      .when({ type: 'StepLearned', t_ns: T_H, step: 0, gates_V: gates })
      .then([emit('GatesEvolved', T_H, { step: 0, datapoint: 1 })])
      .thenState({ lastApplied: 0, inFlight: null });
  });

  it("after every snapshotEvery-th step and the run's last, the port is asked for its state, which goes to the log as StateSnapshot", () => {
    const every = runCreated({ ...exp, schedule: { ...exp.schedule, steps: 12, snapshotEvery: 3 } });
    given(d, every, [...setUp(), learningEnabled(0), clampOutputSet(0, 0)])
      .when({ type: 'StepLearned', t_ns: T_H, step: 0, gates_V: gates })
      .then([emit('GatesEvolved', T_H, { step: 0, datapoint: 1 })]);
    const steps = [0, 1, 2].flatMap((k) => (k === 0 ? [] : appliedStep(k - 1, 1)));
    given(d, every, [patchMapSet(), rails(), ...steps, stepStarted(2, 1), stepWrites(2, 0, 255), learningEnabled(2), clampOutputSet(2, 0)])
      .when({ type: 'StepLearned', t_ns: 3 * T_H, step: 2, gates_V: gates })
      .then([emit('GatesEvolved', 3 * T_H, { step: 2, datapoint: 1 }), call({ op: 'snapshot', t_ns: 3 * T_H, step: 2 })]);
    const warm = new Float64Array([0.1, NaN]);
    const outcome = given(d, every, [])
      .when({ type: 'Snapshotted', t_ns: 12 * T_H, step: 11, snapshot: { gates_V: gates, warm } })
      .then([emit('StateSnapshot', 12 * T_H, { step: 11, gates: encodeFloat64(gates), warm: encodeFloat64(warm) })]);
    const sent = outcome.emitted[0];
    expect(sent.type === 'StateSnapshot' && decodeFloat64(sent.data.gates)).toEqual(gates);
  });

  it('a cancel snapshots the steps applied since the last snapshot, once, at the learning time after them', () => {
    // The supervisor had heard of no step yet (its cancel is stamped 0); the edge applied step 0.
    const cancelled = signal('RunCancelled', { step: 0, reason: 'user' }, { t_ns: 0 });
    given(d, created, [patchMapSet(), rails(), ...appliedStep(0, 1)])
      .when(cancelled)
      .then([call({ op: 'snapshot', t_ns: T_H, step: 0 })]);
    const snapped = signal('StateSnapshot', { step: 0, gates: encodeFloat64(gates), warm: '' }, { t_ns: T_H, source: 'edge-physics' });
    given(d, created, [patchMapSet(), rails(), ...appliedStep(0, 1), snapped])
      .when(cancelled)
      .then([]);
  });

  it('StepFailed emits GatesEvolved with failed; the step is not applied', () => {
    given(d, created, [...setUp(), learningEnabled(0), clampOutputSet(0, 0)])
      .when({ type: 'StepFailed', t_ns: 0, step: 0, reason: 'training step 0: gate charge diverged' })
      .then([emit('GatesEvolved', 0, { step: 0, failed: 'training step 0: gate charge diverged' })])
      .thenState({ lastApplied: -1, inFlight: null });
  });

  it('a failed FreeSettled emits GatesEvolved with failed', () => {
    given(d, created, [...setUp(), learningEnabled(0)])
      .when({ type: 'FreeSettled', t_ns: 0, step: 0, substep: 0, settle: { ok: false, reason: 'Newton did not converge' } })
      .then([emit('GatesEvolved', 0, { step: 0, failed: 'training step 0: Newton did not converge' })])
      .thenState({ lastApplied: -1, inFlight: null });
  });

  it('supervisor signals while a step is in flight are held (LATER) and answered once it is done', () => {
    const inFlight = given(d, created, [...setUp(), learningEnabled(0)]);
    inFlight.when(signal('DacWritten', { writes: [{ channel: 0, code: 7 }] }, { t_ns: T_H })).thenLater();
    inFlight.when(stepStarted(1, 2)).thenLater();
    inFlight.when(signal('TestStepStarted', { step: 1 }, { t_ns: T_H })).thenLater();
    inFlight.when(signal('TestDatapointApplied', { step: 1, datapoint: 0 }, { t_ns: T_H })).thenLater();
    inFlight.when(signal('ServiceStarted', { service: 'supervisor', resumeFrom: 0 })).thenLater();
    const next = stepWrites(1, 255, 0);
    inFlight
      .when(next)
      .thenLater()
      .given(clampOutputSet(0, 0))
      .when({ type: 'StepLearned', t_ns: T_H, step: 0, gates_V: gates })
      .when(next)
      .thenNothing()
      .thenState({ held_V: [255 * LSB, 0, ...RAILS_V], inFlight: null });
  });

  it('a stale or duplicate ClampOutputSet (wrong step or substep) has no output and leaves the state unchanged', () => {
    const inFlight = given(d, created, [...setUp(), learningEnabled(0)]);
    inFlight.when(clampOutputSet(1, 0)).thenNothing().thenStateUnchanged(); // another step
    inFlight.when(clampOutputSet(0, 1)).thenNothing().thenStateUnchanged(); // a substep not yet asked for
    inFlight.given(clampOutputSet(0, 0)).when(clampOutputSet(0, 0)).thenNothing().thenStateUnchanged(); // the same one twice
    given(d, created, setUp()).when(clampOutputSet(0, 0)).thenNothing().thenStateUnchanged(); // nothing in flight
  });

  it('a StepStarted that is not lastApplied + 1 (a step sent again after a restart) makes its signals skipped', () => {
    given(d, created, [patchMapSet(), rails(), ...appliedStep(0, 1)])
      .when(stepStarted(0, 1))
      .thenNothing()
      .thenState({ skipping: true, lastApplied: 0 })
      .when(stepWrites(0, 128, 128))
      .thenNothing()
      .thenStateUnchanged() // the DAC latch of a skipped step changes nothing
      .when(learningEnabled(0))
      .thenNothing()
      .thenState({ inFlight: null })
      .when(stepStarted(1, 2)) // the next step is applied again
      .thenState({ skipping: false, datapoint: 2 })
      .when(stepWrites(1, 255, 0))
      .when(learningEnabled(1))
      .then([call({ op: 'beginStep', t_ns: T_H, step: 1, datapoint: 2, held_V: [255 * LSB, 0, ...RAILS_V] })]);
  });

  it('a StepStarted beyond a gap (a step lost before it) is skipped too', () => {
    const held = [0, 255 * LSB, ...RAILS_V];
    given(d, created, [patchMapSet(), rails(), ...appliedStep(0, 1)])
      .when(stepStarted(2, 3))
      .thenState({ skipping: true })
      .when(stepWrites(2, 128, 128))
      .thenStateUnchanged()
      .when(learningEnabled(2))
      .thenNothing()
      .thenState({ inFlight: null, lastApplied: 0, held_V: held });
  });

  it('TestDatapointApplied calls measure with the held voltages', () => {
    const testWrites = signal('DacWritten', {
      writes: [
        { channel: 0, code: 255 },
        { channel: 1, code: 0 },
      ],
    });
    given(d, created, [patchMapSet(), rails(), signal('TestStepStarted', { step: 0 }), testWrites])
      .when(signal('TestDatapointApplied', { step: 0, datapoint: 2 }))
      .then([call({ op: 'measure', t_ns: 0, step: 0, datapoint: 2, held_V: [255 * LSB, 0, ...RAILS_V] })]);
  });

  it('a test sent again (not at lastApplied + 1) is skipped: TestDatapointApplied calls nothing', () => {
    given(d, created, [patchMapSet(), rails(), ...appliedStep(0, 1), signal('TestStepStarted', { step: 0 })])
      .when(signal('TestDatapointApplied', { step: 0, datapoint: 2 }))
      .thenNothing();
  });

  it('a NodesRead result emits NodesSettled with the node voltages and the gates', () => {
    given(d, created, [patchMapSet(), rails(), signal('TestStepStarted', { step: 0 })])
      .when({ type: 'NodesRead', t_ns: 0, step: 0, datapoint: 2, reading: { ok: true, nodes_V: [0.1, 0.2, 0.3], gates_V: gates } })
      .then([emit('NodesSettled', 0, { step: 0, datapoint: 2, free_V: [0.1, 0.2, 0.3], gates: encodeFloat64(gates) })]);
  });

  it('a failed NodesRead emits NodesSettled with failed', () => {
    given(d, created, [patchMapSet(), rails(), signal('TestStepStarted', { step: 0 })])
      .when({ type: 'NodesRead', t_ns: 0, step: 0, datapoint: 2, reading: { ok: false, reason: 'singular matrix' } })
      .then([emit('NodesSettled', 0, { step: 0, datapoint: 2, free_V: [], gates: '', failed: 'test at step 0: datapoint 2: singular matrix' })]);
  });

  it('ServiceStarted from clamping clears the step in flight; the step sent again is begun again', () => {
    given(d, created, [...setUp(), learningEnabled(0)])
      .when(signal('ServiceStarted', { service: 'clamping', resumeFrom: 0 }))
      .thenNothing()
      .thenState({ inFlight: null, lastApplied: -1 })
      .given(stepStarted(0, 1), stepWrites(0, 0, 255))
      .when(learningEnabled(0))
      .then([call({ op: 'beginStep', t_ns: 0, step: 0, datapoint: 1, held_V: HELD_0 })]);
  });

  it('ServiceStarted from clamping with no step in flight changes nothing', () => {
    given(d, created, setUp())
      .when(signal('ServiceStarted', { service: 'clamping', resumeFrom: 0 }))
      .thenNothing()
      .thenStateUnchanged();
  });

  it('executeEdgePhysicsCall drives the port stub, and returns a promise only when the port does', async () => {
    const log: string[] = [];
    let learnOk = true;
    const syncPort: EdgePhysicsPort = {
      hold(t, datapoint, held) {
        log.push(`hold ${t} ${datapoint} ${held.length}`);
      },
      settleFree(t) {
        log.push(`settle ${t}`);
        return { ok: true, outputs_V: [0.2, 0.1] };
      },
      learn(t, clamp, dt) {
        log.push(`learn ${t} ${clamp.length} ${dt}`);
        return learnOk ? { ok: true } : { ok: false, reason: 'diverged' };
      },
      endLearning(t, duration) {
        log.push(`end ${t} ${duration}`);
        return gates;
      },
      measure(t, datapoint) {
        log.push(`measure ${t} ${datapoint}`);
        return { ok: true, nodes_V: [0.1], gates_V: gates };
      },
    };
    const asyncPort: EdgePhysicsPort = {
      hold: async (t, dp, h) => syncPort.hold(t, dp, h),
      settleFree: async (t) => syncPort.settleFree(t),
      learn: async (t, c, dt) => syncPort.learn(t, c, dt),
      endLearning: async (t, dur) => syncPort.endLearning(t, dur),
      measure: async (t, dp, h) => syncPort.measure(t, dp, h),
    };
    const learn = (last: boolean): EdgePhysicsCall => ({ op: 'learn', t_ns: 5, step: 2, substep: 0, clamp: [0.2, 0.19], dt_s: 1e-4, last, duration_ns: T_H });
    const cases: Array<[EdgePhysicsCall, boolean, EdgePhysicsResult, string[]]> = [
      [
        { op: 'beginStep', t_ns: 5, step: 2, datapoint: 1, held_V: HELD_0 },
        true,
        { type: 'FreeSettled', t_ns: 5, step: 2, substep: 0, settle: { ok: true, outputs_V: [0.2, 0.1] } },
        ['hold 5 1 4', 'settle 5'],
      ],
      [learn(false), true, { type: 'FreeSettled', t_ns: 5, step: 2, substep: 1, settle: { ok: true, outputs_V: [0.2, 0.1] } }, ['learn 5 2 0.0001', 'settle 5']],
      [learn(true), true, { type: 'StepLearned', t_ns: 5 + T_H, step: 2, gates_V: gates }, ['learn 5 2 0.0001', 'end 5 0.0001']],
      [learn(true), false, { type: 'StepFailed', t_ns: 5, step: 2, reason: 'training step 2: diverged' }, ['learn 5 2 0.0001']],
      [
        { op: 'measure', t_ns: 5, step: 2, datapoint: 3, held_V: HELD_0 },
        true,
        { type: 'NodesRead', t_ns: 5, step: 2, datapoint: 3, reading: { ok: true, nodes_V: [0.1], gates_V: gates } },
        ['measure 5 3'],
      ],
    ];
    for (const [c, ok, expected, calls] of cases) {
      learnOk = ok;
      await expectFastPath(executeEdgePhysicsCall, syncPort, asyncPort, log, [[c, expected, calls]]);
    }
  });
});
