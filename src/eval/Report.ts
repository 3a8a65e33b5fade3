/**
 * The evaluation report (report.json). Keys are stable; docs/evaluation-report.md documents every one.
 * Numbers that are undefined for the data (an AUC without cases, a PPV with no positive calls) are null.
 */

export interface ProportionReport {
  estimate: number | null;
  /** Exact Clopper–Pearson interval (null when total is 0). */
  ci95: [number, number] | null;
  count: number;
  total: number;
}

export interface AucReport {
  estimate: number;
  /** DeLong's interval; null when there is a single case or a single control. */
  ci95: [number, number] | null;
  method: 'delong';
  variance: number | null;
  /** Stratified percentile bootstrap interval, present when asked for. */
  bootstrap?: { ci95: [number, number]; bootN: number; stratified: boolean; seed: number };
}

export interface PerImageReport {
  n: number;
  positives: number;
  negatives: number;
  threshold: number;
  /** null when the images are all of one class. */
  auc: AucReport | null;
  sensitivity: ProportionReport;
  specificity: ProportionReport;
  accuracy: ProportionReport;
  ppv: ProportionReport;
  npv: ProportionReport;
  confusion: { tp: number; fp: number; tn: number; fn: number };
}

export interface RocReport {
  /** Descending; the first point is the threshold +∞ (written null): nothing called positive. */
  thresholds: Array<number | null>;
  sensitivities: number[];
  specificities: number[];
}

export interface OperatingPoint {
  threshold: number;
  sensitivity: number;
  specificity: number;
  youdenIndex: number;
}

export interface OperatingPointsReport {
  given: OperatingPoint;
  youden: OperatingPoint | null;
  targetSensitivity?: (OperatingPoint & { target: number }) | null;
}

export interface FrocPoint {
  threshold: number;
  sensitivity: number;
  fpPerImage: number;
}

export interface FrocReport {
  points: FrocPoint[];
  /** Sensitivity at each standard rate of false positives per image, and their mean (the CPM). */
  summary: { fpPerImage: number[]; sensitivity: number[]; mean: number };
}

export interface PerBoxReport {
  referenceBoxes: number;
  predictedBoxes: number;
  iouThreshold: number;
  recall: ProportionReport;
  precision: ProportionReport;
  froc: FrocReport;
}

export interface CalibrationBin {
  lower: number;
  upper: number;
  count: number;
  meanScore: number | null;
  observedRate: number | null;
}

export interface CalibrationReport {
  bins: CalibrationBin[];
  brierScore: number;
  expectedCalibrationError: number;
}

export interface SubgroupReport {
  perImage: PerImageReport;
}

export interface SubgroupTestsReport {
  sensitivity: TestReport | null;
  specificity: TestReport | null;
}

export interface ModelReport {
  name: string;
  source: string;
  perImage: PerImageReport;
  perBox: PerBoxReport;
  roc: RocReport;
  operatingPoints: OperatingPointsReport;
  calibration: CalibrationReport;
  /** FIELD → VALUE → metrics on the images with that value. */
  subgroups: Record<string, Record<string, SubgroupReport>>;
  /** FIELD → tests of whether sensitivity / specificity differ between the field's values. */
  subgroupTests: Record<string, SubgroupTestsReport>;
}

export interface TestReport {
  statistic: number | null;
  p: number | null;
  method: string;
}

export interface ComparisonReport {
  models: [string, string];
  aucDelong: { difference: number; ci95: [number, number] | null; z: number | null; p: number | null; method: string } | null;
  sensitivityMcNemar: TestReport & { discordant: { firstOnly: number; secondOnly: number } };
  specificityMcNemar: TestReport & { discordant: { firstOnly: number; secondOnly: number } };
  /** The study's unpaired comparisons of proportions (Fisher's exact and χ² with Yates' correction). */
  sensitivityFisher: TestReport;
  specificityFisher: TestReport;
  sensitivityChiSquare: TestReport | null;
  specificityChiSquare: TestReport | null;
}

export interface CohortRow {
  field: string;
  /** binary: count and % with value 1/true; continuous: mean (SD); categorical: one row per value. */
  kind: 'binary' | 'continuous' | 'categorical';
  value?: string;
  all: CohortCell;
  fracture: CohortCell;
  normal: CohortCell;
}

export interface CohortCell {
  n: number;
  count?: number;
  percent?: number | null;
  mean?: number | null;
  sd?: number | null;
  missing: number;
}

export interface CohortReport {
  n: number;
  fracture: number;
  normal: number;
  referenceBoxes: number;
  rows: CohortRow[];
}

export interface EvaluationReport {
  schemaVersion: 1;
  tool: { name: 'drfds'; version: string };
  generatedAt: string;
  truth: { source: string; images: number; referenceBoxes: number };
  threshold: number;
  iouThreshold: number;
  confLevel: number;
  models: ModelReport[];
  comparisons: ComparisonReport[];
  cohort: CohortReport;
}
