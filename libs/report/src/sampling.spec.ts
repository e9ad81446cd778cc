import { logAxisFloor, sampleLogIndices } from './sampling';

const linearLog = (n: number, dt_s: number) => Array.from({ length: n }, (_, i) => ({ t_s: i * dt_s }));

describe('sampleLogIndices', () => {
  it('always keeps the first and last entry and returns increasing distinct indices', () => {
    const picked = sampleLogIndices(linearLog(101, 0.01), 4);
    expect(picked[0]).toBe(0);
    expect(picked[picked.length - 1]).toBe(100);
    expect(picked).toHaveLength(4);
    for (let k = 1; k < picked.length; k++) expect(picked[k]).toBeGreaterThan(picked[k - 1]);
  });

  it('spaces the intermediate snapshots evenly in log time, not in index', () => {
    // Times 0, 0.01 … 1 s: log-spaced targets between 0.01 s and 1 s are 0.0464 s and 0.215 s.
    expect(sampleLogIndices(linearLog(101, 0.01), 4)).toEqual([0, 5, 22, 100]);
  });

  it('returns what there is when the log is shorter than asked', () => {
    expect(sampleLogIndices(linearLog(2, 1), 5)).toEqual([0, 1]);
    expect(sampleLogIndices(linearLog(1, 1), 4)).toEqual([0]);
    expect(sampleLogIndices([], 4)).toEqual([]);
  });

  it('falls back to index spacing when every time is zero', () => {
    expect(sampleLogIndices(linearLog(9, 0), 3)).toEqual([0, 4, 8]);
  });

  it('rejects a count that is not a positive integer', () => {
    expect(() => sampleLogIndices(linearLog(5, 1), 0)).toThrow(RangeError);
  });
});

describe('logAxisFloor', () => {
  it('is a tenth of the smallest non-zero magnitude', () => {
    expect(logAxisFloor([0, 3e-4, -2e-5, 1])).toBeCloseTo(2e-6, 18);
  });

  it('falls back when nothing is positive', () => {
    expect(logAxisFloor([0, 0], 1e-9)).toBe(1e-9);
  });
});
