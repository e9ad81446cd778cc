/**
 * The signal codecs as hostile input (issue 14), property-based and seeded, 10,000 generated
 * cases each: checkSignal and decodeSignal never throw and answer every rejection with a reason
 * naming the field (never "unreadable signal", which is an engine error caught); fromRecord,
 * decodeFloat64 and the demux codec return or throw their own RangeError naming the problem;
 * what is accepted survives the trip through its codec unchanged.
 */
import fc from 'fast-check';
import {
  CONTRACT_VERSION,
  SIGNAL_TYPES,
  SOURCES,
  checkSignal,
  decodeDemux,
  decodeFloat64,
  decodeSignal,
  encodeDemux,
  encodeFloat64,
  encodeSignal,
  fromRecord,
  toRecord,
  type Checked,
} from './index';

const RUNS = 10_000;
const SEED = 14;

// What can arrive: JSON off the wire and out of the log (which stores JSON values only), and
// the numbers JSON cannot carry but an in-process bus can.
const anyValue = fc.oneof(
  { depthSize: 'small' },
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 2 ** 53, -1, 1.5, '', 'A', '====', 'AAAAAAAA', '\u0000', [], {}),
);

/** Signals near valid ones: each type's data fields with plausible values, then one field anywhere set to anything. */
const nearSignal = fc
  .record({
    type: fc.oneof(fc.constantFrom(...SIGNAL_TYPES), anyValue),
    meta: fc.record({
      v: fc.oneof(fc.constant(CONTRACT_VERSION), anyValue),
      runId: fc.oneof(fc.constant('run-1'), anyValue),
      source: fc.oneof(fc.constantFrom(...SOURCES), anyValue),
      seq: fc.oneof(fc.integer({ min: 1, max: 5 }), anyValue),
      t_ns: fc.oneof(fc.integer({ min: 0, max: 1e6 }), anyValue),
    }),
    data: fc.dictionary(
      fc.constantFrom(
        'step',
        'datapoint',
        'address',
        'gates',
        'warm',
        'writes',
        'channels',
        'outputs_V',
        'values',
        'free_V',
        'service',
        'adapter',
        'reason',
        'contract',
        'experiment',
        'mode',
        'steps',
        'position',
        'positions',
        'eta',
        'duration_ns',
        'nodeCode',
        'gateCode',
        'repeats',
        'drives',
        'substep',
        'resumeFrom',
        'failed',
      ),
      fc.oneof(
        fc.integer({ min: 0, max: 300 }),
        fc.double(),
        fc.constantFrom('AAAAAAAAAAA=', 'AAAAAAAAAAAAAAAA', 'supervisor', 'sim', 'voltage', 'embedded'),
        fc.array(
          fc.oneof(
            fc.double(),
            fc.record({
              channel: fc.integer({ min: -1, max: 300 }),
              code: fc.integer({ min: -1, max: 300 }),
              kind: fc.constantFrom('node', 'label'),
              node: fc.integer({ min: 0, max: 3 }),
            }),
          ),
          { maxLength: 4 },
        ),
        anyValue,
      ),
      { maxKeys: 6 },
    ),
  })
  .map((s) => s as unknown);

function expectAnswered(c: Checked): void {
  if (c.ok) return;
  expect(typeof c.reason).toBe('string');
  expect(c.reason.length).toBeGreaterThan(0);
  // The checker's catch-all for an exception it did not raise itself: a crash, caught.
  expect(c.reason).not.toMatch(/^unreadable signal/);
}

describe('checkSignal and decodeSignal', () => {
  it(`answer ${RUNS} near-valid signals without throwing, and accepted ones survive the wire and the log`, () => {
    fc.assert(
      fc.property(nearSignal, (s) => {
        const checked = checkSignal(s);
        expectAnswered(checked);
        if (!checked.ok) return;
        const again = decodeSignal(encodeSignal(checked.signal));
        expect(again.ok).toBe(true);
        const record = toRecord(checked.signal);
        expect(fromRecord(JSON.parse(JSON.stringify(record)), checked.signal.meta.runId, checked.signal.meta.source)).toEqual(JSON.parse(JSON.stringify(checked.signal)));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it(`answer ${RUNS} arbitrary values and byte strings without throwing`, () => {
    fc.assert(
      fc.property(anyValue, fc.uint8Array({ maxLength: 64 }), (v, bytes) => {
        expectAnswered(checkSignal(v));
        const decoded = decodeSignal(bytes);
        expect(decoded.ok || decoded.reason.length > 0).toBe(true);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

describe('log records: fromRecord', () => {
  it(`returns a signal or throws its RangeError naming the record, for ${RUNS} arbitrary records`, () => {
    const record = fc.oneof(fc.tuple(fc.oneof(fc.integer({ min: -2, max: 30 }), anyValue), anyValue, anyValue, anyValue), anyValue);
    fc.assert(
      fc.property(record, (r) => {
        try {
          const s = fromRecord(r, 'run-1', 'supervisor');
          expect(SIGNAL_TYPES).toContain(s.type);
        } catch (err) {
          expect(err).toBeInstanceOf(RangeError);
          expect((err as Error).message).toMatch(/^log record (must be \[type, seq, t_ns, data\], got|has unknown signal type index)/);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

describe('float64 payloads: decodeFloat64', () => {
  it(`decodes ${RUNS} arbitrary strings to whole values or names the byte count`, () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.base64String({ maxLength: 40 })), (text) => {
        try {
          expect(decodeFloat64(text)).toBeInstanceOf(Float64Array);
        } catch (err) {
          expect(err).toBeInstanceOf(RangeError);
          expect((err as Error).message).toMatch(/^float64 payload of \d+ bytes is not a whole number of values$/);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it(`carries ${RUNS} arrays bit for bit, NaN payloads and −0 included`, () => {
    fc.assert(
      fc.property(fc.float64Array({ maxLength: 16 }), (values) => {
        const back = decodeFloat64(encodeFloat64(values));
        expect(Buffer.from(back.buffer).toString('hex')).toBe(Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('hex'));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

/** What `f` returns, or the RangeError it throws (anything else fails the test). */
function outcome<T>(f: () => T): T | RangeError {
  try {
    return f();
  } catch (err) {
    if (err instanceof RangeError) return err;
    throw err;
  }
}

describe('demux addresses', () => {
  it(`decode and encode ${RUNS} arbitrary numbers, or name the range`, () => {
    // (−0 is left out: it is address 0, and JSON carries it as 0.)
    const n = fc.oneof(fc.integer({ min: -3, max: 70 }), fc.constantFrom(Number.NaN, Infinity, 0.5, 2 ** 53));
    fc.assert(
      fc.property(n, fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 64 }), fc.boolean(), (x, nodes, edges, free) => {
        const decoded = outcome(() => decodeDemux(x, nodes, edges));
        if (decoded instanceof Error) expect(decoded.message).toMatch(/^demux address must be an integer in 0\.\.\d+, got /);
        else {
          expect(decoded.edge).toBe(x % edges);
          // Addresses past both copies' nodes select a gate only (a network of more edges than 2 × nodes).
          if (x < 2 * nodes) expect(encodeDemux(decoded.copy, decoded.node, nodes)).toBe(x);
        }
        const copy = free ? 'free' : 'clamped';
        const encoded = outcome(() => encodeDemux(copy, x, nodes));
        if (encoded instanceof Error) expect(encoded.message).toMatch(/^node must be in 0\.\.\d+, got /);
        else expect(decodeDemux(encoded, nodes, edges)).toEqual({ copy, node: x, edge: encoded % edges });
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
