/**
 * Probability distributions the validation statistics need, written for accuracy (≈1e-14 relative) rather than
 * speed, so that p-values and exact intervals agree with R to many digits. Pure functions, no state.
 * Full citations in docs/statistics.md.
 */

const LN_SQRT_2PI = 0.918938533204672741780329736406; // log(sqrt(2π))
const SQRT_PI = 1.772453850905516027298167483341;

// Stirling series with upward shift, lgamma(z) for z > 0 (Abramowitz & Stegun 1964, 6.1.41).
export function logGamma(z: number): number {
  if (!(z > 0)) {
    if (z === 0) return Infinity;
    throw new RangeError(`logGamma is defined here for positive arguments only (got ${z})`);
  }
  let shift = 0;
  let product = 1;
  let x = z;
  while (x < 15) {
    product *= x;
    x += 1;
    if (product > 1e280) {
      shift += Math.log(product);
      product = 1;
    }
  }
  shift += Math.log(product);
  const x2 = x * x;
  const series =
    (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - (1 / 1188 - (691 / 360360 - 1 / (156 * x2)) / x2) / x2) / x2) / x2) / x2) / x;
  return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + series - shift;
}

// erfc by the Taylor series of exp(x²)·erf(x) for small x and Laplace's continued fraction for large x
// (Abramowitz & Stegun 1964, 7.1.6 and 7.1.14).
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2.5) {
    // erf(x) = 2/√π · exp(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)), all terms positive: no cancellation.
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 500; n += 1) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return 1 - (2 / SQRT_PI) * Math.exp(-x2) * sum;
  }
  if (x > 27.3) return 0;
  // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated with modified Lentz.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 5000; n += 1) {
    const an = n / 2;
    d = x + an * d;
    d = d === 0 ? tiny : d;
    c = x + an / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (SQRT_PI * f);
}

/** Standard normal distribution function Φ(z), accurate in both tails. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Upper tail 1 − Φ(z), without cancellation for large z. */
export function normalUpper(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

export function normalDensity(z: number): number {
  return Math.exp(-0.5 * z * z - LN_SQRT_2PI);
}

// Normal quantile: Abramowitz & Stegun 26.2.23 start, refined by Halley's method on Φ (A&S 1964; Halley 1694).
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  const lower = p < 0.5;
  const q = lower ? p : 1 - p;
  const t = Math.sqrt(-2 * Math.log(q));
  let x = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
  x = lower ? -x : x;
  for (let i = 0; i < 8; i += 1) {
    // Work in the tail where p lies so the residual keeps its relative precision.
    const residual = lower ? normalCdf(x) - p : -(normalUpper(x) - (1 - p));
    const density = normalDensity(x);
    if (density === 0) break;
    const u = residual / density;
    const step = u / (1 + 0.5 * x * u);
    x -= step;
    if (Math.abs(step) <= 1e-16 * Math.max(1, Math.abs(x))) break;
  }
  return x;
}

// Stirling-formula error term δ(n) = lgamma(n+1) − (n+½)log n + n − log√(2π) (Loader 2000).
function stirlingError(n: number): number {
  if (n <= 15) return logGamma(n + 1) - (n + 0.5) * Math.log(n) + n - LN_SQRT_2PI;
  const nn = n * n;
  const s0 = 1 / 12;
  const s1 = 1 / 360;
  const s2 = 1 / 1260;
  const s3 = 1 / 1680;
  const s4 = 1 / 1188;
  return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n;
}

// Deviance term bd0(x, np) = x log(x/np) + np − x, computed without cancellation (Loader 2000).
function deviance(x: number, np: number): number {
  if (Math.abs(x - np) < 0.1 * (x + np)) {
    let v = (x - np) / (x + np);
    let s = (x - np) * v;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j += 1) {
      ej *= v;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
    return s;
  }
  return x * Math.log(x / np) + np - x;
}

// Binomial probability mass by the saddle-point expansion (Loader 2000), as R's dbinom.
export function binomialLogPmf(x: number, n: number, p: number): number {
  if (!Number.isInteger(x) || !Number.isInteger(n) || x < 0 || x > n) return -Infinity;
  const q = 1 - p;
  if (p === 0) return x === 0 ? 0 : -Infinity;
  if (q === 0) return x === n ? 0 : -Infinity;
  if (x === 0) {
    if (n === 0) return 0;
    return p < 0.1 ? -deviance(n, n * q) - n * p : n * Math.log(q);
  }
  if (x === n) return q < 0.1 ? -deviance(n, n * p) - n * q : n * Math.log(p);
  const lc = stirlingError(n) - stirlingError(x) - stirlingError(n - x) - deviance(x, n * p) - deviance(n - x, n * q);
  const lf = Math.log(2 * Math.PI) + Math.log(x) + Math.log1p(-x / n);
  return lc - 0.5 * lf;
}

