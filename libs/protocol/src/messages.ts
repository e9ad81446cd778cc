/**
 * The I/O controller's commands and replies (docs/protocol.md), as typed messages, and their
 * payloads. Host → controller types are 0x01–0x7F, controller → host 0x80–0xFF. Every command
 * is answered, with the command's sequence number: by `ack`, by the reply named for it, or by
 * `error` naming the command and the reason. In autonomous mode the controller also sends
 * `stepsDone` and `scheduleDone` unasked, with the sequence number of the `scheduleRun`.
 */
import { decodeFrame, encodeFrame, PROTOCOL_VERSION, type Frame } from './frame';

/** The board's fixed ranges (paper, Appendix E): 8 DAC channels of 8 bits, a 128-position potentiometer, 32 demux addresses. */
export const DAC_CHANNELS = 8;
export const POT_POSITIONS = 128;
export const DEMUX_ADDRESSES = 32;
/**
 * The test jig's 16-bit DAC channels, which stand in for a subsystem that is simulated
 * (docs/protocol.md, "The test jig"): what each drives and its range (V).
 */
export const JIG_CHANNELS = [
  { name: 'clamped output 0 (O^C from a simulated clamp)', min_V: -1, max_V: 1 },
  { name: 'clamped output 1', min_V: -1, max_V: 1 },
  { name: 'clamp input 0 (O from a simulated network)', min_V: -1, max_V: 1 },
  { name: 'clamp input 1', min_V: -1, max_V: 1 },
  { name: 'ADC node probe (a simulated node)', min_V: -1, max_V: 1 },
  { name: 'ADC gate probe (a simulated gate)', min_V: 0, max_V: 10 },
] as const;
export const JIG = { clampedOutput: 0, clampInput: 2, nodeProbe: 4, gateProbe: 5 } as const;
/** What a `route` bit switches from the board's own circuit to the jig. */
export const ROUTE = { clampedOutputsFromJig: 1, clampInputFromJig: 2, adcFromJig: 4 } as const;
const JIG_FULL = 0xffff;
const ROUTE_BITS = ROUTE.clampedOutputsFromJig | ROUTE.clampInputFromJig | ROUTE.adcFromJig;
/** Repeats per address of a scan (the sums fit 16 bits). */
export const MAX_SCAN_REPEATS = 64;

/** A jig channel's code for `volts` (clipped to its range). */
export function jigCode(channel: number, volts: number): number {
  const c = JIG_CHANNELS[channel];
  if (c === undefined) throw new RangeError(`jig channel ${channel} does not exist (0..${JIG_CHANNELS.length - 1})`);
  const code = Math.round(((volts - c.min_V) / (c.max_V - c.min_V)) * JIG_FULL);
  return code < 0 ? 0 : code > JIG_FULL ? JIG_FULL : code;
}

/** The voltage a jig channel drives for `code`. */
export function jigVoltage(channel: number, code: number): number {
  const c = JIG_CHANNELS[channel];
  if (c === undefined) throw new RangeError(`jig channel ${channel} does not exist (0..${JIG_CHANNELS.length - 1})`);
  return c.min_V + (code / JIG_FULL) * (c.max_V - c.min_V);
}

export interface DacPair {
  readonly channel: number;
  readonly code: number;
}

export type Command =
  /** `session` names the host process: a new one (a restarted host) makes the controller forget its remembered answers. */
  | { readonly kind: 'hello'; readonly protocol: number; readonly session: number }
  | { readonly kind: 'heartbeat' }
  | { readonly kind: 'safeState' }
  | { readonly kind: 'dacWrite'; readonly writes: ReadonlyArray<DacPair> }
  /**
   * `run` and `index` name the pulse (a hash of the run's id, the pulse's number in the run): the
   * controller applies a pulse of a run at most once, so a pulse sent again after a restart is
   * answered and not applied twice.
   */
  | { readonly kind: 'learnPulse'; readonly duration_us: number; readonly run: number; readonly index: number }
  | { readonly kind: 'potSet'; readonly position: number }
  | { readonly kind: 'demuxSelect'; readonly address: number }
  | { readonly kind: 'adcRead'; readonly repeats: number }
  /**
   * DAC `writes` first (none: the DACs as they are), then select each address in turn and read
   * it `repeats` times: one command, so no other command — of this host or another — comes
   * between the voltages applied, the select and the read.
   */
  | { readonly kind: 'adcScan'; readonly repeats: number; readonly addresses: ReadonlyArray<number>; readonly writes: ReadonlyArray<DacPair> }
  /** Switch the `mask` bits of the routing (ROUTE) to `flags`: which circuits the jig stands in for. */
  | { readonly kind: 'route'; readonly mask: number; readonly flags: number }
  | { readonly kind: 'jigWrite'; readonly writes: ReadonlyArray<DacPair> }
  | { readonly kind: 'scheduleWriteSet'; readonly index: number; readonly writes: ReadonlyArray<DacPair> }
  | { readonly kind: 'scheduleSteps'; readonly firstStep: number; readonly pulse_us: number; readonly writeSets: ReadonlyArray<number> }
  | { readonly kind: 'scheduleRun'; readonly fromStep: number; readonly count: number; readonly reportEvery: number }
  | { readonly kind: 'scheduleStop' };

