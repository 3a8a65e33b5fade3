import { binomialTest } from './binomialTest.js';
import type { StatisticalTest } from './StatisticalTest.js';

export interface McNemarResult extends StatisticalTest {
  /** Pairs positive by the first rater only (b) and by the second only (c). */
  discordant: { firstOnly: number; secondOnly: number };
}

// Exact McNemar test: a binomial test of b against b + c discordant pairs (McNemar 1947, Psychometrika 12:153).
export function mcnemarExact(firstOnly: number, secondOnly: number): McNemarResult {
  const discordant = { firstOnly, secondOnly };
  const method = "Exact McNemar test (binomial test on the discordant pairs)";
  if (firstOnly + secondOnly === 0) {
    return { statistic: 0, statisticName: 'b (first only)', pValue: 1, method, alternative: 'two.sided', discordant };
  }
  const test = binomialTest(firstOnly, firstOnly + secondOnly, { p: 0.5 });
  return {
    statistic: firstOnly,
    statisticName: 'b (first only)',
    pValue: test.pValue,
    method,
    alternative: 'two.sided',
    discordant,
  };
}

// Exact McNemar test of two paired binary ratings of the same cases (McNemar 1947, Psychometrika 12:153).
export function mcnemarPaired(first: ArrayLike<boolean>, second: ArrayLike<boolean>): McNemarResult {
  if (first.length !== second.length) throw new RangeError('McNemar needs paired ratings of the same cases');
  let b = 0;
  let c = 0;
  for (let i = 0; i < first.length; i += 1) {
    if (first[i] && !second[i]) b += 1;
    else if (!first[i] && second[i]) c += 1;
  }
  return mcnemarExact(b, c);
}
