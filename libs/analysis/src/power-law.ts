/**
 * Power laws y = prefactor · x^exponent fitted to scaling-study results (a metric against
 * network size), with Student-t confidence intervals so a reader can tell a measured
 * exponent from the noise of a few seeds.
 *
 * The fit is ordinary least squares on (ln x, ln y): run-to-run spread in these metrics is
 * multiplicative (a seed that learns twice as slowly does so at every size), so the noise is
 * roughly constant in log space and OLS there is the maximum-likelihood fit under log-normal
 * noise. The fitted curve is therefore the geometric mean (the median, for log-normal noise)
 * of y at each x, not the arithmetic mean.
 *
 * The t quantile is computed here rather than taken from a dependency: the one function
 * needed is a few dozen lines (regularized incomplete beta by Lentz's continued fraction,
 * inverted by bisection), and npm's statistics packages are large or unmaintained.
 */

export interface PowerLawPoint {
  readonly x: number;
  readonly y: number;
}

export interface PowerLawFit {
  /** p in y = c · x^p (dimensionless). */
  readonly exponent: number;
  /** c in y = c · x^p, in y's unit (per x^p). */
  readonly prefactor: number;
  /** Two-sided confidence interval of the exponent at `confidence`. */
  readonly exponentCI: readonly [number, number];
  /** Two-sided confidence interval of the prefactor, exp of the interval of ln c (so not symmetric about c). */
  readonly prefactorCI: readonly [number, number];
  /** Coefficient of determination of the log–log fit (1 when ln y does not vary and the fit is exact). */
  readonly r2: number;
  /** Points fitted. */
  readonly n: number;
  /** Residual standard deviation in ln y (natural-log units; 0.1 ≈ 10 % scatter), with n − 2 degrees of freedom. */
  readonly residualSigma: number;
  /** The confidence level the intervals were computed at, e.g. 0.95. */
  readonly confidence: number;
  /** Mean of ln x over the points, and Σ (ln x − mean)²: what powerLawBand needs to widen the band away from the data's centre. */
  readonly meanLnX: number;
  readonly sumSqDevLnX: number;
}

export interface PowerLawBandPoint {
  readonly x: number;
  /** The fitted y at x. */
  readonly y: number;
  /** Confidence band of the fitted (geometric-mean) y at x, at the fit's confidence. */
  readonly lo: number;
  readonly hi: number;
}

/**
 * Fit y = c · x^p by least squares on (ln x, ln y), with intervals from the Student-t
 * distribution with n − 2 degrees of freedom. Throws RangeError naming the first point with
 * x or y not positive and finite, when fewer than 3 distinct x are given (two sizes fix a
 * line exactly and leave no degree of freedom for its uncertainty), or for a confidence
 * outside (0, 1).
 */
export function fitPowerLaw(points: ReadonlyArray<PowerLawPoint>, confidence = 0.95): PowerLawFit {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`power-law fit: confidence must be in (0, 1), got ${confidence}`);
  points.forEach((p, i) => {
    const bad = !(Number.isFinite(p.x) && p.x > 0) ? 'x' : !(Number.isFinite(p.y) && p.y > 0) ? 'y' : null;
    if (bad) throw new RangeError(`power-law fit: point ${i} (x = ${p.x}, y = ${p.y}) has ${bad} not positive and finite; a log–log fit needs x > 0 and y > 0`);
  });
  const distinct = [...new Set(points.map((p) => p.x))];
  if (distinct.length < 3)
    throw new RangeError(
      `power-law fit: needs at least 3 distinct x for an exponent and its confidence interval, got ${distinct.length}${distinct.length ? ` (x = ${distinct.join(', ')})` : ''}`,
    );

  const n = points.length;
  let meanU = 0;
  let meanV = 0;
  for (const p of points) {
    meanU += Math.log(p.x);
    meanV += Math.log(p.y);
  }
  meanU /= n;
  meanV /= n;
  // Centred sums (two passes) rather than Σu² − n·ū²: sizes 8…8192 put ū near 6 and the
  // one-pass form would cancel most of Sxx's digits.
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of points) {
    const du = Math.log(p.x) - meanU;
    const dv = Math.log(p.y) - meanV;
    sxx += du * du;
    sxy += du * dv;
    syy += dv * dv;
  }
  const exponent = sxy / sxx;
  const lnPrefactor = meanV - exponent * meanU;
  let sse = 0;
  for (const p of points) {
    const r = Math.log(p.y) - lnPrefactor - exponent * Math.log(p.x);
    sse += r * r;
  }
  const dof = n - 2;
  const residualSigma = Math.sqrt(sse / dof);
  const t = studentTQuantile(0.5 + confidence / 2, dof);
  const exponentHalf = (t * residualSigma) / Math.sqrt(sxx);
  const lnPrefactorHalf = t * residualSigma * Math.sqrt(1 / n + (meanU * meanU) / sxx);
  return {
    exponent,
    prefactor: Math.exp(lnPrefactor),
    exponentCI: [exponent - exponentHalf, exponent + exponentHalf],
    prefactorCI: [Math.exp(lnPrefactor - lnPrefactorHalf), Math.exp(lnPrefactor + lnPrefactorHalf)],
    r2: syy > 0 ? 1 - sse / syy : 1,
    n,
    residualSigma,
    confidence,
    meanLnX: meanU,
    sumSqDevLnX: sxx,
  };
}

