/**
 * The wire protocol against its test vectors (test-vectors/protocol-v1.json, the file a
 * firmware author tests theirs with): every valid vector encodes to its bytes and decodes to
 * its message, through SLIP as on the wire; every invalid one is refused for its reason. The
 * CRC is checked against CRC-16/CCITT-FALSE's published check value, and every single-bit
 * error in any frame is caught.
 */
import { SlipDecoder, SlipEncoder } from '@serialport/parser-slip-encoder';
import fc from 'fast-check';
import vectors from '../test-vectors/protocol-v1.json';
import { FrameError, crc16, decodeMessage, encodeMessage, MessageError, type Message } from './index';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/ /g, ''), 'hex'));
const hex = (b: Uint8Array): string =>
  Buffer.from(b)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');

/** What a stream transform makes of the input chunks, chunk by chunk. */
async function through(transform: SlipEncoder | SlipDecoder, chunks: ReadonlyArray<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  transform.on('data', (c: Buffer) => out.push(Uint8Array.from(c)));
  const ended = new Promise((r) => transform.on('end', r));
  for (const c of chunks) transform.write(Buffer.from(c));
  transform.end();
  await ended;
  return out;
}

/** The reason a frame is refused: its FrameError problem or MessageError code. */
function refusal(frame: Uint8Array): string {
  try {
    decodeMessage(frame);
  } catch (err) {
    if (err instanceof FrameError) return err.problem;
    if (err instanceof MessageError) return err.code;
    throw err;
  }
  return 'accepted';
}

describe('I/O-controller protocol v1', () => {
  it('CRC-16/CCITT-FALSE: the check value of "123456789" is 0x29B1', () => {
    expect(crc16(new TextEncoder().encode('123456789'))).toBe(0x29b1);
  });

  it.each(vectors.valid.map((v) => [v.name, v] as const))('%s: encodes to its frame and decodes to its message', (_name, v) => {
    expect(hex(encodeMessage(v.message as Message, v.seq))).toBe(v.frame);
    const { frame, message } = decodeMessage(bytes(v.frame));
    expect({ seq: frame.seq, version: frame.version, message }).toEqual({ seq: v.seq, version: 1, message: v.message });
  });

  it('every valid vector goes over the wire as its SLIP bytes, and comes back as its frame, in any chunking', async () => {
    const frames = vectors.valid.map((v) => bytes(v.frame));
    expect((await through(new SlipEncoder({ bluetoothQuirk: true }), frames)).map(hex)).toEqual(vectors.valid.map((v) => v.wire));
    // The whole conversation as one byte stream, cut into 7-byte pieces.
    const stream = Uint8Array.from(vectors.valid.flatMap((v) => [...bytes(v.wire)]));
    const pieces = Array.from({ length: Math.ceil(stream.length / 7) }, (_, i) => stream.subarray(i * 7, i * 7 + 7));
    expect((await through(new SlipDecoder(), pieces)).map(hex)).toEqual(vectors.valid.map((v) => v.frame));
  });

  it.each(vectors.invalid.map((v) => [v.name, v] as const))('%s: refused', (_name, v) => {
    expect(refusal(bytes(v.frame))).toBe(v.problem);
  });

  it('a frame from a newer protocol names both versions; a bad field names the message and the field', () => {
    const newer = vectors.invalid.find((v) => v.problem === 'version');
    expect(() => decodeMessage(bytes(newer?.frame ?? ''))).toThrow('frame from protocol version 2; this side speaks version 1');
    expect(() => encodeMessage({ kind: 'dacWrite', writes: [{ channel: 9, code: 1 }] }, 1)).toThrow('dacWrite.writes[0].channel must be an integer in 0..7, got 9');
    expect(() =>
      encodeMessage(
        {
          kind: 'dacWrite',
          writes: [
            { channel: 1, code: 1 },
            { channel: 1, code: 2 },
          ],
        },
        1,
      ),
    ).toThrow('writes[1]: channel 1 written twice');
    expect(() => encodeMessage({ kind: 'learnPulse', duration_us: 0.5, run: 1, index: 0 }, 1)).toThrow('learnPulse.duration_us must be an integer in 1..4294967295, got 0.5');
    expect(() => encodeMessage({ kind: 'heartbeat' }, 70_000)).toThrow('frame seq must be an integer in 0..65535, got 70000');
  });

  it('any single flipped bit in any frame is refused, never read as another message', () => {
    const frames = vectors.valid.map((v) => bytes(v.frame));
    fc.assert(
      fc.property(fc.nat(frames.length - 1), fc.nat(), fc.nat(7), (which, at, bit) => {
        const frame = frames[which].slice();
        frame[at % frame.length] ^= 1 << bit;
        expect(['crc', 'length', 'too-long']).toContain(refusal(frame));
      }),
    );
  });

  it('DAC writes and ADC samples of any valid values round-trip', () => {
    const pairs = fc.uniqueArray(fc.record({ channel: fc.nat(7), code: fc.nat(255) }), { minLength: 1, maxLength: 8, selector: (p) => p.channel });
    const samples = fc.array(fc.record({ nodeCode: fc.nat(255), gateCode: fc.nat(255) }), { minLength: 1, maxLength: 255 });
    fc.assert(
      fc.property(pairs, samples, fc.nat(0xffff), (writes, adc, seq) => {
        for (const m of [
          { kind: 'dacWrite', writes },
          { kind: 'adcCodes', samples: adc },
        ] as Message[])
          expect(decodeMessage(encodeMessage(m, seq))).toEqual({ frame: expect.objectContaining({ seq }), message: m });
      }),
    );
  });
});
