/**
 * Seeded pseudo-random numbers for every stochastic part of the model (mismatch, offsets,
 * noise, datapoint order). sfc32 seeded through splitmix32: fast, 32-bit state words that
 * stay in V8's integer fast path, and the same sequence on every platform, so a seed
 * fully determines a run.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal = NaN;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`rng seed must be a finite number, got ${seed}`);
    let s = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      return mix32(s);
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  integer(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box–Muller, second value kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const v = this.spareNormal;
      this.spareNormal = NaN;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A child generator for one purpose, so adding draws in one place never shifts another's. */
  fork(stream: number): Rng {
    return new Rng((this.nextUint32() ^ Math.imul(stream + 1, 0x27d4eb2d)) >>> 0);
  }
}

/** Streams forked from a run's seed, by purpose, so turning one imperfection on never reshuffles another. */
export const RNG_STREAM = { schedule: 1, mismatchFree: 2, mismatchClamped: 3, offsets: 4, measurement: 5, stages: 6, enable: 7 } as const;
export type RngStreamName = keyof typeof RNG_STREAM;

/** The seeded random streams of a run, one per purpose, derived the same way everywhere. */
export function rngStreams(seed: number): Record<RngStreamName, Rng> {
  const root = new Rng(seed);
  return Object.fromEntries(Object.entries(RNG_STREAM).map(([k, s]) => [k, root.fork(s)])) as Record<RngStreamName, Rng>;
}

/**
 * A uniform number in [0, 1) that depends only on (seed, stream, counter): a counter-based
 * draw (splitmix32 finaliser over the mixed words). Draws that must not depend on the order
 * they happen in — the datapoint of step k, the read-out noise of one sample — use this, so
 * a step sent again after a restart draws what it drew the first time.
 */
export function counterUniform(seed: number, stream: number, counter: number): number {
  const lo = counter >>> 0;
  const hi = Math.floor(counter / 4294967296) >>> 0;
  const z = mix32((mix32((lo + Math.imul(stream + 1, 0x27d4eb2d)) >>> 0) + (seed ^ 0x9e3779b9)) >>> 0);
  return mix32((z ^ hi) >>> 0) / 4294967296;
}

/** splitmix32's finaliser: a bijective 32-bit mix. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}
