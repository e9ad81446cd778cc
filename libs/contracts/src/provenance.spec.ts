/**
 * The forged signals of issue 14, as the contract refuses them: each names what is wrong.
 * What the contract cannot know (the run's t_h, which DAC channel is a rail, how many gates a
 * network has) is the receiving decider's; what only a signature can prove (that the
 * subject's own source wrote a batch) is libs/bus's.
 */
import { checkBatchProvenance } from './provenance';
import { CONTRACT_VERSION, EMITTER, SIGNAL_TYPES, SOURCES, encodeFloat64, mayEmit, type Source } from './signals';
import { parseLogSubject, SUBJECTS } from './subjects';
import { checkSignal, LEARN_PULSE_MAX_NS } from './validate';

const meta = (source: Source, runId = 'run-1') => ({ v: CONTRACT_VERSION, runId, source, seq: 9, t_ns: 500_000 });
const refused = (value: unknown): string => {
  const c = checkSignal(value);
  if (c.ok) throw new Error(`accepted ${JSON.stringify(value).slice(0, 120)}`);
  return c.reason;
};
const gates = (...v: number[]): string => encodeFloat64(Float64Array.from(v));

describe('provenance: the subject names the run and source, the header must agree', () => {
  it('parses mtlog.<run>.<source> and nothing else', () => {
    expect(parseLogSubject(SUBJECTS.log('run-1', 'clamping'))).toEqual({ runId: 'run-1', source: 'clamping' });
    expect(parseLogSubject('mtlog.run-1')).toBeNull();
    expect(parseLogSubject('mt.sig.run-1.clamping.X')).toBeNull();
    expect(parseLogSubject('mtlog..clamping')).toBeNull();
  });

  it('accepts a batch stored under its own run and source', () => {
    expect(checkBatchProvenance('mtlog.run-1.supervisor', { runId: 'run-1', source: 'supervisor' })).toBeNull();
  });

  it.each<[string, string, { runId: unknown; source: unknown }, RegExp]>([
    ['a RunAborted for run-1 stored under another run', 'mtlog.run-2.supervisor', { runId: 'run-1', source: 'supervisor' }, /claims run run-1, but its subject is run run-2/],
    ['clamp outputs posed by the edge physics', 'mtlog.run-1.edge-physics', { runId: 'run-1', source: 'clamping' }, /claims source clamping, but its subject is edge-physics's/],
    [
      'a ServiceStarted posing as clamping from the measurement subject',
      'mtlog.run-1.measurement',
      { runId: 'run-1', source: 'clamping' },
      /claims source clamping.*measurement's/,
    ],
    ['a subject of no metatwin source', 'mtlog.run-1.intruder', { runId: 'run-1', source: 'intruder' }, /names no metatwin source/],
    ['a subject outside the log', 'mt.rpc.supervisor.start', { runId: 'run-1', source: 'supervisor' }, /is not an event log subject/],
    ['a header without a run', 'mtlog.run-1.supervisor', { runId: undefined, source: 'supervisor' }, /claims run undefined/],
  ])('refuses %s, naming it', (_what, subject, claimed, reason) => {
    expect(checkBatchProvenance(subject, claimed)).toMatch(reason);
  });
});

describe('provenance: who may send what (EMITTER, the one table)', () => {
  it('gives each signal type one emitter or each service about itself, and mayEmit reads it', () => {
    for (const type of SIGNAL_TYPES) for (const source of SOURCES) expect(mayEmit(source, type)).toBe(EMITTER[type] === 'any' || EMITTER[type] === source);
    // The wiring of issue 14: DAC, learn-enable, potentiometer and run control only from the supervisor.
    for (const type of ['DacWritten', 'LearningEnabled', 'PotentiometerSet', 'RunCreated', 'RunAborted', 'RunFinished', 'RunCancelled', 'RunResumed'] as const)
      expect(EMITTER[type]).toBe('supervisor');
    expect(EMITTER.ClampOutputSet).toBe('clamping');
    expect(EMITTER.AdcSampled).toBe('measurement');
    for (const type of ['GatesEvolved', 'StateSnapshot', 'NodesSettled', 'FreeOutputMeasured'] as const) expect(EMITTER[type]).toBe('edge-physics');
  });

  it.each<[string, unknown, RegExp]>([
    [
      'RunAborted forged by the measurement service',
      { type: 'RunAborted', meta: meta('measurement'), data: { reason: 'forged', step: 3 } },
      /RunAborted: meta\.source must be supervisor for RunAborted, got "measurement"/,
    ],
    [
      'DacWritten on a rail channel from the clamp',
      { type: 'DacWritten', meta: meta('clamping'), data: { writes: [{ channel: 2, code: 200 }] } },
      /DacWritten: meta\.source must be supervisor for DacWritten, got "clamping"/,
    ],
    [
      'clamp outputs posed by the edge physics',
      { type: 'ClampOutputSet', meta: meta('edge-physics'), data: { step: 4, substep: 0, drives: 'voltage', values: [0.2, 0.1] } },
      /ClampOutputSet: meta\.source must be clamping for ClampOutputSet, got "edge-physics"/,
    ],
    [
      'ServiceStarted posing as clamping, sent by the measurement service',
      { type: 'ServiceStarted', meta: meta('measurement'), data: { service: 'clamping', resumeFrom: 0 } },
      /ServiceStarted: data\.service must be the emitting service \(measurement\): no service speaks for another, got "clamping"/,
    ],
    [
      'PotentiometerSet from the edge physics',
      { type: 'PotentiometerSet', meta: meta('edge-physics'), data: { position: 3, positions: 128, eta: 0.5 } },
      /must be supervisor for PotentiometerSet/,
    ],
  ])('refuses %s', (_what, value, reason) => {
    expect(refused(value)).toMatch(reason);
  });
});

describe('values a receiver can check without the experiment', () => {
  const learning = (duration_ns: number): unknown => ({ type: 'LearningEnabled', meta: meta('supervisor'), data: { step: 4, duration_ns } });
  const evolved = (g: string): unknown => ({ type: 'GatesEvolved', meta: meta('edge-physics'), data: { step: 4, gates: g } });
  const snapshot = (g: string, warm: string): unknown => ({ type: 'StateSnapshot', meta: meta('edge-physics'), data: { step: 999, gates: g, warm } });
  const settled = (g: string, failed?: string): unknown => ({
    type: 'NodesSettled',
    meta: meta('edge-physics'),
    data: { step: 10, datapoint: 1, free_V: failed ? [] : [0.1, 0.2], gates: g, ...(failed ? { failed } : {}) },
  });

  it('refuses a LearningEnabled of 10 s (no t_h is longer than 1 s), and takes one of 1 s or of the paper’s 100 µs', () => {
    expect(refused(learning(10_000_000_000))).toMatch(/LearningEnabled: duration_ns must be an integer in 1\.\.1000000000, got 10000000000/);
    expect(checkSignal(learning(LEARN_PULSE_MAX_NS)).ok).toBe(true);
    expect(checkSignal(learning(100_000)).ok).toBe(true);
  });

  it.each<[string, unknown, RegExp]>([
    ['GatesEvolved with a NaN gate', evolved(gates(3.5, Number.NaN, 2)), /GatesEvolved: gates\[1\] must be a finite number, got NaN/],
    ['GatesEvolved with an infinite gate', evolved(gates(Number.POSITIVE_INFINITY)), /gates\[0\] must be a finite number, got Infinity/],
    ['GatesEvolved with no gates in its gates', evolved(''), /gates must hold at least 1 float64 value/],
    ['gates of 12 bytes (not whole float64s)', evolved(Buffer.alloc(12).toString('base64')), /gates must be base64 float64 data \(a whole number of 8-byte values\)/],
    ['gates that are not canonical base64', evolved('AAAAAAAADEA'), /gates must be base64 float64 data/],
    ['a snapshot with a NaN gate', snapshot(gates(Number.NaN), gates(0.1)), /StateSnapshot: gates\[0\] must be a finite number, got NaN/],
    ['a snapshot with an infinite warm start', snapshot(gates(1), gates(0.1, Number.NEGATIVE_INFINITY)), /warm\[1\] must be a finite number or NaN, got -Infinity/],
    ['a test reading with NaN gates', settled(gates(1, Number.NaN)), /NodesSettled: gates\[1\] must be a finite number, got NaN/],
    ['a test reading without gates that does not say it failed', settled(''), /NodesSettled: gates must hold at least 1 float64 value/],
  ])('refuses %s', (_what, value, reason) => {
    expect(refused(value)).toMatch(reason);
  });

  it('keeps what the contract allows: NaN warm starts (slots never solved), an empty warm (a bridge), a failed reading without gates', () => {
    expect(checkSignal(snapshot(gates(3.5, 1.25), gates(Number.NaN, 0.2, Number.NaN))).ok).toBe(true);
    expect(checkSignal(snapshot(gates(3.5), '')).ok).toBe(true);
    expect(checkSignal(settled('', 'test at step 10: datapoint 1: did not converge')).ok).toBe(true);
    expect(checkSignal(evolved(gates(3.5, -0, 1e-300))).ok).toBe(true);
  });

  it('names NaN and Infinity as such where JSON would say null', () => {
    expect(refused({ type: 'AdcSampled', meta: meta('measurement'), data: { step: 1, datapoint: 0, address: 3, nodeCode: Number.NaN, gateCode: 4, repeats: 1 } })).toMatch(
      /nodeCode must be a number in 0\.\.255, got NaN/,
    );
  });
});
