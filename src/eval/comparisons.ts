import type { GroundTruth, ModelPredictions } from './coco.js';
import { chiSquareTest } from './stats/chiSquareTest.js';
import { delongPaired } from './stats/delong.js';
import { fisherExact } from './stats/fisherExact.js';
import { mcnemarExact } from './stats/mcnemar.js';
import type { StatisticalTest } from './stats/StatisticalTest.js';
import type { ComparisonReport, TestReport } from './Report.js';

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function testReport(t: StatisticalTest): TestReport {
  return { statistic: finite(t.statistic), p: finite(t.pValue), method: t.method };
}

/** Fisher's exact test of two proportions counted on separate groups ([[successes, failures] per group]). */
function fisherOfProportions(a: [number, number], b: [number, number]): TestReport {
  return testReport(fisherExact([[a[0], a[1]], [b[0], b[1]]]));
}

function chiSquareOfProportions(a: [number, number], b: [number, number]): TestReport | null {
  const table = [[a[0], a[1]], [b[0], b[1]]];
  const rows = table.map((r) => r[0]! + r[1]!);
  const cols = [a[0] + b[0], a[1] + b[1]];
  if ([...rows, ...cols].some((v) => v === 0)) return null; // an empty margin: χ² undefined
  return testReport(chiSquareTest(table));
}

/** Every statistic that compares two models on the same truth, at the same threshold. */
export function compareModels(truth: GroundTruth, first: ModelPredictions, second: ModelPredictions, threshold: number): ComparisonReport {
  const caseIndex: number[] = [];
  const controlIndex: number[] = [];
  truth.isFracture.forEach((f, i) => (f ? caseIndex : controlIndex).push(i));
  const pick = (scores: Float64Array, idx: number[]): Float64Array => Float64Array.from(idx, (i) => scores[i] as number);

  let aucDelong: ComparisonReport['aucDelong'] = null;
  if (caseIndex.length > 0 && controlIndex.length > 0) {
    const t = delongPaired(
      { cases: pick(first.imageScores, caseIndex), controls: pick(first.imageScores, controlIndex) },
      { cases: pick(second.imageScores, caseIndex), controls: pick(second.imageScores, controlIndex) },
    );
    const ci = t.ci && Number.isFinite(t.ci[0]) && Number.isFinite(t.ci[1]) ? t.ci : null;
    aucDelong = { difference: t.difference, ci95: ci, z: finite(t.statistic), p: finite(t.pValue), method: t.method };
  }
  // McNemar: sensitivity pairs on the fracture images, specificity pairs (called negative) on the normal ones.
  let sensB = 0;
  let sensC = 0;
  let tpA = 0;
  let tpB = 0;
  for (const i of caseIndex) {
    const a = (first.imageScores[i] as number) >= threshold;
    const b = (second.imageScores[i] as number) >= threshold;
    if (a) tpA += 1;
    if (b) tpB += 1;
    if (a && !b) sensB += 1;
    if (!a && b) sensC += 1;
  }
  let specB = 0;
  let specC = 0;
  let tnA = 0;
  let tnB = 0;
  for (const i of controlIndex) {
    const a = (first.imageScores[i] as number) < threshold;
    const b = (second.imageScores[i] as number) < threshold;
    if (a) tnA += 1;
    if (b) tnB += 1;
    if (a && !b) specB += 1;
    if (!a && b) specC += 1;
  }
  const sensitivity = mcnemarExact(sensB, sensC);
  const specificity = mcnemarExact(specB, specC);
  const m = caseIndex.length;
  const n = controlIndex.length;
  return {
    models: [first.name, second.name],
    aucDelong,
    sensitivityMcNemar: { ...testReport(sensitivity), discordant: sensitivity.discordant },
    specificityMcNemar: { ...testReport(specificity), discordant: specificity.discordant },
    sensitivityFisher: fisherOfProportions([tpA, m - tpA], [tpB, m - tpB]),
    specificityFisher: fisherOfProportions([tnA, n - tnA], [tnB, n - tnB]),
    sensitivityChiSquare: chiSquareOfProportions([tpA, m - tpA], [tpB, m - tpB]),
    specificityChiSquare: chiSquareOfProportions([tnA, n - tnA], [tnB, n - tnB]),
  };
}

/**
 * Whether a proportion differs between the values of a subgroup field: Fisher's exact test for two values,
 * Pearson's χ² for more (null when fewer than two values have any images).
 */
export function proportionHeterogeneity(groups: Array<[number, number]>): TestReport | null {
  const present = groups.filter(([s, f]) => s + f > 0);
  if (present.length < 2) return null;
  if (present.length === 2) return fisherOfProportions(present[0] as [number, number], present[1] as [number, number]);
  const columnTotals = [present.reduce((a, g) => a + g[0], 0), present.reduce((a, g) => a + g[1], 0)];
  if (columnTotals.some((v) => v === 0)) return null;
  return testReport(chiSquareTest(present.map(([s, f]) => [s, f])));
}
