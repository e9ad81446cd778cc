/**
 * The supervisor's decider, given / when / then: setup, the window of training steps, test
 * steps and their read-out, aborts, rewinds after a restart, the end of the run, presence.
 * The xor fixture: DAC channels 0–1 inputs, 2–3 rails, 4 the label line; a test reads demux
 * addresses 1 and 13 for each of the 4 datapoints; tests at steps 0, 1, 2, 5, 10, 12.
 */
import { call, emit, type Experiment, type Output, type Signal } from '@metatwin/contracts';
import { SignalStamper, given, runCreated, threeOutputExperiment, xorExperiment, expectFastPath, xorSetUpSignals } from '@metatwin/contracts/testing';
import { resumeSupervisor, supervisorDecider, withMissing, type SupervisorInput } from './decider';
import { executeSupervisorCall, type DacRequest, type DacWrite, type SupervisorCall, type SupervisorPort, type SupervisorResult } from './port';
import { datapointAt } from './schedule';
import { outputAddresses } from './wiring';

const T_H = 100_000; // t_h = 100 µs in ns
const ADDRESSES = [1, 13];
const PUMP: SupervisorInput = { type: 'Pump' };

const exp = xorExperiment();
const created = runCreated(exp);
const manual = supervisorDecider({ window: 64, autoPump: false });
const auto = supervisorDecider({ window: 64, autoPump: true });
const stamper = new SignalStamper();
const { signal } = stamper;
const { patchMapSet } = xorSetUpSignals(stamper);

const dp = (step: number, e: Experiment = exp): number => datapointAt(e.schedule, e.seed, step, e.dataset.inputs.length);
const testWrites = (d: number): DacRequest[] => exp.dataset.inputs[d].map((volts, channel) => ({ channel, volts }));
const trainWrites = (d: number): DacRequest[] => [...testWrites(d), { channel: 4, volts: exp.dataset.labels[d] }];

/** What the supervisor sends for training step k. */
const stepOut = (k: number) => [
  emit('StepStarted', k * T_H, { step: k, datapoint: dp(k) }),
  call<SupervisorCall>({ op: 'driveStep', t_ns: k * T_H, step: k, writes: trainWrites(dp(k)), duration_ns: T_H }),
];
/** What the supervisor sends for a test at step k. */
const testOut = (k: number) => [
  emit('TestStepStarted', k * T_H, { step: k }),
  ...exp.dataset.inputs.map((_, d) => call<SupervisorCall>({ op: 'writeDac', t_ns: k * T_H, writes: testWrites(d), purpose: { kind: 'test', step: k, datapoint: d } })),
];

// Past signals, as they appear in a run's log.
const stepStarted = (k: number): Signal => signal('StepStarted', { step: k, datapoint: dp(k) }, { t_ns: k * T_H });
const gatesEvolved = (k: number): Signal => signal('GatesEvolved', { step: k, gates: 'AAAAAAAAAAA=', datapoint: dp(k) }, { t_ns: (k + 1) * T_H });
const testStarted = (k: number): Signal => signal('TestStepStarted', { step: k }, { t_ns: k * T_H });
const adcSampled = (k: number, datapoint: number, address: number): Signal<'AdcSampled'> =>
  signal('AdcSampled', { step: k, datapoint, address, nodeCode: 100, gateCode: 90, repeats: 1 }, { t_ns: k * T_H });
/** Every sample of a test at step k, in the order the supervisor selects them. */
const samplesOf = (k: number): Array<Signal<'AdcSampled'>> => exp.dataset.inputs.flatMap((_, d) => ADDRESSES.map((a) => adcSampled(k, d, a)));
/** A test sent, every sample in, and finished. */
const testWritesOf = (e: Experiment, d: number): DacRequest[] => e.dataset.inputs[d].map((volts, channel) => ({ channel, volts }));
/** A test at step k read out for every datapoint of `e` at its output addresses. */
const testReadOutOf = (e: Experiment, k: number): Signal[] => [
  testStarted(k),
  ...e.dataset.inputs.flatMap((_, d) => outputAddresses(e).map((a) => adcSampled(k, d, a))),
  signal('TestStepFinished', { step: k }, { t_ns: k * T_H }),
];
const testReadOut = (k: number): Signal[] => [testStarted(k), ...samplesOf(k), signal('TestStepFinished', { step: k }, { t_ns: k * T_H })];
/** Tests 0, 1, 2 read out and steps 0 and 1 applied: the next step to send is 2, acknowledged 2. */
const throughStep2 = (): Signal[] => [patchMapSet(), ...testReadOut(0), stepStarted(0), gatesEvolved(0), ...testReadOut(1), stepStarted(1), gatesEvolved(1), ...testReadOut(2)];
/** Steps 2, 3, 4 sent, step 2 acknowledged, test 5 sent: nextStep 5, acknowledged 3, test 5 open. */
const throughTest5 = (): Signal[] => [...throughStep2(), stepStarted(2), stepStarted(3), stepStarted(4), gatesEvolved(2), testStarted(5)];

