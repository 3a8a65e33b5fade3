import { createRandom } from './random.js';
import type { CaseControlScores } from './delong.js';
import { lowerBound, upperBound } from './midranks.js';

// Percentile bootstrap interval of the AUC, optionally stratified by class (Efron & Tibshirani 1993; Carpenter & Bithell 2000).
export function bootstrapAucCi(
  scores: CaseControlScores,
  options: { bootN: number; confLevel: number; stratified: boolean; seed: number },
): [number, number] {
  const { cases, controls } = scores;
  const m = cases.length;
  const n = controls.length;
  if (m === 0 || n === 0) return [NaN, NaN];
  if (!(Number.isInteger(options.bootN) && options.bootN >= 10)) throw new RangeError(`bootN must be an integer ≥ 10 (got ${options.bootN})`);
  const random = createRandom(options.seed);
  const replicateCases = new Float64Array(m + n);
  const replicateControls = new Float64Array(m + n);
  const aucs: number[] = [];
  for (let r = 0; r < options.bootN; r += 1) {
    let mc = 0;
    let nc = 0;
    if (options.stratified) {
      for (let i = 0; i < m; i += 1) replicateCases[mc++] = cases[random.integer(m)] as number;
      for (let j = 0; j < n; j += 1) replicateControls[nc++] = controls[random.integer(n)] as number;
    } else {
      for (let k = 0; k < m + n; k += 1) {
        const pick = random.integer(m + n);
        if (pick < m) replicateCases[mc++] = cases[pick] as number;
        else replicateControls[nc++] = controls[pick - m] as number;
      }
      if (mc === 0 || nc === 0) continue; // a replicate without both classes has no AUC
    }
    const sortedControls = replicateControls.slice(0, nc).sort();
    let sum = 0;
    for (let i = 0; i < mc; i += 1) {
      const s = replicateCases[i] as number;
      sum += (lowerBound(sortedControls, s) + upperBound(sortedControls, s)) / 2;
    }
    aucs.push(sum / (mc * nc));
  }
  aucs.sort((x, y) => x - y);
  const alpha = 1 - options.confLevel;
  return [quantileType7(aucs, alpha / 2), quantileType7(aucs, 1 - alpha / 2)];
}

/** Sample quantile by linear interpolation between order statistics (Hyndman & Fan 1996, type 7; R's default). */
export function quantileType7(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}
