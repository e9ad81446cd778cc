/**
 * The I/O controller's frames as hostile input (issue 14), property-based and seeded, 10,000
 * generated cases each: decodeMessage returns a message or throws FrameError (size, length,
 * CRC, version) or MessageError (type, payload) naming the problem — never an engine error —
 * for random bytes, for frames with a good CRC around random payloads (which reach the payload
 * decoders), and for valid frames with bytes changed. A payload that decodes encodes back to
 * the same bytes.
 */
import fc from 'fast-check';
import vectors from '../test-vectors/protocol-v1.json';
import { FrameError, MAX_PAYLOAD_BYTES, MessageError, TYPE_OF, decodeMessage, encodeFrame, encodePayload, type Decoded } from './index';

const RUNS = 10_000;
const SEED = 14;
const TYPES = Object.values(TYPE_OF);

/** The decoded message, or null for a refusal named by FrameError or MessageError (anything else fails). */
function decodeOrRefuse(bytes: Uint8Array): Decoded | null {
  try {
    return decodeMessage(bytes);
  } catch (err) {
    if (!(err instanceof FrameError) && !(err instanceof MessageError)) throw err;
    expect(err.message.length).toBeGreaterThan(0);
    expect(err instanceof FrameError ? err.problem : err.code).toMatch(/^(short|length|crc|version|too-long|unknown-type|bad-payload|out-of-range)$/);
    return null;
  }
}

/** A decoded message's payload encodes back to the frame's (the error message's text excepted: see below). */
function expectRoundTrip(d: Decoded | null): void {
  if (d === null) return;
  // The controller's error text is decoded byte for byte, where the host would only send printable ASCII.
  if (d.message.kind === 'error' && !/^[\x20-\x7e]*$/.test(d.message.message)) return;
  expect(Buffer.from(encodePayload(d.message)).toString('hex')).toBe(Buffer.from(d.frame.payload.subarray(0, d.message.kind === 'error' ? 202 : undefined)).toString('hex'));
}

describe('decodeMessage', () => {
  it(`refuses or decodes ${RUNS} random byte strings`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => expectRoundTrip(decodeOrRefuse(bytes))),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it(`refuses or decodes ${RUNS} frames with a good CRC around random payloads`, () => {
    const frame = fc.record({
      version: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 255 })),
      type: fc.oneof(fc.constantFrom(...TYPES), fc.integer({ min: 0, max: 255 })),
      seq: fc.integer({ min: 0, max: 0xffff }),
      payload: fc.oneof(fc.uint8Array({ maxLength: 24 }), fc.uint8Array({ minLength: MAX_PAYLOAD_BYTES - 2, maxLength: MAX_PAYLOAD_BYTES })),
    });
    fc.assert(
      fc.property(frame, (f) => expectRoundTrip(decodeOrRefuse(encodeFrame(f)))),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it(`refuses or decodes ${RUNS} valid frames with bytes changed, cut or added`, () => {
    const frames = vectors.valid.map((v) => Uint8Array.from(Buffer.from(v.frame.replace(/ /g, ''), 'hex')));
    const mutated = fc
      .tuple(fc.constantFrom(...frames), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), fc.integer({ min: -3, max: 3 }))
      .map(([f, changes, resize]) => {
        const out = Uint8Array.from({ length: Math.max(0, f.length + resize) }, (_, i) => f[i] ?? 0);
        for (const [at, byte] of changes) if (out.length > 0) out[at % out.length] = byte;
        return out;
      });
    fc.assert(
      fc.property(mutated, (bytes) => expectRoundTrip(decodeOrRefuse(bytes))),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