export function binomialPmf(x: number, n: number, p: number): number {
  return Math.exp(binomialLogPmf(x, n, p));
}

/** P(X ≤ x) for X ~ Binomial(n, p), by summing the mass function (exact to rounding; n of a test set is small). */
export function binomialCdf(x: number, n: number, p: number): number {
  if (x < 0) return 0;
  if (x >= n) return 1;
  const k = Math.floor(x);
  let sum = 0;
  if (k < n / 2) {
    for (let i = 0; i <= k; i += 1) sum += binomialPmf(i, n, p);
    return Math.min(1, sum);
  }
  for (let i = k + 1; i <= n; i += 1) sum += binomialPmf(i, n, p);
  return Math.max(0, 1 - sum);
}

/** P(X > x) for X ~ Binomial(n, p). */
export function binomialUpper(x: number, n: number, p: number): number {
  if (x < 0) return 1;
  if (x >= n) return 0;
  const k = Math.floor(x);
  let sum = 0;
  if (k >= n / 2) {
    for (let i = k + 1; i <= n; i += 1) sum += binomialPmf(i, n, p);
    return Math.min(1, sum);
  }
  for (let i = 0; i <= k; i += 1) sum += binomialPmf(i, n, p);
  return Math.max(0, 1 - sum);
}

/** log P(X = x) for the hypergeometric distribution: x white balls drawn in k draws from m white and n black. */
export function hypergeometricLogPmf(x: number, m: number, n: number, k: number): number {
  if (x < Math.max(0, k - n) || x > Math.min(k, m)) return -Infinity;
  if (k === 0) return x === 0 ? 0 : -Infinity;
  // As R's dhyper: a ratio of binomial probabilities, each computed by the saddle-point expansion.
  const p = k / (m + n);
  return binomialLogPmf(x, m, p) + binomialLogPmf(k - x, n, p) - binomialLogPmf(k, m + n, p);
}

// Continued fraction for the incomplete beta function, modified Lentz (Press et al. 2007, §6.4).
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < 100000; m += 1) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return h;
}

/** Regularized incomplete beta function I_x(a, b) = P(X ≤ x) for X ~ Beta(a, b). */
export function betaCdf(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/** Beta quantile: the x with I_x(a, b) = p, by bisection to the last representable digit. */
export function betaQuantile(p: number, a: number, b: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return 0;
  if (p === 1) return 1;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 2000; i += 1) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (betaCdf(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

// Regularized lower incomplete gamma P(a, x): series for x < a + 1, continued fraction otherwise (Press et al. 2007, §6.2).
function gammaLowerRegularized(a: number, x: number): { lower: number; upper: number } {
  if (x <= 0) return { lower: 0, upper: 1 };
  const logFront = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let ap = a;
    let sum = 1 / a;
    let del = sum;
    for (let n = 0; n < 100000; n += 1) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-17) break;
    }
    const lower = sum * Math.exp(logFront);
    return { lower, upper: 1 - lower };
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100000; i += 1) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const upper = Math.exp(logFront) * h;
  return { lower: 1 - upper, upper };
}

/** Upper tail P(X > x) for X ~ χ² with df degrees of freedom. */
export function chiSquareUpper(x: number, df: number): number {
  if (!(x > 0)) return 1;
  if (df === 1) return erfc(Math.sqrt(x / 2));
  return gammaLowerRegularized(df / 2, x / 2).upper;
}

/** Upper tail P(T > t) for Student's t with df degrees of freedom (df may be fractional, as Welch's). */
export function studentTUpper(t: number, df: number): number {
  if (Number.isNaN(t) || Number.isNaN(df)) return NaN;
  const tail = 0.5 * betaCdf(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}

/** Upper tail P(F > f) for F ~ F(df1, df2), through the incomplete beta function (Abramowitz & Stegun 1964, 26.6.2). */
export function fUpper(f: number, df1: number, df2: number): number {
  if (!(f > 0)) return 1;
  return betaCdf(df2 / (df2 + df1 * f), df2 / 2, df1 / 2);
}

/** The p-quantile of Student's t (df may be fractional, e.g. Hillis' ddf), by bisection on the monotone CDF. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`quantile probability must lie in (0, 1), got ${p}`);
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 200; i += 1) {
    const mid = 0.5 * (lo + hi);
    if (1 - studentTUpper(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}
