/**
 * Framing of a run's file: each stored batch is one frame, `[body length u32][CRC-32 of the
 * body u32][body]` (little-endian), appended in one write. After a crash a file ends on a
 * whole frame or on one torn frame — too short, or whole but failing its checksum — which
 * readers skip and the next append cuts away. A failing frame with frames after it is damage.
 */
import { createReadStream } from 'node:fs';
import { crc32 as crc32Buffer } from 'crc';
import { CorruptLogError } from './errors';

const HEADER_BYTES = 8;

/** CRC-32 (IEEE, as zlib's) as an unsigned 32-bit integer (the `crc` package, as the I/O-controller protocol's CRC-16). */
const crc32 = (bytes: Uint8Array): number => crc32Buffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

const u32 = (bytes: Uint8Array, at: number): number => new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0, true);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A stream chunk as a plain byte view. */
const bytesOf = (chunk: unknown): Uint8Array => {
  const b = chunk as Uint8Array;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

/** One frame of `body`. */
export function frame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length, true);
  view.setUint32(4, crc32(body), true);
  out.set(body, HEADER_BYTES);
  return out;
}

export interface Unit {
  readonly bytes: Uint8Array;
  /** 1-based position in the file (frame or line number), for error messages. */
  readonly index: number;
  /** Byte offset just past it. */
  readonly end: number;
}

/** Whole, sound frames of `file` within its first `size` bytes (stops before a torn last frame). */
export async function* completeFrames(file: string, size: number): AsyncGenerator<Unit> {
  if (size <= 0) return;
  let buf: Uint8Array = new Uint8Array(0);
  let offset = 0; // file offset of buf[0]
  let index = 0;
  for await (const chunk of createReadStream(file, { start: 0, end: size - 1, highWaterMark: 1 << 20 })) {
    buf = concat(buf, bytesOf(chunk));
    let start = 0;
    while (buf.length - start >= HEADER_BYTES) {
      const length = u32(buf, start);
      const end = start + HEADER_BYTES + length;
      if (end > buf.length) break; // the rest of this frame is in the next chunk (or torn)
      const body = buf.subarray(start + HEADER_BYTES, end);
      index++;
      if (crc32(body) !== u32(buf, start + 4)) {
        // Torn if it is the file's last frame; damage if anything follows it.
        if (offset + end >= size) return;
        throw new CorruptLogError(`${file}: frame ${index} (bytes ${offset + start}..${offset + end - 1}) fails its checksum`);
      }
      yield { bytes: body, index, end: offset + end };
      start = end;
    }
    offset += start;
    buf = buf.subarray(start);
  }
}

/** Complete (newline-terminated) lines of `file` within its first `size` bytes: the files of logs before framing. */
export async function* completeLines(file: string, size: number): AsyncGenerator<Unit> {
  if (size <= 0) return;
  let rest: Uint8Array = new Uint8Array(0);
  let index = 0;
  let offset = 0; // file offset of rest[0]
  for await (const chunk of createReadStream(file, { start: 0, end: size - 1, highWaterMark: 1 << 20 })) {
    const buf = concat(rest, bytesOf(chunk));
    let start = 0;
    for (let nl = buf.indexOf(0x0a); nl !== -1; nl = buf.indexOf(0x0a, start)) {
      index++;
      yield { bytes: buf.subarray(start, nl), index, end: offset + nl + 1 };
      start = nl + 1;
    }
    offset += start;
    rest = buf.subarray(start);
  }
}
