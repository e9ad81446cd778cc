/**
 * Checking what arrives off the wire. Every service validates every signal it receives;
 * a bad one is answered with a reason on the dead-letter subject and otherwise ignored.
 */
import { CONTRACT_VERSION, EMITTER, SELF_REPORTED, SIGNAL_TYPES, SOURCES, type Signal, type SignalType } from './signals';

export type Checked = { readonly ok: true; readonly signal: Signal } | { readonly ok: false; readonly reason: string };

/**
 * Most DAC channels a run may use: the paper's board has 8 (DAC_CHANNELS_PER_BOARD); its shift
 * registers chain, so a larger task (Iris: 4 inputs, 2 rails, 3 label lines) chains boards,
 * up to 32 (channel numbers stay one byte).
 */
export const DAC_CHANNEL_COUNT = 256;
/** DAC channels on one of the paper's boards (Appendix E.3). */
export const DAC_CHANNELS_PER_BOARD = 8;
export const DAC_CODE_MAX = 255;
export const ADC_CODE_MAX = 255;
export const MAX_ARRAY = 1 << 20;
/**
 * The longest learn-enable pulse (ns): one step's t_h, which an experiment keeps within
 * [1e-9, 1] s (libs/experiments, schedule.t_h_s). A LearningEnabled longer than this is no
 * step of any run; that its duration is this run's t_h exactly only the edge physics, which
 * holds the experiment, can check (and does).
 */
export const LEARN_PULSE_MAX_NS = 1_000_000_000;

const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;
/** Canonical base64 (RFC 4648, padded): what encodeFloat64 writes. */
export const BASE64_PATTERN = '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';
/**
 * The same test at run time without the pattern's backtracking group, which overflows V8's
 * regex stack on a million gates: the alphabet, padding only at the end, whole quads.
 */
const isBase64 = (v: string): boolean => v.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(v);
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Bad extends Error {}
const bad = (field: string, value: unknown, allowed: string): never => {
  let shown: string;
  try {
    // JSON has no NaN or Infinity (it writes null): name them as they are.
    shown = typeof value === 'number' && !Number.isFinite(value) ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = String(value);
  }
  throw new Bad(`${field} ${allowed}, got ${shown.length > 60 ? shown.slice(0, 57) + '...' : shown}`);
};

function int(o: Obj, k: string, min: number, max: number, prefix = ''): void {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(prefix + k, v, `must be an integer in ${min}..${max}`);
}
function finite(o: Obj, k: string, min = -Infinity, max = Infinity): void {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) bad(k, v, min === -Infinity ? 'must be a finite number' : `must be a number in ${min}..${max}`);
}
function finiteArray(o: Obj, k: string): void {
  const v = o[k];
  if (!Array.isArray(v) || v.length > MAX_ARRAY) bad(k, v, 'must be an array of numbers');
  (v as unknown[]).forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) bad(`${k}[${i}]`, x, 'must be a finite number');
  });
}
/**
 * Base64 float64 values (encodeFloat64), decoded and checked: whole values, at least
 * `minValues` of them, and each finite — or, with `nanAllowed`, finite or NaN (a snapshot's
 * warm-start slots that were never solved). The count a network needs is the receiving
 * decider's to check: the contract does not know the network.
 */
function base64(o: Obj, k: string, values: { readonly min?: number; readonly nanAllowed?: boolean } = {}): void {
  const v = o[k];
  if (typeof v !== 'string' || (v.length * 3) / 4 > 8 * MAX_ARRAY || !isBase64(v)) bad(k, typeof v === 'string' ? v.slice(0, 20) : v, 'must be base64 float64 data');
  const bytes = Buffer.from(v as string, 'base64');
  if (bytes.byteLength % 8 !== 0) bad(k, `${bytes.byteLength} bytes`, 'must be base64 float64 data (a whole number of 8-byte values)');
  const n = bytes.byteLength / 8;
  if (n < (values.min ?? 0)) bad(k, `${n} values`, `must hold at least ${values.min ?? 0} float64 value(s)`);
  for (let i = 0; i < n; i++) {
    const x = bytes.readDoubleLE(i * 8);
    if (!Number.isFinite(x) && !(values.nanAllowed === true && Number.isNaN(x)))
      bad(`${k}[${i}]`, x, values.nanAllowed === true ? 'must be a finite number or NaN' : 'must be a finite number');
  }
}
function oneOf(o: Obj, k: string, allowed: readonly string[]): void {
  if (!allowed.includes(o[k] as string)) bad(k, o[k], `must be one of ${allowed.join(', ')}`);
}
const STEP_MAX = Number.MAX_SAFE_INTEGER;