/**
 * The fitted y at each x with the confidence band of the fitted line (not of single runs):
 * narrowest at the data's geometric-mean x, widening away from it. Throws RangeError naming
 * an x that is not positive and finite.
 */
export function powerLawBand(fit: PowerLawFit, xs: ReadonlyArray<number>): PowerLawBandPoint[] {
  const t = studentTQuantile(0.5 + fit.confidence / 2, fit.n - 2);
  const lnPrefactor = Math.log(fit.prefactor);
  return xs.map((x, i) => {
    if (!(Number.isFinite(x) && x > 0)) throw new RangeError(`power-law band: xs[${i}] = ${x} is not positive and finite`);
    const u = Math.log(x);
    const lnY = lnPrefactor + fit.exponent * u;
    const du = u - fit.meanLnX;
    const half = t * fit.residualSigma * Math.sqrt(1 / fit.n + (du * du) / fit.sumSqDevLnX);
    return { x, y: Math.exp(lnY), lo: Math.exp(lnY - half), hi: Math.exp(lnY + half) };
  });
}

/**
 * Quantile of Student's t distribution with `dof` degrees of freedom (any real dof > 0):
 * the t with P(T ≤ t) = p. Newton steps on the upper tail (its derivative is the density),
 * kept inside a bisection bracket so a step that overshoots falls back to halving: the
 * tail is monotone and computed without cancellation even for p near 1, and the answer
 * takes about 6–10 tail evaluations to full precision.
 */
export function studentTQuantile(p: number, dof: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`Student-t quantile: p must be in (0, 1), got ${p}`);
  if (!(Number.isFinite(dof) && dof > 0)) throw new RangeError(`Student-t quantile: degrees of freedom must be positive and finite, got ${dof}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, dof);
  const tail = 1 - p;
  let lo = 0;
  let hi = 1;
  while (upperTail(hi, dof) > tail) {
    lo = hi;
    hi *= 2;
  }
  const lnDensityScale = logGamma((dof + 1) / 2) - logGamma(dof / 2) - 0.5 * Math.log(dof * Math.PI);
  let t = 0.5 * (lo + hi);
  for (let i = 0; i < 200; i++) {
    const excess = upperTail(t, dof) - tail;
    if (excess === 0) return t;
    if (excess > 0) lo = t;
    else hi = t;
    const density = Math.exp(lnDensityScale - ((dof + 1) / 2) * Math.log1p((t * t) / dof));
    const newton = t + excess / density;
    const next = newton > lo && newton < hi ? newton : 0.5 * (lo + hi);
    // Stop at a relative step of a few ulps: the tail is flat to double precision there.
    if (Math.abs(next - t) <= 4e-16 * next) return next;
    t = next;
  }
  return t;
}

/** P(T ≤ t) for Student's t with `dof` degrees of freedom. */
export function studentTCdf(t: number, dof: number): number {
  if (!(Number.isFinite(dof) && dof > 0)) throw new RangeError(`Student-t CDF: degrees of freedom must be positive and finite, got ${dof}`);
  if (Number.isNaN(t)) return Number.NaN;
  return t >= 0 ? 1 - upperTail(t, dof) : upperTail(-t, dof);
}

/** P(T > t) for t ≥ 0: ½ · I_{ν/(ν+t²)}(ν/2, ½), with 1 − x passed as t²/(ν+t²) to keep its digits. */
function upperTail(t: number, dof: number): number {
  if (t === Infinity) return 0;
  const t2 = t * t;
  return 0.5 * regularizedIncompleteBeta(dof / (dof + t2), t2 / (dof + t2), dof / 2, 0.5);
}

/**
 * I_x(a, b), the regularized incomplete beta function, with y = 1 − x given by the caller.
 * The continued fraction converges fast for x < (a + 1)/(a + b + 2); above that the
 * symmetry I_x(a, b) = 1 − I_y(b, a) is used (Numerical Recipes §6.4).
 */
function regularizedIncompleteBeta(x: number, y: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(y));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(y, b, a)) / b;
}

const TINY = 1e-300;
/** Converges in O(√max(a, b)) terms: ten thousand covers any dof up to ~10⁸. */
const MAX_TERMS = 10_000;

/** The continued fraction of I_x(a, b) by the modified Lentz method. */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_TERMS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 3e-16) break;
  }
  return h;
}

/** Lanczos coefficients (g = 7, 9 terms): ln Γ to ~1e-15 relative for x > 0. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

function logGamma(x: number): number {
  // Reflection keeps the series in its accurate range (ν/2 is 0.5 for one degree of freedom).
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}
