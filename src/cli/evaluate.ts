import type { Command } from 'commander';
import { DrfdsError, isDrfdsError } from '../errors/DrfdsError.js';
import { evaluate, loadPredictions, loadTruth } from '../eval/evaluate.js';
import { writeReport } from '../eval/writeReport.js';
import { percent } from '../eval/reportDocument.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function unitNumber(text: string, option: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new DrfdsError('EVAL_BAD_OPTION', `${option} must be a number between 0 and 1 (got "${text}")`);
  }
  return value;
}

function positiveInteger(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new DrfdsError('EVAL_BAD_OPTION', `${option} must be a positive integer (got "${text}")`);
  return value;
}

interface EvaluateCliOptions {
  truth: string;
  predictions: string[];
  name: string[];
  threshold: string;
  iou: string;
  by: string[];
  targetSensitivity?: string;
  bootstrap?: string;
  seed: string;
  out: string;
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description("validate detectors on a test set the way the study did: per-image and per-box metrics with exact CIs, DeLong AUCs, FROC, comparisons, subgroups, calibration")
    .requiredOption('--truth <coco.json>', 'COCO detection JSON of the test set (category "fracture"; an image without annotation is fracture-free)')
    .requiredOption('--predictions <results.json>', 'COCO results JSON of one model [{image_id, category_id, bbox, score}]; repeat for more models', collect, [])
    .option('--name <name>', "model name for the --predictions at the same position (default: the file name without extension); repeatable", collect, [])
    .option('--threshold <score>', 'score at or above which an image / box counts as positive', '0.4')
    .option('--iou <iou>', 'IoU at which a predicted box matches a reference box', '0.5')
    .option('--by <field>', 'image field of the truth to break every per-image metric down by (e.g. hip, hardware, site); repeatable', collect, [])
    .option('--target-sensitivity <sensitivity>', 'also report the strictest threshold reaching this sensitivity')
    .option('--bootstrap <replicates>', "add a stratified percentile bootstrap CI of each AUC with this many replicates (DeLong's CI is always given)")
    .option('--seed <seed>', 'seed of the bootstrap', '1')
    .requiredOption('--out <dir>', 'folder for report.json, report.html, report.md and the SVG figures')
    .action(async (options: EvaluateCliOptions) => {
      try {
        const threshold = unitNumber(options.threshold, '--threshold');
        const iouThreshold = unitNumber(options.iou, '--iou');
        const targetSensitivity = options.targetSensitivity === undefined ? undefined : unitNumber(options.targetSensitivity, '--target-sensitivity');
        if (options.name.length > options.predictions.length) {
          throw new DrfdsError('EVAL_BAD_OPTION', `${options.name.length} --name for ${options.predictions.length} --predictions; give at most one name per predictions file`);
        }
        const seed = Number(options.seed);
        if (!Number.isInteger(seed)) throw new DrfdsError('EVAL_BAD_OPTION', `--seed must be an integer (got "${options.seed}")`);
        const truth = loadTruth(options.truth);
        const models = options.predictions.map((path, i) => loadPredictions(path, truth, options.name[i]));
        const report = evaluate(truth, models, {
          threshold,
          iouThreshold,
          by: options.by,
          ...(targetSensitivity !== undefined ? { targetSensitivity } : {}),
          ...(options.bootstrap !== undefined ? { bootstrap: { bootN: positiveInteger(options.bootstrap, '--bootstrap'), seed, stratified: true } } : {}),
        });
        const files = await writeReport(report, options.out);
        for (const m of report.models) {
          const auc = m.perImage.auc;
          const aucText = auc === null ? 'AUC —' : `AUC ${auc.estimate.toFixed(4)}${auc.ci95 ? ` (${auc.ci95[0].toFixed(4)}–${auc.ci95[1].toFixed(4)})` : ''}`;
          console.log(`${m.name}: ${aucText}; sensitivity ${percent(m.perImage.sensitivity)}; specificity ${percent(m.perImage.specificity)}; box recall ${percent(m.perBox.recall)}`);
        }
        console.log(`wrote ${files.join(', ')}`);
      } catch (error) {
        if (!isDrfdsError(error)) throw error;
        console.error(`drfds evaluate: ${error.message}`);
        process.exitCode = 1;
      }
    });
}