describe('supervisor decider', () => {
  it('Pump on a fresh run sets the patch map, the potentiometer and the rails, then sends the test at step 0 (learning frozen until it is read out)', () => {
    given(manual, created)
      .when(PUMP)
      .then([
        emit('PatchMapSet', 0, {
          channels: [
            { kind: 'node', node: 0 },
            { kind: 'node', node: 2 },
            { kind: 'node', node: 3 },
            { kind: 'node', node: 7 },
            { kind: 'label', output: 0 },
          ],
        }),
        call({ op: 'setPotentiometer', t_ns: 0, eta: 0.5 }),
        call({
          op: 'writeDac',
          t_ns: 0,
          writes: [
            { channel: 2, volts: 0.11 },
            { channel: 3, volts: 0.4 },
          ],
          purpose: { kind: 'setup' },
        }),
        ...testOut(0),
      ])
      .thenState({ phase: 'running', nextStep: 0, acknowledged: 0, openTests: new Map([[0, new Set(['0:1', '0:13', '1:1', '1:13', '2:1', '2:13', '3:1', '3:13'])]]) });
  });

  it('Pump sends StepStarted and driveStep per step, stopping at the first test step (TestStepStarted and one writeDac per datapoint)', () => {
    given(manual, created, throughStep2())
      .when(PUMP)
      .then([...stepOut(2), ...stepOut(3), ...stepOut(4), ...testOut(5)])
      .thenState({ nextStep: 5, acknowledged: 2 });
  });

  it('several outputs: one label line per output after the rails, each training step writes every label; held-out datapoints are never trained on', () => {
    const labels = [0.05, -0.05, -0.05, -0.05, 0.05, -0.05, -0.05, -0.05, 0.05, 0.05, -0.05, -0.05];
    const three = threeOutputExperiment(labels, { dataset: { inputs: exp.dataset.inputs, labels, trainingPoints: 3 }, schedule: { ...exp.schedule, steps: 400, testEvery: 400 } });
    const run = given(manual, runCreated(three)).when(PUMP);
    const emitted = (outputs: typeof run.outputs): ReadonlyArray<Output<SupervisorCall>> => {
      if (!Array.isArray(outputs)) throw new Error('the supervisor deferred a Pump');
      return outputs;
    };
    const held = (patchMapSet() as Signal<'PatchMapSet'>).data.channels.filter((c) => c.kind === 'node');
    expect(emitted(run.outputs)[0]).toEqual(emit('PatchMapSet', 0, { channels: [...held, ...[0, 1, 2].map((output) => ({ kind: 'label', output }) as const)] }));
    // Every datapoint is tested (held out or not), through all six output nodes.
    const tested = [...(run.state.openTests.get(0) ?? [])];
    expect(tested).toHaveLength(4 * 6);
    const pumped = given(manual, runCreated(three), [patchMapSet(), ...testReadOutOf(three, 0)]).when(PUMP).outputs;
    const steps = emitted(pumped).flatMap((o) => (o.kind === 'call' && o.call.op === 'driveStep' ? [o.call] : []));
    expect(steps.length).toBeGreaterThan(0);
    for (const c of steps) {
      const d = datapointAt(three.schedule, three.seed, c.step, 3);
      expect(d).toBeLessThan(3);
      expect(c.writes).toEqual([...testWritesOf(three, d), ...[0, 1, 2].map((o) => ({ channel: 4 + o, volts: labels[3 * d + o] }))]);
    }
  });

  it('Pump sends no more than the window of unacknowledged steps; an acknowledgement makes room for one more', () => {
    const windowed = supervisorDecider({ window: 2, autoPump: false });
    given(windowed, created, throughStep2())
      .when(PUMP)
      .then([...stepOut(2), ...stepOut(3)])
      .when(PUMP)
      .thenNothing()
      .when(gatesEvolved(2))
      .thenNothing() // no autoPump: the host pumps
      .when(PUMP)
      .then(stepOut(4))
      .when(gatesEvolved(3))
      .when(PUMP)
      .then(testOut(5)); // a test waits for room in the window too
  });

  it('the first step after a snapshotted one waits for its acknowledgement (so a restart can read the log from there on)', () => {
    const snapshotEvery3 = runCreated({ ...exp, schedule: { ...exp.schedule, snapshotEvery: 3 } });
    given(manual, snapshotEvery3, throughStep2())
      .when(PUMP)
      .then(stepOut(2)) // the edge snapshots after step 2: step 3 is held back
      .when(PUMP)
      .thenNothing()
      .when(gatesEvolved(2))
      .when(PUMP)
      .then([...stepOut(3), ...stepOut(4), ...testOut(5)]);
  });

  it('a DacWrote result for a test emits DacWritten, TestDatapointApplied and one selectDemux per output address', () => {
    const writes: DacWrite[] = [
      { channel: 0, code: 255 },
      { channel: 1, code: 0 },
    ];
    given(manual, created, throughTest5())
      .when({ type: 'DacWrote', t_ns: 5 * T_H, writes, purpose: { kind: 'test', step: 5, datapoint: 2 } })
      .then([
        emit('DacWritten', 5 * T_H, { writes }),
        emit('TestDatapointApplied', 5 * T_H, { step: 5, datapoint: 2 }),
        call({ op: 'selectDemux', t_ns: 5 * T_H, step: 5, datapoint: 2, address: 1 }),
        call({ op: 'selectDemux', t_ns: 5 * T_H, step: 5, datapoint: 2, address: 13 }),
      ]);
  });

  it('a DacWrote result for the setup (the rails) emits DacWritten alone', () => {
    const writes: DacWrite[] = [
      { channel: 2, code: 63 },
      { channel: 3, code: 228 },
    ];
    given(manual, created, [patchMapSet()])
      .when({ type: 'DacWrote', t_ns: 0, writes, purpose: { kind: 'setup' } })
      .then([emit('DacWritten', 0, { writes })]);
  });

  it('StepDriven emits DacWritten and the learn-enable pulse (LearningEnabled with its duration)', () => {
    const writes: DacWrite[] = [
      { channel: 0, code: 0 },
      { channel: 1, code: 255 },
      { channel: 4, code: 78 },
    ];
    given(manual, created, [...throughStep2(), stepStarted(2)])
      .when({ type: 'StepDriven', t_ns: 2 * T_H, step: 2, writes, duration_ns: T_H })
      .then([emit('DacWritten', 2 * T_H, { writes }), emit('LearningEnabled', 2 * T_H, { step: 2, duration_ns: T_H })]);
  });

  it('WiperMoved emits PotentiometerSet with the η the wiper realises', () => {
    given(manual, created, [patchMapSet()])
      .when({ type: 'WiperMoved', t_ns: 0, setting: { position: 64, positions: 128 }, eta: 0.5 })
      .then([emit('PotentiometerSet', 0, { position: 64, positions: 128, eta: 64 / 127 })]);
  });

  it('DemuxSet emits DemuxSelected', () => {
    given(manual, created, throughTest5())
      .when({ type: 'DemuxSet', t_ns: 5 * T_H, step: 5, datapoint: 3, address: 13 })
      .then([emit('DemuxSelected', 5 * T_H, { step: 5, datapoint: 3, address: 13 })]);
  });

  it('the last AdcSampled of a test emits TestStepFinished; the ones before it nothing', () => {
    const samples = samplesOf(0);
    const before = given(manual, created, [patchMapSet(), testStarted(0), ...samples.slice(0, -2)]);
    before.when(samples[samples.length - 2]).thenNothing();
    before
      .given(samples[samples.length - 2])
      .when(samples[samples.length - 1])
      .then([emit('TestStepFinished', 0, { step: 0 })])
      .thenState({ openTests: new Map(), finishedTests: new Set([0]) });
  });

  it('with autoPump, the last AdcSampled of a test emits TestStepFinished and the next steps', () => {
    const samples = samplesOf(0);
    given(auto, created, [patchMapSet(), testStarted(0), ...samples.slice(0, -1)])
      .when(samples[samples.length - 1])
      .then([emit('TestStepFinished', 0, { step: 0 }), ...stepOut(0), ...testOut(1)]);
  });

  it('an AdcSampled of a test already finished (a duplicate) emits nothing', () => {
    given(auto, created, [patchMapSet(), ...testReadOut(0)])
      .when(adcSampled(0, 3, 13))
      .thenNothing();
  });

  it('a GatesEvolved with failed emits RunAborted with the reason; the run then sends nothing more', () => {
    const failed = signal('GatesEvolved', { step: 3, gates: '', failed: 'training step 3: Newton did not converge' }, { t_ns: 3 * T_H });
    given(auto, created, throughTest5())
      .when(failed)
      .then([emit('RunAborted', 3 * T_H, { reason: 'training step 3: Newton did not converge', step: 3 })])
      .thenState({ phase: 'ended', failure: 'training step 3: Newton did not converge' })
      .when(PUMP)
      .thenNothing();
  });

  it('a NodesSettled with failed emits RunAborted with the reason; one that settled emits nothing', () => {
    const settled = signal('NodesSettled', { step: 5, datapoint: 1, free_V: [0.1], gates: '' }, { t_ns: 5 * T_H });
    const failed = signal('NodesSettled', { step: 5, datapoint: 2, free_V: [], gates: '', failed: 'test at step 5: datapoint 2: singular matrix' }, { t_ns: 5 * T_H });
    const running = given(manual, created, throughTest5());
    running.when(settled).thenNothing();
    running
      .when(failed)
      .then([emit('RunAborted', 5 * T_H, { reason: 'test at step 5: datapoint 2: singular matrix', step: 5 })])
      .thenState({ phase: 'ended' });
  });

  it('ServiceStarted from edge-physics rewinds to its resumeFrom: the next Pump sends again from there, tests from there on included', () => {
    given(manual, created, throughTest5())
      .when(signal('ServiceStarted', { service: 'edge-physics', resumeFrom: 3 }))
      .thenNothing()
      .thenState({ nextStep: 3, acknowledged: 3, openTests: new Map() })
      .when(PUMP)
      .then([...stepOut(3), ...stepOut(4), ...testOut(5)]);
  });

  it('with autoPump, a ServiceStarted from edge-physics sends again at once', () => {
    given(auto, created, throughTest5())
      .when(signal('ServiceStarted', { service: 'edge-physics', resumeFrom: 4 }))
      .then([...stepOut(4), ...testOut(5)]);
  });

  it('ServiceStarted from clamping rewinds to the acknowledged step (the clamp lost the step in flight)', () => {
    given(manual, created, throughTest5())
      .when(signal('ServiceStarted', { service: 'clamping', resumeFrom: 0 }))
      .thenState({ nextStep: 3, acknowledged: 3, openTests: new Map() })
      .when(PUMP)
      .then([...stepOut(3), ...stepOut(4), ...testOut(5)]);
  });

  it('ServiceStarted from measurement changes nothing', () => {
    given(manual, created, throughTest5())
      .when(signal('ServiceStarted', { service: 'measurement', resumeFrom: 0 }))
      .thenNothing()
      .thenStateUnchanged();
  });

  describe('the end of the run (1 step: tests at 0 and 1)', () => {
    const short = xorExperiment({ schedule: { steps: 1 } });
    const shortCreated = runCreated(short);
    const shortSamples = samplesOf(1);
    // Test 0 read out, step 0 sent, test 1 sent, all but one of its samples in.
    const past = [patchMapSet(), ...testReadOut(0), signal('StepStarted', { step: 0, datapoint: dp(0, short) }), testStarted(1), ...shortSamples.slice(0, -1)];
    const ack0 = signal('GatesEvolved', { step: 0, gates: 'AAAAAAAAAAA=', datapoint: dp(0, short) }, { t_ns: T_H });
    const lastSample = shortSamples[shortSamples.length - 1];

    it('RunFinished only after the last step is acknowledged: test 1 read out first', () => {
      given(auto, shortCreated, past)
        .when(lastSample)
        .then([emit('TestStepFinished', T_H, { step: 1 })])
        .when(PUMP)
        .thenNothing()
        .when(ack0)
        .then([emit('RunFinished', T_H, { steps: 1 })])
        .thenState({ phase: 'ended' })
        .when(PUMP)
        .thenNothing();
    });

    it('RunFinished only after every test is read out: step 0 acknowledged first', () => {
      given(auto, shortCreated, past)
        .when(ack0)
        .thenNothing()
        .when(PUMP)
        .thenNothing()
        .when(lastSample)
        .then([emit('TestStepFinished', T_H, { step: 1 }), emit('RunFinished', T_H, { steps: 1 })]);
    });
  });

  it('datapoints are a function of (seed, step): a step sent again after a rewind applies the datapoint it applied before', () => {
    const first = given(manual, created, throughStep2()).when(PUMP);
    const datapoints = (o: { emits: ReadonlyArray<{ type: string; data: unknown }> }): unknown[] => o.emits.filter((e) => e.type === 'StepStarted').map((e) => e.data);
    expect(datapoints(first)).toEqual([2, 3, 4].map((step) => ({ step, datapoint: dp(step) })));
    const again = first
      .given(gatesEvolved(2))
      .when(signal('ServiceStarted', { service: 'edge-physics', resumeFrom: 2 }))
      .when(PUMP);
    expect(datapoints(again)).toEqual(datapoints(first));
    // A decider built anew for the same experiment draws the same datapoints.
    expect(datapoints(given(supervisorDecider({ window: 8, autoPump: false }), runCreated(xorExperiment()), throughStep2()).when(PUMP))).toEqual(datapoints(first));
    // …and the draw follows the seed.
    const seeds = [1, 2, 3, 4, 5].map((seed) => [...Array(16).keys()].map((k) => dp(k, xorExperiment({ seed }))).join(''));
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });

  it('withMissing holds pumping: nothing is sent while a service is missing, and sending resumes when it is back', () => {
    const running = given(auto, created, [patchMapSet(), ...testReadOut(0)]);
    const held = running.adjusted((s) => withMissing(s, ['clamping']));
    held.when(PUMP).thenNothing().thenStateUnchanged();
    held.when(signal('ServiceStarted', { service: 'edge-physics', resumeFrom: 0 })).thenNothing();
    held
      .adjusted((s) => withMissing(s, []))
      .when(PUMP)
      .then([...stepOut(0), ...testOut(1)]);
  });

  it('with refillBelow, an acknowledgement sends more only once that few steps are outstanding (fuller batches in the log)', () => {
    const refill = supervisorDecider({ window: 3, autoPump: true, refillBelow: 1 });
    const sent = [...throughStep2(), stepStarted(2), stepStarted(3), stepStarted(4)];
    given(refill, created, sent).when(gatesEvolved(2)).thenNothing().thenState({ acknowledged: 3, nextStep: 5 });
    given(refill, created, [...sent, gatesEvolved(2)])
      .when(gatesEvolved(3))
      .then([...testOut(5)]);
  });

  it('a RunFaulted from another service (a run it could not handle) aborts the run, naming the service and the reason', () => {
    given(auto, created, throughStep2())
      .when(signal('RunFaulted', { service: 'edge-physics', reason: 'RunCreated: spec.edges.map is not a function' }))
      .then([emit('RunAborted', 2 * T_H, { reason: 'edge-physics: RunCreated: spec.edges.map is not a function', step: 2 })]);
  });

  it('Cancel records RunCancelled at the acknowledged step; Resume of a cancelled run records RunResumed and sends on', () => {
    const cancelled = given(manual, created, throughStep2());
    cancelled.when({ type: 'Cancel', reason: 'cancelled by the user' }).then([emit('RunCancelled', 2 * T_H, { step: 2, reason: 'cancelled by the user' })]);
    given(manual, created, [...throughStep2(), signal('RunCancelled', { step: 2, reason: 'x' }, { t_ns: 2 * T_H })])
      .when({ type: 'Resume' })
      .then([emit('RunResumed', 2 * T_H, { step: 2 }), ...stepOut(2), ...stepOut(3), ...stepOut(4), ...testOut(5)]);
  });

  it('withMissing holds the steps an acknowledgement would release (autoPump)', () => {
    const windowed = supervisorDecider({ window: 1, autoPump: true });
    given(windowed, created, [...throughStep2(), stepStarted(2)])
      .adjusted((s) => withMissing(s, ['measurement']))
      .when(gatesEvolved(2))
      .thenNothing()
      .thenState({ acknowledged: 3, nextStep: 3 });
  });

  it('resumeSupervisor sends again from the first step missing from the log, keeping what the edge acknowledged', () => {
    // The log holds StepStarted up to 3 but the edge acknowledged steps 2, 3 and 4: StepStarted 4 was lost.
    const folded = given(manual, created, [...throughStep2(), stepStarted(2), stepStarted(3), gatesEvolved(2), gatesEvolved(3), gatesEvolved(4)]);
    expect(folded.state).toMatchObject({ nextStep: 5, acknowledged: 5 });
    folded
      .adjusted((s) => resumeSupervisor(s, 3))
      .when(PUMP)
      .then([...stepOut(4), ...testOut(5)]);
  });

  it('resumeSupervisor leaves a run that has not started as it is', () => {
    const fresh = given(manual, created);
    expect(resumeSupervisor(fresh.state, -1)).toBe(fresh.state);
  });

  it('executeSupervisorCall drives the port stub, and returns a promise only when the port does', async () => {
    const codes = (writes: ReadonlyArray<DacRequest>): DacWrite[] => writes.map((w) => ({ channel: w.channel, code: Math.round(w.volts / (0.45 / 256)) }));
    const log: string[] = [];
    const syncPort: SupervisorPort = {
      writeDac(t, writes) {
        log.push(`writeDac ${t} ${writes.length}`);
        return codes(writes);
      },
      pulseLearnEnable(t, d) {
        log.push(`pulse ${t} ${d}`);
      },
      setPotentiometer(t, eta) {
        log.push(`wiper ${t} ${eta}`);
        return { position: 64, positions: 128 };
      },
      selectDemux(t, a) {
        log.push(`demux ${t} ${a}`);
      },
    };
    const asyncPort: SupervisorPort = {
      writeDac: async (t, w) => syncPort.writeDac(t, w),
      pulseLearnEnable: async (t, d) => syncPort.pulseLearnEnable(t, d),
      setPotentiometer: async (t, eta) => syncPort.setPotentiometer(t, eta),
      selectDemux: async (t, a) => syncPort.selectDemux(t, a),
    };
    const cases: Array<[SupervisorCall, SupervisorResult, string[]]> = [
      [
        { op: 'writeDac', t_ns: 0, writes: testWrites(1), purpose: { kind: 'test', step: 0, datapoint: 1 } },
        { type: 'DacWrote', t_ns: 0, writes: codes(testWrites(1)), purpose: { kind: 'test', step: 0, datapoint: 1 } },
        ['writeDac 0 2'],
      ],
      [
        { op: 'driveStep', t_ns: T_H, step: 1, writes: trainWrites(2), duration_ns: T_H },
        { type: 'StepDriven', t_ns: T_H, step: 1, writes: codes(trainWrites(2)), duration_ns: T_H },
        [`writeDac ${T_H} 3`, `pulse ${T_H} ${T_H}`],
      ],
      [{ op: 'setPotentiometer', t_ns: 0, eta: 0.5 }, { type: 'WiperMoved', t_ns: 0, setting: { position: 64, positions: 128 }, eta: 0.5 }, ['wiper 0 0.5']],
      [{ op: 'selectDemux', t_ns: 7, step: 0, datapoint: 3, address: 13 }, { type: 'DemuxSet', t_ns: 7, step: 0, datapoint: 3, address: 13 }, ['demux 7 13']],
    ];
    await expectFastPath(executeSupervisorCall, syncPort, asyncPort, log, cases);
  });
});
