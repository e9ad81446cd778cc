/**
 * Power-law fits: exact recovery from noiseless data, interval coverage on seeded noisy data
 * (the interval is what the study report prints, so it must mean what it says), the t
 * quantile against printed tables and closed forms, and the errors a bad table row gives.
 */
import { Rng } from '@metatwin/physics';
import { fitPowerLaw, powerLawBand, studentTCdf, studentTQuantile, type PowerLawPoint } from './power-law';

const SIZES = [8, 16, 32, 64, 128, 256];

/** y = c·x^p·exp(σ·ε), ε standard normal: multiplicative run-to-run noise. */
function noisy(rng: Rng, sizes: readonly number[], seeds: number, c: number, p: number, sigma: number): PowerLawPoint[] {
  return sizes.flatMap((x) => Array.from({ length: seeds }, () => ({ x, y: c * x ** p * Math.exp(sigma * rng.normal()) })));
}

describe('fitPowerLaw', () => {
  it('recovers exponent and prefactor exactly from noiseless data, with zero-width intervals', () => {
    const fit = fitPowerLaw(SIZES.map((x) => ({ x, y: 3.2e-6 * x ** -1.7 })));
    expect(fit.exponent).toBeCloseTo(-1.7, 12);
    expect(fit.prefactor / 3.2e-6).toBeCloseTo(1, 12);
    expect(fit.r2).toBeCloseTo(1, 12);
    expect(fit.n).toBe(SIZES.length);
    expect(fit.residualSigma).toBeLessThan(1e-12);
    expect(fit.exponentCI[1] - fit.exponentCI[0]).toBeLessThan(1e-10);
    expect(fit.prefactorCI[0]).toBeLessThanOrEqual(fit.prefactor);
    expect(fit.prefactorCI[1]).toBeGreaterThanOrEqual(fit.prefactor);
  });

  it('gives r² = 1 for a flat exact law (exponent 0, ln y does not vary)', () => {
    const fit = fitPowerLaw([1, 2, 4].map((x) => ({ x, y: 5 })));
    expect(fit.exponent).toBeCloseTo(0, 14);
    expect(fit.r2).toBe(1);
  });

  it('covers the true exponent with a seeded noisy sample, and the interval shrinks with more points', () => {
    const rng = new Rng(20240611);
    const few = fitPowerLaw(noisy(rng, SIZES.slice(0, 4), 2, 1e-3, 0.75, 0.2));
    const many = fitPowerLaw(noisy(rng, SIZES, 20, 1e-3, 0.75, 0.2));
    for (const fit of [few, many]) {
      expect(fit.exponentCI[0]).toBeLessThan(0.75);
      expect(fit.exponentCI[1]).toBeGreaterThan(0.75);
      expect(fit.prefactorCI[0]).toBeLessThan(1e-3);
      expect(fit.prefactorCI[1]).toBeGreaterThan(1e-3);
      expect(fit.residualSigma).toBeGreaterThan(0.1);
      expect(fit.residualSigma).toBeLessThan(0.35);
    }
    const width = (f: typeof few): number => f.exponentCI[1] - f.exponentCI[0];
    // 8 points on 4 sizes against 120 on 6: the interval narrows several-fold.
    expect(width(many)).toBeLessThan(width(few) / 4);
  });

  it('95 % intervals cover the true exponent in about 95 % of repeated experiments', () => {
    const rng = new Rng(7);
    const trials = 400;
    let covered = 0;
    for (let i = 0; i < trials; i++) {
      const fit = fitPowerLaw(noisy(rng, [10, 30, 100], 2, 2, -0.5, 0.3));
      if (fit.exponentCI[0] <= -0.5 && -0.5 <= fit.exponentCI[1]) covered++;
    }
    // Binomial spread at 400 trials is ±1.1 %; a normal quantile in place of t (dof 4) would give ~88 %.
    expect(covered / trials).toBeGreaterThan(0.92);
    expect(covered / trials).toBeLessThan(0.98);
  });

  it('names the point that a log–log fit cannot take', () => {
    const ok = [
      { x: 1, y: 1 },
      { x: 2, y: 2 },
      { x: 4, y: 4 },
    ];
    expect(() => fitPowerLaw([...ok, { x: 0, y: 1 }])).toThrow(
      new RangeError('power-law fit: point 3 (x = 0, y = 1) has x not positive and finite; a log–log fit needs x > 0 and y > 0'),
    );
    expect(() => fitPowerLaw([{ x: 8, y: -2 }, ...ok])).toThrow(/point 0 \(x = 8, y = -2\) has y not positive/);
    expect(() => fitPowerLaw([...ok, { x: 3, y: Number.NaN }])).toThrow(/point 3 \(x = 3, y = NaN\) has y/);
    expect(() => fitPowerLaw([...ok, { x: Infinity, y: 1 }])).toThrow(RangeError);
  });

  it('refuses fewer than 3 distinct x, and a confidence outside (0, 1)', () => {
    const twoSizes = [8, 8, 8, 16, 16, 16].map((x, i) => ({ x, y: x + i }));
    expect(() => fitPowerLaw(twoSizes)).toThrow(new RangeError('power-law fit: needs at least 3 distinct x for an exponent and its confidence interval, got 2 (x = 8, 16)'));
    expect(() => fitPowerLaw([])).toThrow(/got 0$/);
    expect(() =>
      fitPowerLaw(
        SIZES.map((x) => ({ x, y: x })),
        1,
      ),
    ).toThrow(/confidence must be in \(0, 1\), got 1/);
  });
});

