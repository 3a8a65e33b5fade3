import { basename, extname } from 'node:path';
import { DrfdsError } from '../errors/DrfdsError.js';
import { packageVersion } from '../cli/packageVersion.js';
import { calibration } from './calibration.js';
import { parsePredictions, parseTruth, readJsonFile, type GroundTruth, type ModelPredictions } from './coco.js';
import { cohortTable } from './cohort.js';
import { compareModels, proportionHeterogeneity } from './comparisons.js';
import { operatingPoints } from './operatingPoints.js';
import { perBoxMetrics } from './perBox.js';
import { perImageMetrics, rocReport, type BootstrapOptions } from './perImage.js';
import type { EvaluationReport, ModelReport, SubgroupReport, SubgroupTestsReport } from './Report.js';

export interface EvaluateOptions {
  /** Image and box score threshold; default 0.4 (the study's operating point). */
  threshold?: number;
  /** IoU at which a predicted box matches a reference box; default 0.5. */
  iouThreshold?: number;
  /** Image fields of the truth to repeat the per-image metrics for, per value. */
  by?: string[];
  /** Also report the strictest threshold whose sensitivity reaches this. */
  targetSensitivity?: number;
  /** Add a percentile bootstrap CI of every model's AUC. */
  bootstrap?: BootstrapOptions;
  /** Fixes `generatedAt` (tests, reproducible reports). */
  now?: Date;
}

export const MISSING_VALUE = '(missing)';

export function loadTruth(path: string): GroundTruth {
  return parseTruth(readJsonFile(path, 'truth'), path);
}

/** Model name default: the predictions file name without its extension. */
export function loadPredictions(path: string, truth: GroundTruth, name?: string): ModelPredictions {
  return parsePredictions(readJsonFile(path, 'predictions'), truth, path, name ?? basename(path, extname(path)));
}

function checkUnit(value: number, what: string, open = false): void {
  if (!(typeof value === 'number' && value >= 0 && value <= 1) || (open && (value === 0 || value === 1))) {
    throw new DrfdsError('EVAL_BAD_OPTION', `${what} must be a number in [0, 1] (got ${String(value)})`);
  }
}

/** Evaluates each model's predictions against the truth: the whole report, pure (no files written). */
export function evaluate(truth: GroundTruth, models: ModelPredictions[], options: EvaluateOptions = {}): EvaluationReport {
  const threshold = options.threshold ?? 0.4;
  const iouThreshold = options.iouThreshold ?? 0.5;
  checkUnit(threshold, 'the score threshold');
  checkUnit(iouThreshold, 'the IoU threshold');
  if (!(iouThreshold > 0)) throw new DrfdsError('EVAL_BAD_OPTION', 'the IoU threshold must be above 0');
  if (options.targetSensitivity !== undefined) checkUnit(options.targetSensitivity, 'the target sensitivity');
  if (models.length === 0) throw new DrfdsError('EVAL_NO_MODELS', 'give at least one predictions file to evaluate');
  const names = new Set<string>();
  for (const model of models) {
    if (names.has(model.name)) {
      throw new DrfdsError('EVAL_DUPLICATE_MODEL', `two predictions files are both named "${model.name}" (${model.source}); name them apart (e.g. --name)`);
    }
    names.add(model.name);
  }
  const by = options.by ?? [];
  for (const field of by) {
    if (!truth.images.some((image) => image.fields[field] !== undefined)) {
      const available = [...new Set(truth.images.flatMap((image) => Object.keys(image.fields)))].filter((k) => k !== 'id' && k !== 'file_name');
      throw new DrfdsError('EVAL_UNKNOWN_FIELD', `no image of ${truth.source} has the field "${field}" to group by; fields present: ${available.join(', ') || 'none'}`);
    }
  }
  const modelReports: ModelReport[] = models.map((model) => {
    const { report: perImage, curve } = perImageMetrics(model.imageScores, truth.isFracture, threshold, options.bootstrap ? { bootstrap: options.bootstrap } : {});
    const subgroups: ModelReport['subgroups'] = {};
    const subgroupTests: ModelReport['subgroupTests'] = {};
    for (const field of by) {
      const groups = groupBy(truth, field);
      const byValue: Record<string, SubgroupReport> = {};
      const sens: Array<[number, number]> = [];
      const spec: Array<[number, number]> = [];
      for (const [value, indices] of groups) {
        const scores = Float64Array.from(indices, (i) => model.imageScores[i] as number);
        const isFracture = indices.map((i) => truth.isFracture[i] as boolean);
        const sub = perImageMetrics(scores, isFracture, threshold).report;
        byValue[value] = { perImage: sub };
        sens.push([sub.confusion.tp, sub.confusion.fn]);
        spec.push([sub.confusion.tn, sub.confusion.fp]);
      }
      subgroups[field] = byValue;
      const tests: SubgroupTestsReport = { sensitivity: proportionHeterogeneity(sens), specificity: proportionHeterogeneity(spec) };
      subgroupTests[field] = tests;
    }
    return {
      name: model.name,
      source: model.source,
      perImage,
      perBox: perBoxMetrics(truth, model, threshold, iouThreshold),
      roc: curve ? rocReport(curve) : { thresholds: [], sensitivities: [], specificities: [] },
      operatingPoints: curve
        ? operatingPoints(curve, threshold, options.targetSensitivity)
        : { given: { threshold, sensitivity: perImage.sensitivity.estimate ?? NaN, specificity: perImage.specificity.estimate ?? NaN, youdenIndex: NaN }, youden: null },
      calibration: calibration(model.imageScores, truth.isFracture),
      subgroups,
      subgroupTests,
    };
  });
  const comparisons = [];
  for (let a = 0; a < models.length; a += 1) {
    for (let b = a + 1; b < models.length; b += 1) comparisons.push(compareModels(truth, models[a] as ModelPredictions, models[b] as ModelPredictions, threshold));
  }
  return {
    schemaVersion: 1,
    tool: { name: 'drfds', version: packageVersion() },
    generatedAt: (options.now ?? new Date()).toISOString(),
    truth: { source: truth.source, images: truth.images.length, referenceBoxes: truth.boxesByImage.reduce((n, b) => n + b.length, 0) },
    threshold,
    iouThreshold,
    confLevel: 0.95,
    models: modelReports,
    comparisons,
    cohort: cohortTable(truth),
  };
}

/** Image indices by the string value of a field (booleans and numbers as written; absent → "(missing)"), sorted. */
export function groupBy(truth: GroundTruth, field: string): Array<[string, number[]]> {
  const groups = new Map<string, number[]>();
  truth.images.forEach((image, i) => {
    const raw = image.fields[field];
    const key = raw === undefined || raw === null || raw === '' ? MISSING_VALUE : typeof raw === 'object' ? JSON.stringify(raw) : String(raw);
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  });
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
}
