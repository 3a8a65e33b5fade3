import { binomialCdf, binomialPmf, binomialUpper } from './distributions.js';
import { clopperPearson } from './proportion.js';
import type { Alternative, StatisticalTest } from './StatisticalTest.js';

// Exact binomial test (Clopper & Pearson 1934 interval; two-sided p by the minimum-likelihood rule of R's binom.test).
export function binomialTest(
  successes: number,
  trials: number,
  options: { p?: number; alternative?: Alternative; confLevel?: number } = {},
): StatisticalTest {
  const p = options.p ?? 0.5;
  const alternative = options.alternative ?? 'two.sided';
  const confLevel = options.confLevel ?? 0.95;
  if (!Number.isInteger(successes) || !Number.isInteger(trials) || trials < 1 || successes < 0 || successes > trials) {
    throw new RangeError(`binomialTest needs 0 ≤ successes ≤ trials, trials ≥ 1 (got ${successes}/${trials})`);
  }
  let pValue: number;
  let ci: [number, number];
  if (alternative === 'less') {
    pValue = binomialCdf(successes, trials, p);
    ci = [0, clopperPearson(successes, trials, 1 - 2 * (1 - confLevel))[1]];
    if (successes === trials) ci = [0, 1];
  } else if (alternative === 'greater') {
    pValue = binomialUpper(successes - 1, trials, p);
    ci = [clopperPearson(successes, trials, 1 - 2 * (1 - confLevel))[0], 1];
    if (successes === 0) ci = [0, 1];
  } else {
    pValue = twoSidedBinomialP(successes, trials, p);
    ci = clopperPearson(successes, trials, confLevel);
  }
  return {
    statistic: successes,
    statisticName: 'number of successes',
    pValue,
    ci,
    estimate: successes / trials,
    confLevel,
    method: 'Exact binomial test',
    alternative,
  };
}

function twoSidedBinomialP(x: number, n: number, p: number): number {
  const relErr = 1 + 1e-7;
  const d = binomialPmf(x, n, p);
  const m = n * p;
  if (x === m) return 1;
  let pValue: number;
  if (x < m) {
    let y = 0;
    for (let i = Math.ceil(m); i <= n; i += 1) if (binomialPmf(i, n, p) <= d * relErr) y += 1;
    pValue = binomialCdf(x, n, p) + binomialUpper(n - y, n, p);
  } else {
    let y = 0;
    for (let i = 0; i <= Math.floor(m); i += 1) if (binomialPmf(i, n, p) <= d * relErr) y += 1;
    pValue = binomialCdf(y - 1, n, p) + binomialUpper(x - 1, n, p);
  }
  return Math.min(1, pValue);
}