describe('powerLawBand', () => {
  it('follows the fit, is narrowest at the geometric-mean x and widens outwards', () => {
    const fit = fitPowerLaw(noisy(new Rng(3), SIZES, 3, 0.5, 1.2, 0.25));
    const centre = Math.exp(fit.meanLnX);
    const band = powerLawBand(fit, [4, centre, 1024]);
    for (const b of band) {
      expect(b.y).toBeCloseTo(fit.prefactor * b.x ** fit.exponent, 10);
      expect(b.lo).toBeLessThan(b.y);
      expect(b.hi).toBeGreaterThan(b.y);
    }
    const halfWidth_ln = band.map((b) => Math.log(b.hi / b.y));
    expect(halfWidth_ln[1]).toBeLessThan(halfWidth_ln[0]);
    expect(halfWidth_ln[1]).toBeLessThan(halfWidth_ln[2]);
    // At the centre the band is ±t·σ/√n in ln y, symmetric in log space.
    expect(halfWidth_ln[1]).toBeCloseTo((studentTQuantile(0.975, fit.n - 2) * fit.residualSigma) / Math.sqrt(fit.n), 10);
    expect(Math.log(band[1].y / band[1].lo)).toBeCloseTo(halfWidth_ln[1], 10);
  });

  it('names an x it cannot place on a log axis', () => {
    const fit = fitPowerLaw(SIZES.map((x) => ({ x, y: x })));
    expect(() => powerLawBand(fit, [1, -2])).toThrow(new RangeError('power-law band: xs[1] = -2 is not positive and finite'));
  });
});

describe('studentTQuantile', () => {
  it('matches printed t tables to 1e-3', () => {
    const table: Array<[p: number, dof: number, t: number]> = [
      [0.975, 1, 12.706],
      [0.975, 2, 4.303],
      [0.975, 5, 2.571],
      [0.975, 10, 2.228],
      [0.975, 30, 2.042],
      [0.975, 120, 1.98],
      [0.95, 10, 1.812],
      [0.995, 4, 4.604],
      [0.9995, 1, 636.619],
    ];
    for (const [p, dof, t] of table) expect(Math.abs(studentTQuantile(p, dof) - t)).toBeLessThan(1e-3);
    // Many degrees of freedom: the normal quantile 1.959964.
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.959964, 5);
  });

  it('matches the closed forms for 1, 2 and 4 degrees of freedom to full precision', () => {
    for (const p of [0.6, 0.9, 0.975, 0.999]) {
      expect(studentTQuantile(p, 1)).toBeCloseTo(Math.tan(Math.PI * (p - 0.5)), 9);
      expect(studentTQuantile(p, 2)).toBeCloseTo((2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 9);
    }
    // ν = 4: P(|T| < t) = sin θ (1 + cos²θ / 2), θ = atan(t / 2).
    for (const t of [0.3, 1, 2.5, 8]) {
      const theta = Math.atan(t / 2);
      expect(studentTCdf(t, 4)).toBeCloseTo(0.5 + 0.5 * Math.sin(theta) * (1 + Math.cos(theta) ** 2 / 2), 14);
    }
  });

  it('is odd about p = ½ and inverts the CDF', () => {
    expect(studentTQuantile(0.5, 3)).toBe(0);
    for (const dof of [0.5, 1, 3, 17.5, 200]) {
      for (const p of [0.01, 0.3, 0.8, 0.995]) {
        expect(studentTQuantile(1 - p, dof)).toBeCloseTo(-studentTQuantile(p, dof), 9);
        expect(studentTCdf(studentTQuantile(p, dof), dof)).toBeCloseTo(p, 12);
      }
    }
  });

  it('names a bad probability or degrees of freedom', () => {
    expect(() => studentTQuantile(1, 3)).toThrow(new RangeError('Student-t quantile: p must be in (0, 1), got 1'));
    expect(() => studentTQuantile(0.9, 0)).toThrow(new RangeError('Student-t quantile: degrees of freedom must be positive and finite, got 0'));
  });
});