const DATA: { readonly [T in SignalType]: (d: Obj) => void } = {
  RunCreated: (d) => {
    if (d.contract !== CONTRACT_VERSION) bad('contract', d.contract, `must be ${CONTRACT_VERSION} (this metatwin's contract version)`);
    if (!isObj(d.experiment)) bad('experiment', d.experiment, 'must be an object');
    oneOf(d, 'mode', ['embedded', 'distributed']);
    if (d.startedAt_ms !== undefined) int(d, 'startedAt_ms', 0, Number.MAX_SAFE_INTEGER);
  },
  RunFinished: (d) => int(d, 'steps', 0, STEP_MAX),
  RunAborted: (d) => {
    if (typeof d.reason !== 'string') bad('reason', d.reason, 'must be a string');
    int(d, 'step', 0, STEP_MAX);
  },
  RunCancelled: (d) => {
    if (typeof d.reason !== 'string') bad('reason', d.reason, 'must be a string');
    int(d, 'step', 0, STEP_MAX);
  },
  RunResumed: (d) => int(d, 'step', 0, STEP_MAX),
  StateSnapshot: (d) => {
    int(d, 'step', 0, STEP_MAX);
    base64(d, 'gates', { min: 1 });
    base64(d, 'warm', { nanAllowed: true });
    if (d.learningEnergy_J !== undefined) finite(d, 'learningEnergy_J', 0);
  },
  RunFaulted: (d) => {
    oneOf(d, 'service', SOURCES);
    if (typeof d.reason !== 'string' || d.reason.length > 2000) bad('reason', d.reason, 'must be a string of at most 2000 characters');
  },
  PotentiometerSet: (d) => {
    int(d, 'positions', 2, 1 << 16);
    int(d, 'position', 0, (d.positions as number) - 1);
    finite(d, 'eta', 0, 1);
  },
  PatchMapSet: (d) => {
    if (!Array.isArray(d.channels) || d.channels.length > DAC_CHANNEL_COUNT) bad('channels', d.channels, `must be an array of at most ${DAC_CHANNEL_COUNT} targets`);
    (d.channels as unknown[]).forEach((c, i) => {
      if (!isObj(c)) bad(`channels[${i}]`, c, 'must be an object');
      const t = c as Obj;
      oneOf(t, 'kind', ['node', 'label']);
      if (t.kind === 'node') int(t, 'node', 0, MAX_ARRAY);
      else int(t, 'output', 0, DAC_CHANNEL_COUNT);
    });
  },
  StepStarted: (d) => {
    int(d, 'step', 0, STEP_MAX);
    int(d, 'datapoint', 0, MAX_ARRAY);
  },
  DacWritten: (d) => {
    if (!Array.isArray(d.writes) || d.writes.length < 1 || d.writes.length > DAC_CHANNEL_COUNT)
      bad('writes', d.writes, `must be an array of 1..${DAC_CHANNEL_COUNT} channel writes`);
    const seen = new Set<unknown>();
    (d.writes as unknown[]).forEach((w, i) => {
      if (!isObj(w)) bad(`writes[${i}]`, w, 'must be an object');
      const o = w as Obj;
      int(o, 'channel', 0, DAC_CHANNEL_COUNT - 1, `writes[${i}].`);
      int(o, 'code', 0, DAC_CODE_MAX, `writes[${i}].`);
      if (o.volts !== undefined && (typeof o.volts !== 'number' || !Number.isFinite(o.volts) || o.volts < -1 || o.volts > 1))
        bad(`writes[${i}].volts`, o.volts, 'must be a number in -1..1');
      if (seen.has(o.channel)) bad(`writes[${i}].channel`, o.channel, 'must not repeat a channel of the same latch');
      seen.add(o.channel);
    });
  },
  LearningEnabled: (d) => {
    int(d, 'step', 0, STEP_MAX);
    int(d, 'duration_ns', 1, LEARN_PULSE_MAX_NS);
  },
  FreeOutputMeasured: (d) => {
    int(d, 'step', 0, STEP_MAX);
    int(d, 'substep', 0, 1 << 20);
    finiteArray(d, 'outputs_V');
  },
  ClampOutputSet: (d) => {
    int(d, 'step', 0, STEP_MAX);
    int(d, 'substep', 0, 1 << 20);
    oneOf(d, 'drives', ['voltage', 'current']);
    finiteArray(d, 'values');
  },
  GatesEvolved: (d) => {
    int(d, 'step', 0, STEP_MAX);
    if (d.gates !== undefined) base64(d, 'gates', { min: 1 });
    if (d.datapoint !== undefined) int(d, 'datapoint', 0, MAX_ARRAY);
    if (d.failed !== undefined && typeof d.failed !== 'string') bad('failed', d.failed, 'must be a string when present');
  },
  TestStepStarted: (d) => int(d, 'step', 0, STEP_MAX),
  TestDatapointApplied: (d) => {
    int(d, 'step', 0, STEP_MAX);
    int(d, 'datapoint', 0, MAX_ARRAY);
  },
  NodesSettled: (d) => {
    int(d, 'step', 0, STEP_MAX);
    int(d, 'datapoint', 0, MAX_ARRAY);
    finiteArray(d, 'free_V');
    if (d.failed !== undefined && typeof d.failed !== 'string') bad('failed', d.failed, 'must be a string when present');
    // A failed reading has no gates (''); a reading has them all.
    base64(d, 'gates', { min: d.failed === undefined ? 1 : 0 });
    if (d.clamped_V !== undefined) finiteArray(d, 'clamped_V');
  },
  DemuxSelected: (d) => {
    int(d, 'step', 0, STEP_MAX);
    int(d, 'datapoint', 0, MAX_ARRAY);
    int(d, 'address', 0, MAX_ARRAY);
  },
  AdcSampled: (d) => {
    int(d, 'step', 0, STEP_MAX);
    int(d, 'datapoint', 0, MAX_ARRAY);
    int(d, 'address', 0, MAX_ARRAY);
    finite(d, 'nodeCode', 0, ADC_CODE_MAX);
    finite(d, 'gateCode', 0, ADC_CODE_MAX);
    int(d, 'repeats', 1, 1 << 20);
  },
  TestStepFinished: (d) => int(d, 'step', 0, STEP_MAX),
  ServiceStarted: (d) => {
    oneOf(d, 'service', SOURCES);
    int(d, 'resumeFrom', 0, STEP_MAX);
  },
  PortBound: (d) => {
    oneOf(d, 'service', SOURCES);
    if (typeof d.adapter !== 'string' || !/^(sim|mirror|bridge:.+)$/.test(d.adapter)) bad('adapter', d.adapter, 'must be sim, mirror or bridge:<address>');
  },
};

