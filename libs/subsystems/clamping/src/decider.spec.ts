/**
 * The clamping circuit's decider, given / when / then: the potentiometer, the label line
 * per training step (the DAC channel the patch map names, bipolar for a differential
 * label), the clamp call for each free output, and the order guarantees (a free output
 * waits for its step's label; labels of applied steps are forgotten; a step sent again
 * replaces its label). In the xor fixture channel 4 is the label line.
 */
import { call, emit, type Signal } from '@metatwin/contracts';
import { SignalStamper, given, runCreated, threeOutputExperiment, xorExperiment, expectFastPath, xorSetUpSignals } from '@metatwin/contracts/testing';
import { clampingDecider } from './decider';
import { executeClampingCall, type ClampingCall, type ClampingPort, type ClampingResult } from './port';

const T_H = 100_000; // ns
const LSB = 0.45 / 256;
/** The differential label line (Fig. 9B): code c means c·LSB − V_max/2. */
const bipolar = (code: number): number => -0.225 + code * LSB;

const created = runCreated(xorExperiment());
const d = clampingDecider;
const stamper = new SignalStamper();
const { signal } = stamper;
const { patchMapSet, rails } = xorSetUpSignals(stamper);
const stepStarted = (k: number, datapoint = 1): Signal => signal('StepStarted', { step: k, datapoint }, { t_ns: k * T_H });
/** A training step's latch: the inputs, then the label line at `labelCode`. */
const stepWrites = (k: number, labelCode: number): Signal =>
  signal(
    'DacWritten',
    {
      writes: [
        { channel: 0, code: 0 },
        { channel: 1, code: 255 },
        { channel: 4, code: labelCode },
      ],
    },
    { t_ns: k * T_H },
  );
const freeOutput = (k: number, substep = 0): Signal => signal('FreeOutputMeasured', { step: k, substep, outputs_V: [0.21, 0.18] }, { t_ns: k * T_H });
const clamped = (k: number, substep = 0): ClampingResult => ({ type: 'Clamped', t_ns: k * T_H, step: k, substep, drives: 'voltage', values: [0.2, 0.19] });

