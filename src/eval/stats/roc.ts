import { bootstrapAucCi } from './bootstrap.js';
import { delongAuc, delongPaired, delongUnpaired, type CaseControlScores } from './delong.js';
import { lowerBound, upperBound } from './midranks.js';
import type { StatisticalTest } from './StatisticalTest.js';

/**
 * An empirical ROC curve (pROC's `roc` with direction "<": higher scores mean a case). Points run from the strictest
 * threshold (+∞: nothing positive) to the most lenient (the lowest score: everything positive); a case is called
 * positive when its score is ≥ the threshold.
 */
export interface Roc extends CaseControlScores {
  thresholds: number[];
  sensitivities: number[];
  specificities: number[];
  auc: number;
  /** Index of each score in its class, original order kept so that two ROCs on the same truth pair up. */
  isCase: boolean[];
}

// Empirical ROC curve (Metz 1978, Semin Nucl Med 8:283), in pROC's vocabulary (Robin et al. 2011, BMC Bioinformatics 12:77).
export function roc(scores: ArrayLike<number>, isCase: ArrayLike<boolean>): Roc {
  if (scores.length !== isCase.length) throw new RangeError(`roc needs one truth per score (${scores.length} scores, ${isCase.length} truths)`);
  const caseList: number[] = [];
  const controlList: number[] = [];
  const truth: boolean[] = [];
  for (let i = 0; i < scores.length; i += 1) {
    const score = scores[i] as number;
    if (Number.isNaN(score)) throw new RangeError(`score ${i} is NaN`);
    truth.push(Boolean(isCase[i]));
    (isCase[i] ? caseList : controlList).push(score);
  }
  const cases = Float64Array.from(caseList);
  const controls = Float64Array.from(controlList);
  const curve = rocCurve(cases, controls);
  return { cases, controls, ...curve, auc: aucOf({ cases, controls }), isCase: truth };
}

function rocCurve(cases: Float64Array, controls: Float64Array): Pick<Roc, 'thresholds' | 'sensitivities' | 'specificities'> {
  const sortedCases = Float64Array.from(cases).sort();
  const sortedControls = Float64Array.from(controls).sort();
  const all = new Float64Array(cases.length + controls.length);
  all.set(sortedCases, 0);
  all.set(sortedControls, cases.length);
  all.sort();
  const m = cases.length;
  const n = controls.length;
  const thresholds = [Infinity];
  const sensitivities = [0];
  const specificities = [1];
  for (let i = all.length - 1; i >= 0; i -= 1) {
    const t = all[i] as number;
    if (t === thresholds[thresholds.length - 1]) continue;
    thresholds.push(t);
    sensitivities.push(m === 0 ? NaN : (m - lowerBound(sortedCases, t)) / m);
    specificities.push(n === 0 ? NaN : lowerBound(sortedControls, t) / n);
  }
  return { thresholds, sensitivities, specificities };
}

// Area under the empirical ROC curve = Mann–Whitney U / (m·n) (Bamber 1975, J Math Psychol 12:387).
export function aucOf(scores: CaseControlScores): number {
  const { cases, controls } = scores;
  if (cases.length === 0 || controls.length === 0) return NaN;
  const sorted = Float64Array.from(controls).sort();
  let sum = 0;
  for (let i = 0; i < cases.length; i += 1) {
    const s = cases[i] as number;
    sum += (lowerBound(sorted, s) + upperBound(sorted, s)) / 2;
  }
  return sum / (cases.length * controls.length);
}

/** pROC's `auc`. */
export function auc(curve: Roc): number {
  return curve.auc;
}

export interface AucInterval {
  estimate: number;
  ci95: [number, number];
  confLevel: number;
  method: 'delong' | 'bootstrap';
  /** DeLong's variance (method 'delong'). */
  variance?: number;
  /** Replicates used (method 'bootstrap'). */
  bootN?: number;
  stratified?: boolean;
}

export interface CiAucOptions {
  method?: 'delong' | 'bootstrap';
  confLevel?: number;
  bootN?: number;
  stratified?: boolean;
  seed?: number;
}

// pROC's `ci.auc` (Robin et al. 2011): DeLong (default; DeLong et al. 1988) or a percentile bootstrap (Efron & Tibshirani 1993).
export function ciAuc(curve: Roc, options: CiAucOptions = {}): AucInterval {
  const method = options.method ?? 'delong';
  const confLevel = options.confLevel ?? 0.95;
  if (method === 'delong') {
    const d = delongAuc(curve, { confLevel });
    return { estimate: d.auc, ci95: d.ci95, confLevel, method, variance: d.variance };
  }
  const bootN = options.bootN ?? 2000;
  const stratified = options.stratified ?? true;
  const ci95 = bootstrapAucCi(curve, { bootN, confLevel, stratified, seed: options.seed ?? 1 });
  return { estimate: curve.auc, ci95, confLevel, method, bootN, stratified };
}

// pROC's `roc.test` with method "delong" (DeLong et al. 1988): paired when both curves are on the same truth, else unpaired.
export function rocTest(first: Roc, second: Roc, options: { paired?: boolean; confLevel?: number; method?: 'delong' } = {}): StatisticalTest {
  if (options.method !== undefined && options.method !== 'delong') {
    throw new RangeError(`rocTest supports method 'delong' only (got '${String(options.method)}'); for a bootstrap interval of one AUC use ciAuc(roc, { method: 'bootstrap' })`);
  }
  const sameTruth = first.isCase.length === second.isCase.length && first.isCase.every((v, i) => v === second.isCase[i]);
  const paired = options.paired ?? sameTruth;
  if (paired && !sameTruth) throw new RangeError('a paired ROC test needs both curves on the same cases in the same order; pass paired: false for different test sets');
  const confLevel = options.confLevel ?? 0.95;
  return paired ? delongPaired(first, second, { confLevel }) : delongUnpaired(first, second);
}
