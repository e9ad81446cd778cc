/** Issue 14's forged signals, shared by the permission and the provenance tests. */
import { encodeFloat64, type SignalType, type Source } from '@metatwin/contracts';

/** Each `[the source it poses as, type, data]`, aimed at training step `k`: the table of issue 14. */
export function forgeries(k: number): Array<[Source, SignalType, object]> {
  return [
    ['supervisor', 'RunAborted', { reason: 'forged abort', step: k }],
    ['supervisor', 'LearningEnabled', { step: k, duration_ns: 10_000_000_000 }],
    ['supervisor', 'DacWritten', { writes: [{ channel: 2, code: 255 }] }],
    ['clamping', 'ClampOutputSet', { step: k, substep: 0, drives: 'voltage', values: [0.9] }],
    ['clamping', 'ServiceStarted', { service: 'clamping', resumeFrom: 0 }],
    ['edge-physics', 'GatesEvolved', { step: k, gates: encodeFloat64(new Float64Array(32).fill(Number.NaN)) }],
  ];
}