describe('clamping decider', () => {
  it('PotentiometerSet calls setWiper with the position', () => {
    given(d, created, [patchMapSet()])
      .when(signal('PotentiometerSet', { position: 64, positions: 128, eta: 64 / 127 }))
      .then([call({ op: 'setWiper', t_ns: 0, position: 64, positions: 128 })]);
  });

  it('a WiperSet result has no output', () => {
    given(d, created, [patchMapSet()]).when({ type: 'WiperSet' }).thenNothing();
  });

  it('the label is read from the DacWritten on the label channel after StepStarted; the differential label line is bipolar: code c → c·0.45/256 − 0.225', () => {
    const started = given(d, created, [patchMapSet(), rails(), stepStarted(0)]);
    expect(started.state).toMatchObject({ labelChannels: [4], currentStep: 0, labels: [] });
    started
      .when(stepWrites(0, 78))
      .thenNothing()
      .thenState({ labels: [[0, [bipolar(78)]]] });
    expect(bipolar(0)).toBeCloseTo(-0.225, 12);
    expect(bipolar(128)).toBeCloseTo(0, 12);
  });

  it('a single-ended label line is unipolar: code c → c·0.45/256', () => {
    const singleEnded = runCreated(xorExperiment({ roles: { inputs: [0, 2], rails: xorExperiment().roles.rails, output: { node: 1 } }, clamp: { kind: 'coupled', eta: 0.5 } }));
    given(d, singleEnded, [patchMapSet(), stepStarted(0)])
      .when(stepWrites(0, 78))
      .thenState({ labels: [[0, [78 * LSB]]] });
  });

  it('the label line takes exact volts when the DAC is ideal', () => {
    given(d, created, [patchMapSet(), stepStarted(0)])
      .when(signal('DacWritten', { writes: [{ channel: 4, code: 78, volts: -0.087 }] }))
      .thenState({ labels: [[0, [-0.087]]] });
  });

  it('a DAC write before the first StepStarted (the rails) keeps no label; one without the label channel (a test) leaves the kept labels alone', () => {
    given(d, created, [patchMapSet()]).when(stepWrites(0, 78)).thenStateUnchanged();
    given(d, created, [patchMapSet(), stepStarted(0), stepWrites(0, 78)])
      .when(rails())
      .thenStateUnchanged();
  });

  it('FreeOutputMeasured with its label known calls clamp with that label', () => {
    given(d, created, [patchMapSet(), rails(), stepStarted(0), stepWrites(0, 78)])
      .when(freeOutput(0))
      .then([call({ op: 'clamp', t_ns: 0, step: 0, substep: 0, labels_V: [bipolar(78)], freeOutputs_V: [0.21, 0.18] })]);
  });

  it("out of order: a FreeOutputMeasured before its step's label is held (LATER), and answered once the DacWritten is in", () => {
    given(d, created, [patchMapSet(), rails(), stepStarted(0)])
      .when(freeOutput(0))
      .thenLater()
      .when(stepWrites(0, 78))
      .thenNothing()
      .when(freeOutput(0))
      .then([call({ op: 'clamp', t_ns: 0, step: 0, substep: 0, labels_V: [bipolar(78)], freeOutputs_V: [0.21, 0.18] })]);
  });

  it("a FreeOutputMeasured for a later step than the labels kept waits for that step's label", () => {
    given(d, created, [patchMapSet(), stepStarted(0), stepWrites(0, 78)])
      .when(freeOutput(1))
      .thenLater();
  });

  it('a Clamped result emits ClampOutputSet', () => {
    given(d, created, [patchMapSet(), stepStarted(0), stepWrites(0, 78)])
      .when(clamped(0))
      .then([emit('ClampOutputSet', 0, { step: 0, substep: 0, drives: 'voltage', values: [0.2, 0.19] })]);
  });

  it('labels of steps before the last clamp output are forgotten at the next label (the edge applies steps in order)', () => {
    // The supervisor ran ahead: labels of steps 0, 1 and 2 are kept.
    const ahead = given(d, created, [patchMapSet(), stepStarted(0), stepWrites(0, 78), stepStarted(1), stepWrites(1, 128), stepStarted(2), stepWrites(2, 200)]);
    expect(ahead.state.labels).toEqual([
      [0, [bipolar(78)]],
      [1, [bipolar(128)]],
      [2, [bipolar(200)]],
    ]);
    ahead
      .when(clamped(1))
      .then([emit('ClampOutputSet', T_H, { step: 1, substep: 0, drives: 'voltage', values: [0.2, 0.19] })])
      .thenState({ answered: 1 })
      .given(stepStarted(3))
      .when(stepWrites(3, 90))
      .thenState({
        labels: [
          [1, [bipolar(128)]],
          [2, [bipolar(200)]],
          [3, [bipolar(90)]],
        ],
      })
      .when(freeOutput(0))
      .thenLater(); // step 0's label is gone
  });

  it('after a rewind (steps answered before are sent again), every re-sent step is answered again', () => {
    // Steps 0–3 answered, then the supervisor rewinds to step 1 and sends 1, 2, 3 again in a burst.
    const answered = given(d, created, [
      patchMapSet(),
      stepStarted(0),
      stepWrites(0, 10),
      stepStarted(1),
      stepWrites(1, 11),
      stepStarted(2),
      stepWrites(2, 12),
      stepStarted(3),
      stepWrites(3, 13),
    ]).given(...[0, 1, 2, 3].map((k) => signal('ClampOutputSet', { step: k, substep: 0, drives: 'voltage', values: [0.2, 0.19] }, { t_ns: k * T_H })));
    const resent = answered.given(stepStarted(1), stepWrites(1, 21), stepStarted(2), stepWrites(2, 22), stepStarted(3), stepWrites(3, 23));
    for (const [k, code] of [
      [1, 21],
      [2, 22],
      [3, 23],
    ] as const) {
      resent.when(freeOutput(k)).thenMatch([{ kind: 'call', call: { op: 'clamp', step: k, labels_V: [bipolar(code)] } }]);
    }
  });

  it('a step sent again replaces the kept label (and those of the steps after it)', () => {
    given(d, created, [patchMapSet(), stepStarted(0), stepWrites(0, 78), stepStarted(1), stepWrites(1, 128), stepStarted(2), stepWrites(2, 200)])
      .given(stepStarted(1))
      .when(stepWrites(1, 100))
      .thenState({
        labels: [
          [0, [bipolar(78)]],
          [1, [bipolar(100)]],
        ],
      });
  });

  it("several outputs: one label line per output (the patch map says which), all of a step's lines before its clamp call, a latch may carry some of them", () => {
    const three = runCreated(threeOutputExperiment([0.05, -0.05, -0.05]));
    // Label lines on channels 6, 4 and 5 for outputs 0, 1 and 2: the patch map, not the order, decides.
    const held = (patchMapSet() as Signal<'PatchMapSet'>).data.channels.filter((c) => c.kind === 'node');
    const patch = signal('PatchMapSet', { channels: [...held, { kind: 'label', output: 1 }, { kind: 'label', output: 2 }, { kind: 'label', output: 0 }] });
    const latch = (...writes: Array<[number, number]>): Signal => signal('DacWritten', { writes: writes.map(([channel, code]) => ({ channel, code })) });
    const outputs = [0.21, 0.18, 0.2, 0.2, 0.19, 0.22];
    const free = signal('FreeOutputMeasured', { step: 0, substep: 0, outputs_V: outputs });
    const started = given(d, three, [patch, stepStarted(0)]);
    expect(started.state).toMatchObject({ labelChannels: [6, 4, 5] });
    started
      .when(latch([0, 0], [6, 156], [4, 100]))
      .thenState({ labels: [[0, [bipolar(156), bipolar(100), NaN]]] })
      .when(free)
      .thenLater() // output 2's line is not written yet
      .given(latch([5, 99]))
      .when(free)
      .then([call({ op: 'clamp', t_ns: 0, step: 0, substep: 0, labels_V: [bipolar(156), bipolar(100), bipolar(99)], freeOutputs_V: outputs })]);
  });

  it('executeClampingCall drives the port stub, and returns a promise only when the port does', async () => {
    const log: string[] = [];
    const syncPort: ClampingPort = {
      drives: 'voltage',
      setWiper(t, position, positions) {
        log.push(`wiper ${t} ${position}/${positions}`);
      },
      setLabel(t, labels) {
        log.push(`label ${t} ${labels.join(',')}`);
      },
      clamp(t, free) {
        log.push(`clamp ${t} ${free.join(',')}`);
        return free.map((v) => v - 0.01);
      },
    };
    const asyncPort: ClampingPort = {
      drives: 'voltage',
      setWiper: async (t, p, n) => syncPort.setWiper(t, p, n),
      setLabel: async (t, l) => syncPort.setLabel(t, l),
      clamp: async (t, f) => syncPort.clamp(t, f),
    };
    const cases: Array<[ClampingCall, ClampingResult, string[]]> = [
      [{ op: 'setWiper', t_ns: 0, position: 64, positions: 128 }, { type: 'WiperSet' }, ['wiper 0 64/128']],
      [
        { op: 'clamp', t_ns: T_H, step: 1, substep: 0, labels_V: [-0.087], freeOutputs_V: [0.25, 0.5] },
        { type: 'Clamped', t_ns: T_H, step: 1, substep: 0, drives: 'voltage', values: [0.25 - 0.01, 0.5 - 0.01] },
        [`label ${T_H} -0.087`, `clamp ${T_H} 0.25,0.5`],
      ],
    ];
    await expectFastPath(executeClampingCall, syncPort, asyncPort, log, cases);
  });
});
