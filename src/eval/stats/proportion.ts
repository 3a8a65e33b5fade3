import { betaQuantile, normalQuantile } from './distributions.js';
import { checkConfLevel } from './StatisticalTest.js';

export interface ProportionEstimate {
  estimate: number;
  ci95: [number, number];
  count: number;
  total: number;
  /** The interval's confidence level when it is not 0.95 (the key keeps its name for a stable report shape). */
  confLevel?: number;
  method: 'clopper-pearson' | 'wilson';
}

// Exact binomial interval (Clopper & Pearson 1934, Biometrika 26:404), as R's binom.test.
export function clopperPearson(count: number, total: number, confLevel = 0.95): [number, number] {
  checkCounts(count, total);
  checkConfLevel(confLevel);
  const alpha = 1 - confLevel;
  const lower = count === 0 ? 0 : betaQuantile(alpha / 2, count, total - count + 1);
  const upper = count === total ? 1 : betaQuantile(1 - alpha / 2, count + 1, total - count);
  return [lower, upper];
}

// Score interval (Wilson 1927, JASA 22:209), without continuity correction, as R's prop.test(correct = FALSE).
export function wilson(count: number, total: number, confLevel = 0.95): [number, number] {
  checkCounts(count, total);
  checkConfLevel(confLevel);
  const z = normalQuantile(1 - (1 - confLevel) / 2);
  const p = count / total;
  const z2 = z * z;
  const centre = p + z2 / (2 * total);
  const half = z * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total));
  const denominator = 1 + z2 / total;
  return [Math.max(0, (centre - half) / denominator), Math.min(1, (centre + half) / denominator)];
}

// A proportion with its Clopper–Pearson (1934) or Wilson (1927) interval; total 0 gives NaN and the uninformative [0, 1].
export function ciProportion(
  count: number,
  total: number,
  options: { confLevel?: number; method?: 'clopper-pearson' | 'wilson' } = {},
): ProportionEstimate {
  const confLevel = options.confLevel ?? 0.95;
  const method = options.method ?? 'clopper-pearson';
  const result: ProportionEstimate = total === 0
    ? { estimate: NaN, ci95: [0, 1], count, total, method }
    : {
        estimate: count / total,
        ci95: method === 'wilson' ? wilson(count, total, confLevel) : clopperPearson(count, total, confLevel),
        count,
        total,
        method,
      };
  if (confLevel !== 0.95) result.confLevel = confLevel;
  return result;
}

function checkCounts(count: number, total: number): void {
  if (!Number.isInteger(count) || !Number.isInteger(total) || total < 1 || count < 0 || count > total) {
    throw new RangeError(`a proportion needs integer counts 0 ≤ count ≤ total, total ≥ 1 (got ${count}/${total})`);
  }
}
