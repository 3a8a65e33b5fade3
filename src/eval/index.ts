/** Evaluation of fracture detectors: the library API the CLI, the trainer docs and the reader study reuse. */
export { evaluate, loadTruth, loadPredictions, groupBy, MISSING_VALUE, type EvaluateOptions } from './evaluate.js';
export { writeReport, reportJson } from './writeReport.js';
export { parseTruth, parsePredictions, readJsonFile, type GroundTruth, type ModelPredictions, type CocoBox, type ScoredBox, type TruthImage } from './coco.js';
export { iou, matchImage } from './boxMatching.js';
export { perImageMetrics, proportionReport } from './perImage.js';
export { perBoxMetrics, froc, FROC_RATES } from './perBox.js';
export { calibration } from './calibration.js';
export { operatingPoints, pointAtThreshold } from './operatingPoints.js';
export { compareModels, proportionHeterogeneity } from './comparisons.js';
export { cohortTable } from './cohort.js';
export { renderSvg, renderCharts, rocSpec, frocSpec, calibrationSpec } from './charts.js';
export type * from './Report.js';

export { roc, auc, ciAuc, rocTest, aucOf, type Roc, type AucInterval, type CiAucOptions } from './stats/roc.js';
export { delongAuc, delongPaired, delongUnpaired, delongPlacements, type CaseControlScores, type DelongAuc, type DelongPairedTest } from './stats/delong.js';
export { bootstrapAucCi, quantileType7 } from './stats/bootstrap.js';
export { clopperPearson, wilson, ciProportion, type ProportionEstimate } from './stats/proportion.js';
export { binomialTest } from './stats/binomialTest.js';
export { mcnemarExact, mcnemarPaired, type McNemarResult } from './stats/mcnemar.js';
export { fisherExact, type Table2x2 } from './stats/fisherExact.js';
export { chiSquareTest } from './stats/chiSquareTest.js';
export { midranks } from './stats/midranks.js';
export { createRandom, type RandomSource } from './stats/random.js';
export type { StatisticalTest, Alternative } from './stats/StatisticalTest.js';
export * as distributions from './stats/distributions.js';
