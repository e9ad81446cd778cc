/** Packed records read back exactly as their JSON would: any records, and the shapes a run logs. */
import fc from 'fast-check';
import { deflateColumns, packColumns, unpackRecords } from './record-packing';

const roundTrip = async (records: unknown[]): Promise<unknown[]> => unpackRecords(await deflateColumns(packColumns(records)));
/** What JSON makes of a value: the packed form promises no more and no less. */
const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

describe('record packing', () => {
  it('gives back any JSON records exactly, key order included', async () => {
    const data = fc.dictionary(fc.constantFrom('step', 'datapoint', 'gates', 'values', 'failed'), fc.jsonValue(), { maxKeys: 4 });
    const row = fc.tuple(fc.integer({ min: 0, max: 22 }), fc.integer({ min: 1, max: 1e6 }), fc.maxSafeNat(), data);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(row, fc.jsonValue()), { maxLength: 60 }), async (records) => {
        const back = await roundTrip(records);
        expect(JSON.stringify(back)).toBe(JSON.stringify(asJson(records)));
      }),
      { numRuns: 300 },
    );
  });

  it('drops keys whose value is undefined and keeps -0, NaN and Infinity as JSON does', async () => {
    const records = [
      [1, 1, 0, { step: 0, failed: undefined, x: -0 }],
      [1, 2, 5, { step: 1, x: NaN, y: [Infinity, undefined] }],
    ];
    expect(await roundTrip(records)).toEqual(asJson(records));
  });

  it("stores a run's steps in a few bytes each", async () => {
    const records = Array.from({ length: 4000 }, (_, i) => [5, i + 1, i * 100000, { step: i, datapoint: (i * 7) % 4 }]);
    const packed = await deflateColumns(packColumns(records));
    expect(packed.length / records.length).toBeLessThan(2);
    expect(await roundTrip(records)).toEqual(records);
  });

  it('names what is wrong with bytes that are not packed records', () => {
    expect(() => unpackRecords(new Uint8Array([1, 2, 3]))).toThrow(/packed records do not inflate to JSON/);
  });
});
