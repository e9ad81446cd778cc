/**
 * One frame of the I/O-controller protocol: the bytes between two SLIP delimiters
 * (docs/protocol.md). Every field is little-endian, as the controller (an Arduino Due,
 * ARM Cortex-M3) stores it:
 *
 *   version u8 | type u8 | seq u16 | length u16 | payload (length bytes) | crc u16
 *
 * The CRC is CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF, no reflection, no final
 * XOR) over every byte before it: it detects every error of one to three bits and every burst
 * of up to 16 bits in a frame, which is what a noisy USB-serial line produces.
 */
import { crc16ccitt } from 'crc';

/** The protocol version this side speaks (and writes in every frame it sends). */
export const PROTOCOL_VERSION = 1;
export const HEADER_BYTES = 6;
export const CRC_BYTES = 2;
/** Largest payload either side sends or accepts (the controller's receive buffer). */
export const MAX_PAYLOAD_BYTES = 1024;

export interface Frame {
  readonly version: number;
  readonly type: number;
  /** The command's sequence number (a reply carries the one of the command it answers). */
  readonly seq: number;
  readonly payload: Uint8Array;
}

/** What is wrong with a frame: too short, a length that does not match, a bad CRC, a newer protocol, a payload too long. */
export type FrameProblem = 'short' | 'length' | 'crc' | 'version' | 'too-long';

export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    readonly problem: FrameProblem,
    message: string,
    /** The header's type and seq, where they can be trusted (the CRC matched). */
    readonly header?: { readonly type: number; readonly seq: number; readonly version: number },
  ) {
    super(message);
  }
}

/** CRC-16/CCITT-FALSE of the bytes (its check value: "123456789" gives 0x29B1). */
export function crc16(bytes: Uint8Array): number {
  return crc16ccitt(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

export function encodeFrame(frame: { readonly type: number; readonly seq: number; readonly payload: Uint8Array; readonly version?: number }): Uint8Array {
  const { type, seq, payload } = frame;
  const version = frame.version ?? PROTOCOL_VERSION;
  for (const [name, v, max] of [
    ['version', version, 0xff],
    ['type', type, 0xff],
    ['seq', seq, 0xffff],
  ] as const)
    if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`frame ${name} must be an integer in 0..${max}, got ${v}`);
  if (payload.length > MAX_PAYLOAD_BYTES) throw new FrameError('too-long', `payload of ${payload.length} bytes; at most ${MAX_PAYLOAD_BYTES}`);
  const out = new Uint8Array(HEADER_BYTES + payload.length + CRC_BYTES);
  const view = new DataView(out.buffer);
  out[0] = version;
  out[1] = type;
  view.setUint16(2, seq, true);
  view.setUint16(4, payload.length, true);
  out.set(payload, HEADER_BYTES);
  view.setUint16(HEADER_BYTES + payload.length, crc16(out.subarray(0, HEADER_BYTES + payload.length)), true);
  return out;
}

/** A frame's fields, checked in the order they can be trusted: size, length, CRC, then version. */
export function decodeFrame(bytes: Uint8Array, ownVersion = PROTOCOL_VERSION): Frame {
  if (bytes.length < HEADER_BYTES + CRC_BYTES) throw new FrameError('short', `frame of ${bytes.length} bytes; a frame has at least ${HEADER_BYTES + CRC_BYTES}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint16(4, true);
  if (length > MAX_PAYLOAD_BYTES) throw new FrameError('too-long', `frame declares a payload of ${length} bytes; at most ${MAX_PAYLOAD_BYTES}`);
  if (bytes.length !== HEADER_BYTES + length + CRC_BYTES)
    throw new FrameError('length', `frame of ${bytes.length} bytes declares a payload of ${length} (${HEADER_BYTES + length + CRC_BYTES} bytes in all)`);
  const want = view.getUint16(HEADER_BYTES + length, true);
  const got = crc16(bytes.subarray(0, HEADER_BYTES + length));
  if (want !== got) throw new FrameError('crc', `CRC mismatch: frame says 0x${hex4(want)}, its bytes give 0x${hex4(got)}`);
  const header = { version: bytes[0], type: bytes[1], seq: view.getUint16(2, true) };
  if (header.version > ownVersion)
    throw new FrameError('version', `frame from protocol version ${header.version}; this side speaks version ${ownVersion} (update it to talk to this peer)`, header);
  return { ...header, payload: bytes.slice(HEADER_BYTES, HEADER_BYTES + length) };
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