/** Validate an untrusted value as a signal; never throws. */
export function checkSignal(value: unknown): Checked {
  try {
    if (!isObj(value)) bad('signal', value, 'must be an object');
    const s = value as Obj;
    if (!(SIGNAL_TYPES as readonly unknown[]).includes(s.type)) bad('type', s.type, 'must be a known signal type');
    const type = s.type as SignalType;
    if (!isObj(s.meta)) bad('meta', s.meta, 'must be an object');
    const m = s.meta as Obj;
    if (m.v !== CONTRACT_VERSION) bad('meta.v', m.v, `must be contract version ${CONTRACT_VERSION}`);
    if (typeof m.runId !== 'string' || !TOKEN.test(m.runId)) bad('meta.runId', m.runId, 'must be 1–128 characters of A–Z a–z 0–9 _ -');
    if (!(SOURCES as readonly unknown[]).includes(m.source)) bad('meta.source', m.source, `must be one of ${SOURCES.join(', ')}`);
    const emitter = EMITTER[type];
    if (emitter !== 'any' && m.source !== emitter) bad('meta.source', m.source, `must be ${emitter} for ${type}`);
    int(m, 'seq', 1, STEP_MAX, 'meta.');
    int(m, 't_ns', 0, STEP_MAX, 'meta.');
    if (!isObj(s.data)) bad('data', s.data, 'must be an object');
    DATA[type](s.data as Obj);
    if ((SELF_REPORTED as readonly string[]).includes(type) && (s.data as Obj).service !== m.source)
      bad('data.service', (s.data as Obj).service, `must be the emitting service (${String(m.source)}): no service speaks for another`);
    return { ok: true, signal: value as Signal };
  } catch (err) {
    if (err instanceof Bad) {
      const type = isObj(value) && typeof value.type === 'string' ? `${value.type}: ` : '';
      return { ok: false, reason: `${type}${err.message}` };
    }
    return { ok: false, reason: `unreadable signal: ${(err as Error).message}` };
  }
}

/** Decode and validate wire bytes (UTF-8 JSON). */
export function decodeSignal(bytes: Uint8Array): Checked {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  return checkSignal(value);
}

export function encodeSignal(signal: Signal): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(signal));
}

export function isRunToken(s: string): boolean {
  return TOKEN.test(s);
}
