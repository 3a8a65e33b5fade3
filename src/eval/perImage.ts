import { ciAuc, roc, type Roc } from './stats/roc.js';
import { ciProportion } from './stats/proportion.js';
import type { AucReport, PerImageReport, ProportionReport, RocReport } from './Report.js';

export interface BootstrapOptions {
  bootN: number;
  seed: number;
  stratified: boolean;
}

export function proportionReport(count: number, total: number): ProportionReport {
  if (total === 0) return { estimate: null, ci95: null, count, total };
  const p = ciProportion(count, total);
  return { estimate: p.estimate, ci95: p.ci95, count, total };
}

/** Per-image metrics at a threshold: a case is called positive when its image score is ≥ the threshold. */
export function perImageMetrics(
  scores: ArrayLike<number>,
  isFracture: ArrayLike<boolean>,
  threshold: number,
  options: { bootstrap?: BootstrapOptions } = {},
): { report: PerImageReport; curve: Roc | null } {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < scores.length; i += 1) {
    const positive = (scores[i] as number) >= threshold;
    if (isFracture[i]) {
      if (positive) tp += 1;
      else fn += 1;
    } else if (positive) fp += 1;
    else tn += 1;
  }
  const positives = tp + fn;
  const negatives = tn + fp;
  let auc: AucReport | null = null;
  let curve: Roc | null = null;
  if (positives > 0 && negatives > 0) {
    curve = roc(scores, isFracture);
    const delong = ciAuc(curve, { method: 'delong' });
    const defined = !Number.isNaN(delong.variance ?? NaN);
    auc = { estimate: delong.estimate, ci95: defined ? delong.ci95 : null, method: 'delong', variance: defined ? (delong.variance as number) : null };
    if (options.bootstrap) {
      const b = ciAuc(curve, { method: 'bootstrap', bootN: options.bootstrap.bootN, seed: options.bootstrap.seed, stratified: options.bootstrap.stratified });
      auc.bootstrap = { ci95: b.ci95, bootN: options.bootstrap.bootN, stratified: options.bootstrap.stratified, seed: options.bootstrap.seed };
    }
  }
  return {
    report: {
      n: scores.length,
      positives,
      negatives,
      threshold,
      auc,
      sensitivity: proportionReport(tp, positives),
      specificity: proportionReport(tn, negatives),
      accuracy: proportionReport(tp + tn, scores.length),
      ppv: proportionReport(tp, tp + fp),
      npv: proportionReport(tn, tn + fn),
      confusion: { tp, fp, tn, fn },
    },
    curve,
  };
}

export function rocReport(curve: Roc): RocReport {
  return {
    thresholds: curve.thresholds.map((t) => (Number.isFinite(t) ? t : null)),
    sensitivities: curve.sensitivities,
    specificities: curve.specificities,
  };
}
