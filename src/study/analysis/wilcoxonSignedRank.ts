import { distributions, type StatisticalTest } from '../../eval/index.js';

export interface WilcoxonSignedRankResult extends StatisticalTest {
  /** Pairs with a non-zero difference (zeros are dropped, R's default zero.method "Wilcox"). */
  n: number;
  exact: boolean;
}

/** Number of subsets of {1..n} for each rank sum 0..n(n+1)/2 (the null distribution of V, as R's csignrank). */
function signedRankCounts(n: number): Float64Array {
  const max = (n * (n + 1)) / 2;
  const counts = new Float64Array(max + 1);
  counts[0] = 1;
  for (let k = 1; k <= n; k += 1) {
    for (let s = max; s >= k; s -= 1) counts[s] = (counts[s] as number) + (counts[s - k] as number);
  }
  return counts;
}

// Wilcoxon signed-rank test for paired samples (Wilcoxon 1945, Biometrics Bulletin 1:80), two-sided, computed as
// R's wilcox.test(x, y, paired = TRUE): exact null distribution when n < 50 with no ties and no zero differences,
// else the normal approximation with tie correction and continuity correction.
export function wilcoxonSignedRank(first: readonly number[], second: readonly number[], options: { correct?: boolean } = {}): WilcoxonSignedRankResult {
  if (first.length !== second.length) throw new RangeError('the Wilcoxon signed-rank test needs paired samples of equal length');
  const correct = options.correct ?? true;
  const differences = first.map((x, i) => x - (second[i] as number));
  const zeroes = differences.some((d) => d === 0);
  const d = differences.filter((value) => value !== 0);
  const n = d.length;
  const method = 'Wilcoxon signed rank test';
  if (n === 0) return { statistic: 0, statisticName: 'V', pValue: 1, method, alternative: 'two.sided', n, exact: false };
  const order = d.map((value, index) => ({ abs: Math.abs(value), index })).sort((a, b) => a.abs - b.abs);
  const ranks = new Float64Array(n);
  const tieSizes: number[] = [];
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && (order[j + 1] as { abs: number }).abs === (order[i] as { abs: number }).abs) j += 1;
    const midrank = (i + j + 2) / 2;
    for (let k = i; k <= j; k += 1) ranks[(order[k] as { index: number }).index] = midrank;
    tieSizes.push(j - i + 1);
    i = j + 1;
  }
  let v = 0;
  d.forEach((value, i) => { if (value > 0) v += ranks[i] as number; });
  const ties = tieSizes.some((size) => size > 1);
  if (n < 50 && !ties && !zeroes) {
    const counts = signedRankCounts(n);
    const total = 2 ** n;
    const cdf = (q: number): number => { let sum = 0; for (let s = 0; s <= q && s < counts.length; s += 1) sum += counts[s] as number; return sum / total; };
    const lower = cdf(v);
    const upper = 1 - cdf(v - 1);
    const pValue = Math.min(1, 2 * Math.min(lower, upper));
    return { statistic: v, statisticName: 'V', pValue, method, alternative: 'two.sided', n, exact: true };
  }
  let z = v - (n * (n + 1)) / 4;
  const sigma = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieSizes.reduce((sum, t) => sum + (t ** 3 - t), 0) / 48);
  const correction = correct ? Math.sign(z) * 0.5 : 0;
  z = (z - correction) / sigma;
  const pValue = Math.min(1, 2 * Math.min(distributions.normalCdf(z), distributions.normalUpper(z)));
  return { statistic: v, statisticName: 'V', pValue, method: correct ? `${method} with continuity correction` : method, alternative: 'two.sided', n, exact: false };
}
