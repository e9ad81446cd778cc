/**
 * The given / when / then helper itself, on a toy decider: what it folds, what it evolves
 * (the input unless LATER, then what the decider emits, as the host does), and how signals
 * are stamped.
 */
import { CONTRACT_VERSION } from '../signals';
import { LATER, NO_OUTPUT, call, emit, type Decider } from '../decider';
import { given } from './decider-scenario';
import { XOR_EXPERIMENT, xorExperiment } from './experiment-fixture';
import { SignalStamper, runCreated, signal } from './signal-builder';

interface Toy {
  readonly started: number;
  readonly finished: number;
}
type ToyInput = { readonly type: 'Go' };
type ToyCall = { readonly op: 'poke'; readonly step: number };

/** Counts StepStarted and TestStepFinished; answers Go with a TestStepFinished; holds a TestStepStarted until a step has started. */
const toy: Decider<Toy, ToyInput, ToyCall> = {
  source: 'supervisor',
  listensTo: [],
  accepts: [],
  start: () => ({ started: 0, finished: 0 }),
  decide(s, input) {
    switch (input.type) {
      case 'Go':
        return [emit('TestStepFinished', 5, { step: s.started }), call({ op: 'poke', step: s.started })];
      case 'TestStepStarted':
        return s.started === 0 ? LATER : NO_OUTPUT;
      default:
        return NO_OUTPUT;
    }
  },
  evolve(s, sig) {
    if (sig.type === 'StepStarted') return { ...s, started: s.started + 1 };
    if (sig.type === 'TestStepFinished') return { ...s, finished: s.finished + 1 };
    return s;
  },
};

const created = runCreated(xorExperiment());
const stepStarted = (step: number) => signal('StepStarted', { step, datapoint: 0 });

describe('decider scenario helper', () => {
  it('given folds the past signals through evolve', () => {
    expect(given(toy, created, [stepStarted(0), stepStarted(1)]).state).toEqual({ started: 2, finished: 0 });
  });

  it('when evolves a signal input, then every emitted signal; a command is not evolved', () => {
    given(toy, created).when(stepStarted(0)).thenNothing().thenState({ started: 1 });
    const go = given(toy, created, [stepStarted(0)]).when({ type: 'Go' });
    go.then([emit('TestStepFinished', 5, { step: 1 }), call({ op: 'poke', step: 1 })]).thenState({ started: 1, finished: 1 });
    expect(go.calls).toEqual([{ op: 'poke', step: 1 }]);
    expect(go.emits.map((e) => e.type)).toEqual(['TestStepFinished']);
    expect(go.emitted[0].meta).toEqual({ v: CONTRACT_VERSION, runId: created.meta.runId, source: 'supervisor', seq: 2, t_ns: 5 });
  });

  it('thenLater leaves the state as it was; the input can be offered again after the state changes', () => {
    given(toy, created)
      .when(signal('TestStepStarted', { step: 0 }))
      .thenLater()
      .when(stepStarted(0))
      .when(signal('TestStepStarted', { step: 0 }))
      .thenNothing();
  });

  it('a failed expectation fails the spec', () => {
    const o = given(toy, created).when({ type: 'Go' });
    expect(() => o.thenLater()).toThrow();
    expect(() => o.thenNothing()).toThrow();
    expect(() =>
      given(toy, created)
        .when(signal('TestStepStarted', { step: 0 }))
        .thenNothing(),
    ).toThrow();
  });

  it('signals are stamped with the emitter, or the service an "any" signal names, and numbered per source', () => {
    const { signal: sig } = new SignalStamper('run-x');
    expect(sig('StepStarted', { step: 0, datapoint: 0 }).meta).toEqual({ v: CONTRACT_VERSION, runId: 'run-x', source: 'supervisor', seq: 1, t_ns: 0 });
    expect(sig('StepStarted', { step: 1, datapoint: 0 }, { t_ns: 7 }).meta).toMatchObject({ source: 'supervisor', seq: 2, t_ns: 7 });
    expect(sig('GatesEvolved', { step: 0, gates: '' }).meta).toMatchObject({ source: 'edge-physics', seq: 1 });
    expect(sig('ServiceStarted', { service: 'clamping', resumeFrom: 0 }).meta).toMatchObject({ source: 'clamping', seq: 1 });
    expect(sig('PortBound', { service: 'measurement', adapter: 'sim' }, { seq: 9 }).meta).toMatchObject({ source: 'measurement', seq: 9 });
  });

  it('the experiment fixture fills every field and patches schedule, quantisation and imperfections field by field', () => {
    const e = xorExperiment({ seed: 7, schedule: { substeps: 3 }, quantisation: { dac: false } });
    expect(e).toMatchObject({ seed: 7, schedule: { ...XOR_EXPERIMENT.schedule, substeps: 3 }, quantisation: { dac: false, adc: true, adcRepeats: 1 } });
    expect(Object.keys(XOR_EXPERIMENT).sort()).toEqual(
      [
        'clamp',
        'dataset',
        'description',
        'imperfections',
        'initialGates_V',
        'learning',
        'name',
        'network',
        'quantisation',
        'rig',
        'roles',
        'schedule',
        'seed',
        'transistor',
      ].sort(),
    );
    expect(XOR_EXPERIMENT.initialGates_V).toHaveLength(32);
  });
});
