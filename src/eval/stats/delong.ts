import { normalQuantile, normalUpper, studentTUpper } from './distributions.js';
import { argsort } from './midranks.js';
import { checkConfLevel, type StatisticalTest } from './StatisticalTest.js';

/** Scores split by the truth: `cases` (positives, e.g. fracture) and `controls` (negatives). Higher = more likely a case. */
export interface CaseControlScores {
  cases: Float64Array;
  controls: Float64Array;
}

export interface DelongPlacements {
  /** The AUC, P(case > control) + ½ P(tie) — the Mann–Whitney statistic. */
  theta: number;
  /** Placement of each case among the controls (V10 in DeLong's notation), length m. */
  caseComponents: Float64Array;
  /** 1 − placement of each control among the cases (V01), length n. */
  controlComponents: Float64Array;
}

// DeLong's structural components from midranks, O(n log n) (Sun & Xu 2014, IEEE SPL 21:1389; DeLong et al. 1988, Biometrics 44:837).
// Sun & Xu: V10ᵢ = (Tzᵢ − Txᵢ)/n and V01ⱼ = 1 − (Tzⱼ − Tyⱼ)/m, with Tz, Tx, Ty the midranks in the pooled sample, the
// cases and the controls. A midrank difference Tz − Tx is the number of controls below plus half those tied, so one
// radix sort of the pooled scores and a walk over its tie groups give every component (no per-class sorts).
export function delongPlacements(scores: CaseControlScores): DelongPlacements {
  const { cases, controls } = scores;
  const m = cases.length;
  const n = controls.length;
  if (m === 0 || n === 0) throw new RangeError(`the AUC needs at least one case and one control (got ${m} cases, ${n} controls)`);
  const pooled = new Float64Array(m + n);
  pooled.set(cases, 0);
  pooled.set(controls, m);
  for (let i = 0; i < pooled.length; i += 1) {
    if (Number.isNaN(pooled[i])) throw new RangeError(`score ${i} is NaN; every case and control needs a score`);
  }
  const order = argsort(pooled);
  const caseComponents = new Float64Array(m);
  const controlComponents = new Float64Array(n);
  let casesBelow = 0;
  let controlsBelow = 0;
  let sum = 0;
  const total = m + n;
  let k = 0;
  while (k < total) {
    const value = pooled[order[k] as number] as number;
    let j = k;
    let casesTied = 0;
    while (j < total && pooled[order[j] as number] === value) {
      if ((order[j] as number) < m) casesTied += 1;
      j += 1;
    }
    const controlsTied = j - k - casesTied;
    const caseComponent = (controlsBelow + 0.5 * controlsTied) / n; // (Tz − Tx)/n
    const controlComponent = 1 - (casesBelow + 0.5 * casesTied) / m; // 1 − (Tz − Ty)/m
    for (let t = k; t < j; t += 1) {
      const index = order[t] as number;
      if (index < m) caseComponents[index] = caseComponent;
      else controlComponents[index - m] = controlComponent;
    }
    sum += casesTied * caseComponent;
    casesBelow += casesTied;
    controlsBelow += controlsTied;
    k = j;
  }
  return { theta: sum / m, caseComponents, controlComponents };
}

function covariance(a: Float64Array, meanA: number, b: Float64Array, meanB: number): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += ((a[i] as number) - meanA) * ((b[i] as number) - meanB);
  return sum / (a.length - 1);
}

export interface DelongAuc {
  auc: number;
  /** DeLong's variance of the AUC; NaN with a single case or a single control (undefined, as in pROC). */
  variance: number;
  se: number;
  ci95: [number, number];
  confLevel: number;
  method: string;
}

// AUC with DeLong's variance and a normal-theory interval clipped to [0, 1] (DeLong et al. 1988, Biometrics 44:837).
export function delongAuc(scores: CaseControlScores, options: { confLevel?: number } = {}): DelongAuc {
  const confLevel = options.confLevel ?? 0.95;
  checkConfLevel(confLevel);
  const v = delongPlacements(scores);
  const variance = varianceOf(v);
  const se = Math.sqrt(variance);
  const z = normalQuantile(1 - (1 - confLevel) / 2);
  const ci95: [number, number] = Number.isNaN(se)
    ? [NaN, NaN]
    : [Math.max(0, v.theta - z * se), Math.min(1, v.theta + z * se)];
  return { auc: v.theta, variance, se, ci95, confLevel, method: 'DeLong' };
}

