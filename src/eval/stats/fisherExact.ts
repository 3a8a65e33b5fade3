import { hypergeometricLogPmf } from './distributions.js';
import { checkConfLevel, type Alternative, type StatisticalTest } from './StatisticalTest.js';

/** A 2×2 table [[a, b], [c, d]]: rows are groups, columns outcome yes / no. */
export type Table2x2 = [[number, number], [number, number]];

// Fisher's exact test for a 2×2 table with the conditional MLE odds ratio and its exact interval
// (Fisher 1935, J R Stat Soc 98:39; Fisher 1962 for the interval), as R's fisher.test.
export function fisherExact(
  table: Table2x2,
  options: { alternative?: Alternative; confLevel?: number } = {},
): StatisticalTest {
  const alternative = options.alternative ?? 'two.sided';
  const confLevel = options.confLevel ?? 0.95;
  checkConfLevel(confLevel);
  const [[a, b], [c, d]] = table;
  for (const cell of [a, b, c, d]) {
    if (!Number.isInteger(cell) || cell < 0) throw new RangeError(`Fisher's exact test needs non-negative integer counts (got ${JSON.stringify(table)})`);
  }
  const m = a + c; // first column total
  const n = b + d; // second column total
  const k = a + b; // first row total
  const x = a;
  const lo = Math.max(0, k - n);
  const hi = Math.min(k, m);
  const support: number[] = [];
  const logdc: number[] = [];
  for (let s = lo; s <= hi; s += 1) {
    support.push(s);
    logdc.push(hypergeometricLogPmf(s, m, n, k));
  }
  const dnhyper = (ncp: number): number[] => {
    const logNcp = Math.log(ncp);
    const logs = logdc.map((value, i) => value + logNcp * (support[i] as number));
    const max = logs.reduce((a, b) => (b > a ? b : a), -Infinity); // no spread: the support can be long
    const weights = logs.map((value) => Math.exp(value - max));
    const total = weights.reduce((sum, w) => sum + w, 0);
    return weights.map((w) => w / total);
  };
  const mnhyper = (ncp: number): number => {
    if (ncp === 0) return lo;
    if (ncp === Infinity) return hi;
    return dnhyper(ncp).reduce((sum, p, i) => sum + p * (support[i] as number), 0);
  };
  const pnhyper = (q: number, ncp: number, upperTail: boolean): number => {
    if (ncp === 0) return upperTail ? Number(q <= lo) : Number(q >= lo);
    if (ncp === Infinity) return upperTail ? Number(q <= hi) : Number(q >= hi);
    const probabilities = dnhyper(ncp);
    let sum = 0;
    for (let i = 0; i < support.length; i += 1) {
      const s = support[i] as number;
      if (upperTail ? s >= q : s <= q) sum += probabilities[i] as number;
    }
    return Math.min(1, sum);
  };

  let pValue: number;
  if (alternative === 'less') pValue = pnhyper(x, 1, false);
  else if (alternative === 'greater') pValue = pnhyper(x, 1, true);
  else {
    const relErr = 1 + 1e-7;
    const probabilities = dnhyper(1);
    const observed = probabilities[x - lo] as number;
    pValue = Math.min(1, probabilities.reduce((sum, p) => (p <= observed * relErr ? sum + p : sum), 0));
  }

  // Conditional maximum-likelihood odds ratio: the ncp whose noncentral-hypergeometric mean equals x.
  const estimate = x === lo ? 0 : x === hi ? Infinity : solveIncreasing((t) => mnhyper(t) - x);
  const upperLimit = (alpha: number): number =>
    x === hi ? Infinity : solveIncreasing((t) => alpha - pnhyper(x, t, false));
  const lowerLimit = (alpha: number): number =>
    x === lo ? 0 : solveIncreasing((t) => pnhyper(x, t, true) - alpha);
  let ci: [number, number];
  if (alternative === 'less') ci = [0, upperLimit(1 - confLevel)];
  else if (alternative === 'greater') ci = [lowerLimit(1 - confLevel), Infinity];
  else {
    const alpha = (1 - confLevel) / 2;
    ci = [lowerLimit(alpha), upperLimit(alpha)];
  }
  return {
    statistic: x,
    statisticName: 'a (row 1, column 1 count)',
    pValue,
    ci,
    estimate,
    confLevel,
    method: "Fisher's exact test for count data",
    alternative,
  };
}

/** Root of an increasing function of t ∈ (0, ∞), bisected on log t to full precision. */
function solveIncreasing(f: (t: number) => number): number {
  let lo = -750;
  let hi = 750;
  if (f(Math.exp(lo)) > 0) return 0;
  if (f(Math.exp(hi)) < 0) return Infinity;
  // Bisect until log t is known to 1e-13 (t to ≈ 1e-13 relative).
  while (hi - lo > 1e-13 * Math.max(1, Math.abs(lo), Math.abs(hi))) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (f(Math.exp(mid)) < 0) lo = mid;
    else hi = mid;
  }
  return Math.exp(0.5 * (lo + hi));
}