export const ERROR_CODES = ['unsupported-version', 'unknown-type', 'bad-payload', 'out-of-range', 'busy', 'schedule-gap', 'device-fault'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
export const SCHEDULE_END_REASONS = ['finished', 'stopped', 'link-lost'] as const;
export type ScheduleEndReason = (typeof SCHEDULE_END_REASONS)[number];

export type Reply =
  | { readonly kind: 'ack'; readonly command: number }
  | {
      readonly kind: 'version';
      readonly protocol: number;
      readonly firmwareMajor: number;
      readonly firmwareMinor: number;
      readonly dacChannels: number;
      readonly potPositions: number;
      readonly demuxAddresses: number;
      readonly maxPayload: number;
    }
  | { readonly kind: 'heartbeatAck'; readonly uptime_ms: number; readonly learnEnabled: boolean; readonly autonomous: boolean; readonly safe: boolean }
  /** `applied` false: this pulse of the run was applied before, and was not again. */
  | { readonly kind: 'pulseDone'; readonly duration_us: number; readonly applied: boolean }
  | { readonly kind: 'adcCodes'; readonly samples: ReadonlyArray<{ readonly nodeCode: number; readonly gateCode: number }> }
  /** Per address, in the order asked: the sums of the node and gate codes over the repeats. */
  | { readonly kind: 'adcScanCodes'; readonly repeats: number; readonly sums: ReadonlyArray<{ readonly node: number; readonly gate: number }> }
  | { readonly kind: 'stepsDone'; readonly firstStep: number; readonly count: number }
  | { readonly kind: 'scheduleDone'; readonly nextStep: number; readonly reason: ScheduleEndReason }
  | { readonly kind: 'error'; readonly command: number; readonly code: ErrorCode; readonly message: string };

export type Message = Command | Reply;
export type MessageKind = Message['kind'];

/** Type byte of each message. */
export const TYPE_OF: Readonly<Record<MessageKind, number>> = {
  hello: 0x01,
  heartbeat: 0x02,
  safeState: 0x03,
  dacWrite: 0x10,
  learnPulse: 0x11,
  potSet: 0x12,
  demuxSelect: 0x13,
  adcRead: 0x14,
  adcScan: 0x15,
  route: 0x16,
  jigWrite: 0x17,
  scheduleWriteSet: 0x20,
  scheduleSteps: 0x21,
  scheduleRun: 0x22,
  scheduleStop: 0x23,
  ack: 0x80,
  version: 0x81,
  heartbeatAck: 0x82,
  pulseDone: 0x91,
  adcCodes: 0x94,
  adcScanCodes: 0x95,
  stepsDone: 0xa2,
  scheduleDone: 0xa3,
  error: 0xff,
};
const KIND_OF = new Map(Object.entries(TYPE_OF).map(([k, t]) => [t, k as MessageKind]));

/** The message kind a type byte names ('0x42' when none). */
export function kindName(type: number): string {
  return KIND_OF.get(type) ?? `0x${type.toString(16).padStart(2, '0')}`;
}

export const isCommand = (m: Message): m is Command => TYPE_OF[m.kind] < 0x80;

/** A payload that does not fit its message: names the message and the field. */
export class MessageError extends Error {
  override readonly name = 'MessageError';
  constructor(
    readonly code: Extract<ErrorCode, 'unknown-type' | 'bad-payload' | 'out-of-range'>,
    message: string,
  ) {
    super(message);
  }
}

class Writer {
  private readonly bytes: number[] = [];
  constructor(private readonly kind: MessageKind) {}
  u8(field: string, v: number, min = 0, max = 0xff): this {
    return this.put(field, v, min, max, 1);
  }
  u16(field: string, v: number, min = 0, max = 0xffff): this {
    return this.put(field, v, min, max, 2);
  }
  u32(field: string, v: number, min = 0, max = 0xffffffff): this {
    return this.put(field, v, min, max, 4);
  }
  ascii(field: string, text: string, max: number): this {
    if (!/^[\x20-\x7e]*$/.test(text)) throw new MessageError('bad-payload', `${this.kind}.${field}: printable ASCII only`);
    for (const c of text.slice(0, max)) this.bytes.push(c.charCodeAt(0));
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
  private put(field: string, v: number, min: number, max: number, size: number): this {
    if (!Number.isInteger(v) || v < min || v > max) throw new MessageError('out-of-range', `${this.kind}.${field} must be an integer in ${min}..${max}, got ${v}`);
    for (let i = 0; i < size; i++) this.bytes.push((v >>> (8 * i)) & 0xff);
    return this;
  }
}

class Reader {
  private at = 0;
  private readonly view: DataView;
  constructor(
    private readonly kind: MessageKind,
    private readonly bytes: Uint8Array,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(field: string, min = 0, max = 0xff): number {
    return this.check(
      field,
      this.take(field, 1, () => this.view.getUint8(this.at)),
      min,
      max,
    );
  }
  u16(field: string, min = 0, max = 0xffff): number {
    return this.check(
      field,
      this.take(field, 2, () => this.view.getUint16(this.at, true)),
      min,
      max,
    );
  }
  u32(field: string, min = 0, max = 0xffffffff): number {
    return this.check(
      field,
      this.take(field, 4, () => this.view.getUint32(this.at, true)),
      min,
      max,
    );
  }
  rest(): Uint8Array {
    const out = this.bytes.subarray(this.at);
    this.at = this.bytes.length;
    return out;
  }
  end(): void {
    if (this.at !== this.bytes.length) throw new MessageError('bad-payload', `${this.kind}: ${this.bytes.length - this.at} byte(s) after the last field`);
  }
  private take(field: string, size: number, read: () => number): number {
    if (this.at + size > this.bytes.length) throw new MessageError('bad-payload', `${this.kind}.${field}: payload ends after ${this.bytes.length} bytes`);
    const v = read();
    this.at += size;
    return v;
  }
  private check(field: string, v: number, min: number, max: number): number {
    if (v < min || v > max) throw new MessageError('out-of-range', `${this.kind}.${field} must be in ${min}..${max}, got ${v}`);
    return v;
  }
}

function writePairs(w: Writer, writes: ReadonlyArray<DacPair>): void {
  w.u8('count', writes.length, 1, DAC_CHANNELS);
  const seen = new Set<number>();
  writes.forEach((p, i) => {
    w.u8(`writes[${i}].channel`, p.channel, 0, DAC_CHANNELS - 1).u8(`writes[${i}].code`, p.code);
    if (seen.has(p.channel)) throw new MessageError('bad-payload', `writes[${i}]: channel ${p.channel} written twice`);
    seen.add(p.channel);
  });
}

function readPairs(r: Reader, min = 1): DacPair[] {
  const n = r.u8('count', min, DAC_CHANNELS);
  return Array.from({ length: n }, (_, i) => ({ channel: r.u8(`writes[${i}].channel`, 0, DAC_CHANNELS - 1), code: r.u8(`writes[${i}].code`) }));
}

/** A message's payload bytes (validated: every field in range). */
export function encodePayload(m: Message): Uint8Array {
  const w = new Writer(m.kind);
  switch (m.kind) {
    case 'hello':
      return w.u8('protocol', m.protocol, 1).u32('session', m.session).done();
    case 'heartbeat':
    case 'safeState':
    case 'scheduleStop':
      return w.done();
    case 'dacWrite':
      writePairs(w, m.writes);
      return w.done();
    case 'learnPulse':
      return w.u32('duration_us', m.duration_us, 1).u32('run', m.run).u32('index', m.index).done();
    case 'potSet':
      return w.u8('position', m.position, 0, POT_POSITIONS - 1).done();
    case 'demuxSelect':
      return w.u8('address', m.address, 0, DEMUX_ADDRESSES - 1).done();
    case 'adcRead':
      return w.u8('repeats', m.repeats, 1).done();
    case 'adcScan':
      w.u8('repeats', m.repeats, 1, MAX_SCAN_REPEATS).u8('count', m.addresses.length, 1, DEMUX_ADDRESSES);
      m.addresses.forEach((a, i) => w.u8(`addresses[${i}]`, a, 0, DEMUX_ADDRESSES - 1));
      if (m.writes.length === 0) w.u8('writes.count', 0);
      else writePairs(w, m.writes);
      return w.done();
    case 'route':
      return w.u8('mask', m.mask, 0, ROUTE_BITS).u8('flags', m.flags, 0, m.mask).done();
    case 'jigWrite':
      w.u8('count', m.writes.length, 1, JIG_CHANNELS.length);
      m.writes.forEach((p, i) => {
        w.u8(`writes[${i}].channel`, p.channel, 0, JIG_CHANNELS.length - 1).u16(`writes[${i}].code`, p.code);
        if (m.writes.findIndex((q) => q.channel === p.channel) !== i) throw new MessageError('bad-payload', `writes[${i}]: channel ${p.channel} written twice`);
      });
      return w.done();
    case 'scheduleWriteSet':
      w.u8('index', m.index);
      writePairs(w, m.writes);
      return w.done();
    case 'scheduleSteps':
      w.u32('firstStep', m.firstStep).u32('pulse_us', m.pulse_us, 1).u16('count', m.writeSets.length, 1, 1000);
      m.writeSets.forEach((s, i) => w.u8(`writeSets[${i}]`, s));
      return w.done();
    case 'scheduleRun':
      return w.u32('fromStep', m.fromStep).u32('count', m.count, 1).u16('reportEvery', m.reportEvery, 1).done();
    case 'ack':
      return w.u8('command', m.command, 0x01, 0x7f).done();
    case 'version':
      return w
        .u8('protocol', m.protocol, 1)
        .u8('firmwareMajor', m.firmwareMajor)
        .u8('firmwareMinor', m.firmwareMinor)
        .u8('dacChannels', m.dacChannels)
        .u8('potPositions', m.potPositions)
        .u8('demuxAddresses', m.demuxAddresses)
        .u16('maxPayload', m.maxPayload)
        .done();
    case 'heartbeatAck':
      return w
        .u32('uptime_ms', m.uptime_ms)
        .u8('state', (m.learnEnabled ? 1 : 0) | (m.autonomous ? 2 : 0) | (m.safe ? 4 : 0))
        .done();
    case 'pulseDone':
      return w
        .u32('duration_us', m.duration_us)
        .u8('applied', m.applied ? 1 : 0)
        .done();
    case 'adcScanCodes':
      w.u8('repeats', m.repeats, 1, MAX_SCAN_REPEATS).u8('count', m.sums.length, 1, DEMUX_ADDRESSES);
      m.sums.forEach((x, i) => w.u16(`sums[${i}].node`, x.node, 0, 255 * m.repeats).u16(`sums[${i}].gate`, x.gate, 0, 255 * m.repeats));
      return w.done();
    case 'adcCodes':
      w.u8('count', m.samples.length, 1);
      m.samples.forEach((s, i) => w.u8(`samples[${i}].nodeCode`, s.nodeCode).u8(`samples[${i}].gateCode`, s.gateCode));
      return w.done();
    case 'stepsDone':
      return w.u32('firstStep', m.firstStep).u16('count', m.count, 1).done();
    case 'scheduleDone':
      return w.u32('nextStep', m.nextStep).u8('reason', SCHEDULE_END_REASONS.indexOf(m.reason), 0).done();
    case 'error':
      return w
        .u8('command', m.command)
        .u8('code', ERROR_CODES.indexOf(m.code) + 1, 1)
        .ascii('message', m.message, 200)
        .done();
    default: {
      const never: never = m;
      return never;
    }
  }
}

/** The message a payload of `kind` holds (every field checked, nothing left over). */
export function decodePayload(kind: MessageKind, payload: Uint8Array): Message {
  const r = new Reader(kind, payload);
  const m = ((): Message => {
    switch (kind) {
      case 'hello':
        return { kind, protocol: r.u8('protocol', 1), session: r.u32('session') };
      case 'heartbeat':
      case 'safeState':
      case 'scheduleStop':
        return { kind };
      case 'dacWrite':
        return { kind, writes: readPairs(r) };
      case 'learnPulse':
        return { kind, duration_us: r.u32('duration_us', 1), run: r.u32('run'), index: r.u32('index') };
      case 'potSet':
        return { kind, position: r.u8('position', 0, POT_POSITIONS - 1) };
      case 'demuxSelect':
        return { kind, address: r.u8('address', 0, DEMUX_ADDRESSES - 1) };
      case 'adcRead':
        return { kind, repeats: r.u8('repeats', 1) };
      case 'adcScan': {
        const repeats = r.u8('repeats', 1, MAX_SCAN_REPEATS);
        const n = r.u8('count', 1, DEMUX_ADDRESSES);
        const addresses = Array.from({ length: n }, (_, i) => r.u8(`addresses[${i}]`, 0, DEMUX_ADDRESSES - 1));
        return { kind, repeats, addresses, writes: readPairs(r, 0) };
      }
      case 'route': {
        const mask = r.u8('mask', 0, ROUTE_BITS);
        return { kind, mask, flags: r.u8('flags', 0, mask) };
      }
      case 'jigWrite': {
        const n = r.u8('count', 1, JIG_CHANNELS.length);
        return { kind, writes: Array.from({ length: n }, (_, i) => ({ channel: r.u8(`writes[${i}].channel`, 0, JIG_CHANNELS.length - 1), code: r.u16(`writes[${i}].code`) })) };
      }
      case 'scheduleWriteSet':
        return { kind, index: r.u8('index'), writes: readPairs(r) };
      case 'scheduleSteps': {
        const firstStep = r.u32('firstStep');
        const pulse_us = r.u32('pulse_us', 1);
        const n = r.u16('count', 1, 1000);
        return { kind, firstStep, pulse_us, writeSets: Array.from({ length: n }, (_, i) => r.u8(`writeSets[${i}]`)) };
      }
      case 'scheduleRun':
        return { kind, fromStep: r.u32('fromStep'), count: r.u32('count', 1), reportEvery: r.u16('reportEvery', 1) };
      case 'ack':
        return { kind, command: r.u8('command', 0x01, 0x7f) };
      case 'version':
        return {
          kind,
          protocol: r.u8('protocol', 1),
          firmwareMajor: r.u8('firmwareMajor'),
          firmwareMinor: r.u8('firmwareMinor'),
          dacChannels: r.u8('dacChannels'),
          potPositions: r.u8('potPositions'),
          demuxAddresses: r.u8('demuxAddresses'),
          maxPayload: r.u16('maxPayload'),
        };
      case 'heartbeatAck': {
        const uptime_ms = r.u32('uptime_ms');
        const state = r.u8('state', 0, 7);
        return { kind, uptime_ms, learnEnabled: (state & 1) !== 0, autonomous: (state & 2) !== 0, safe: (state & 4) !== 0 };
      }
      case 'pulseDone':
        return { kind, duration_us: r.u32('duration_us'), applied: r.u8('applied', 0, 1) === 1 };
      case 'adcScanCodes': {
        const repeats = r.u8('repeats', 1, MAX_SCAN_REPEATS);
        const n = r.u8('count', 1, DEMUX_ADDRESSES);
        return {
          kind,
          repeats,
          sums: Array.from({ length: n }, (_, i) => ({ node: r.u16(`sums[${i}].node`, 0, 255 * repeats), gate: r.u16(`sums[${i}].gate`, 0, 255 * repeats) })),
        };
      }
      case 'adcCodes': {
        const n = r.u8('count', 1);
        return { kind, samples: Array.from({ length: n }, (_, i) => ({ nodeCode: r.u8(`samples[${i}].nodeCode`), gateCode: r.u8(`samples[${i}].gateCode`) })) };
      }
      case 'stepsDone':
        return { kind, firstStep: r.u32('firstStep'), count: r.u16('count', 1) };
      case 'scheduleDone':
        return { kind, nextStep: r.u32('nextStep'), reason: SCHEDULE_END_REASONS[r.u8('reason', 0, SCHEDULE_END_REASONS.length - 1)] };
      case 'error': {
        const command = r.u8('command');
        const code = ERROR_CODES[r.u8('code', 1, ERROR_CODES.length) - 1];
        return { kind, command, code, message: String.fromCharCode(...r.rest()) };
      }
      default: {
        const never: never = kind;
        return never;
      }
    }
  })();
  r.end();
  return m;
}

/** A message as one frame (before SLIP), with sequence number `seq`. */
export function encodeMessage(m: Message, seq: number, version = PROTOCOL_VERSION): Uint8Array {
  return encodeFrame({ version, type: TYPE_OF[m.kind], seq, payload: encodePayload(m) });
}

export interface Decoded {
  readonly frame: Frame;
  readonly message: Message;
}

/** A frame's message; throws FrameError (size, CRC, version) or MessageError (type, payload). */
export function decodeMessage(bytes: Uint8Array, ownVersion = PROTOCOL_VERSION): Decoded {
  const frame = decodeFrame(bytes, ownVersion);
  const kind = KIND_OF.get(frame.type);
  if (kind === undefined) throw new MessageError('unknown-type', `unknown message type ${kindName(frame.type)}`);
  return { frame, message: decodePayload(kind, frame.payload) };
}