function varianceOf(v: DelongPlacements): number {
  const m = v.caseComponents.length;
  const n = v.controlComponents.length;
  const s10 = covariance(v.caseComponents, v.theta, v.caseComponents, v.theta);
  const s01 = covariance(v.controlComponents, v.theta, v.controlComponents, v.theta);
  return s10 / m + s01 / n;
}

export interface DelongPairedTest extends StatisticalTest {
  /** AUC of each model and the difference first − second. */
  auc: [number, number];
  difference: number;
  /** Variance of the difference, L·S·Lᵀ. */
  variance: number;
  /** The 2×2 covariance matrix S of the two AUCs. */
  covariance: [[number, number], [number, number]];
}

// DeLong's test for two correlated ROC curves on the same cases (DeLong et al. 1988, Biometrics 44:837; Sun & Xu 2014).
export function delongPaired(
  first: CaseControlScores,
  second: CaseControlScores,
  options: { confLevel?: number } = {},
): DelongPairedTest {
  const confLevel = options.confLevel ?? 0.95;
  checkConfLevel(confLevel);
  if (first.cases.length !== second.cases.length || first.controls.length !== second.controls.length) {
    throw new RangeError("DeLong's paired test needs both models scored on the same cases and controls, in the same order; use the unpaired test for different test sets");
  }
  const a = delongPlacements(first);
  const b = delongPlacements(second);
  const m = a.caseComponents.length;
  const n = a.controlComponents.length;
  const s10 = (x: DelongPlacements, y: DelongPlacements): number => covariance(x.caseComponents, x.theta, y.caseComponents, y.theta);
  const s01 = (x: DelongPlacements, y: DelongPlacements): number => covariance(x.controlComponents, x.theta, y.controlComponents, y.theta);
  const s11 = s10(a, a) / m + s01(a, a) / n;
  const s22 = s10(b, b) / m + s01(b, b) / n;
  const s12 = s10(a, b) / m + s01(a, b) / n;
  const variance = s11 + s22 - 2 * s12;
  const difference = a.theta - b.theta;
  let statistic = difference / Math.sqrt(variance);
  // Identical curves: the difference and its variance are both 0; pROC reports z = 0 there.
  if (Number.isNaN(statistic) && difference === 0 && variance === 0) statistic = 0;
  const z = normalQuantile(1 - (1 - confLevel) / 2);
  const se = Math.sqrt(variance);
  return {
    statistic,
    statisticName: 'Z',
    pValue: 2 * normalUpper(Math.abs(statistic)),
    ci: [difference - z * se, difference + z * se],
    estimate: difference,
    confLevel,
    method: "DeLong's test for two correlated ROC curves",
    alternative: 'two.sided',
    auc: [a.theta, b.theta],
    difference,
    variance,
    covariance: [[s11, s12], [s12, s22]],
  };
}

// DeLong's test for two ROC curves on independent samples: variances add, Student's t with Welch's df, as pROC
// (DeLong et al. 1988, Biometrics 44:837; Welch 1947, Biometrika 34:28).
export function delongUnpaired(
  first: CaseControlScores,
  second: CaseControlScores,
): StatisticalTest & { auc: [number, number]; difference: number; variance: number; df: number } {
  const a = delongAuc(first);
  const b = delongAuc(second);
  const variance = a.variance + b.variance;
  const difference = a.auc - b.auc;
  const statistic = difference / Math.sqrt(variance);
  const totalA = first.cases.length + first.controls.length;
  const totalB = second.cases.length + second.controls.length;
  const df = variance ** 2 / (a.variance ** 2 / (totalA - 1) + b.variance ** 2 / (totalB - 1));
  return {
    statistic,
    statisticName: 'D',
    pValue: 2 * studentTUpper(Math.abs(statistic), df),
    estimate: difference,
    method: "DeLong's test for two ROC curves",
    alternative: 'two.sided',
    auc: [a.auc, b.auc],
    difference,
    variance,
    df,
  };
}
