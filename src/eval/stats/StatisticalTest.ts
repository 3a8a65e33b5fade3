/** The one shape every hypothesis test returns (pROC's and R's `htest` vocabulary). */
export type Alternative = 'two.sided' | 'less' | 'greater';

export interface StatisticalTest {
  /** The test statistic (z, χ², a count…); which one is said by `statisticName`. */
  statistic: number;
  statisticName: string;
  pValue: number;
  /** Confidence interval of `estimate` where the test defines one. */
  ci?: [number, number];
  estimate?: number;
  confLevel?: number;
  /** A human method string, e.g. "DeLong's test for two correlated ROC curves". */
  method: string;
  alternative: Alternative;
}

export interface ConfidenceInterval {
  estimate: number;
  ci95: [number, number];
}

export function checkConfLevel(confLevel: number): void {
  if (!(confLevel > 0 && confLevel < 1)) throw new RangeError(`confLevel must lie strictly between 0 and 1 (got ${confLevel})`);
}
