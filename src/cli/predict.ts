import { Command } from 'commander';
import { defaultModelDir } from '../detector/defaultModel.js';
import { untrainedWarning } from '../detector/Detector.js';
import { journalPath, predictDataset, type PredictProgress } from '../detector/predictDataset.js';
import { describeThrown } from '../errors/DrfdsError.js';
import { parsePositiveInt } from './detect.js';

interface PredictCommandOptions {
  readonly dataset: string;
  readonly images: string;
  readonly out: string;
  readonly model: string;
  readonly workers: number;
  readonly threads?: number;
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** A progress bar on stderr: redrawn in place on a terminal, one line every 10 % otherwise (logs, CI). */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): (p: PredictProgress) => void {
  let lastDecile = -1;
  return (p) => {
    const fraction = p.total === 0 ? 1 : p.done / p.total;
    const doneThisRun = p.done - p.resumed;
    const rate = doneThisRun / Math.max(p.elapsedMs / 1000, 1e-3);
    const eta = rate > 0 ? ((p.total - p.done) / rate) * 1000 : 0;
    const width = 30;
    const filled = Math.round(fraction * width);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.done}/${p.total} ${rate.toFixed(1)} img/s ETA ${formatDuration(eta)}${p.failed ? ` (${p.failed} failed)` : ''}`;
    if (stream.isTTY) {
      stream.write(`\r${line}`);
      if (p.done === p.total) stream.write('\n');
    } else {
      const decile = Math.floor(fraction * 10);
      if (decile !== lastDecile) {
        lastDecile = decile;
        stream.write(`drfds predict: ${line}\n`);
      }
    }
  };
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('batch inference over a COCO data set, writing COCO detection results (resumable)')
    .requiredOption('--dataset <coco.json>', 'COCO detection JSON naming the images (file_name relative to --images)')
    .requiredOption('--images <dir>', 'folder holding the images')
    .requiredOption('--out <results.json>', 'where to write the COCO results')
    .option('-m, --model <dir>', 'model package folder', defaultModelDir())
    .option('--workers <n>', 'worker threads, each with its own onnxruntime session', parsePositiveInt, 2)
    .option('--threads <n>', 'onnxruntime intra-op threads per worker (default: cores / workers)', parsePositiveInt)
    .addHelpText(
      'after',
      `
Results: [{"image_id", "category_id", "bbox": [x, y, width, height], "score"}] in the pixels of each image as
stored, every box the model keeps (score ≥ the package's scoreThreshold, after NMS), for drfds evaluate.
Resuming: each finished image is appended to <results.json>.journal.jsonl; run the same command again after an
interruption and it skips the images already done. The journal is removed when the results file is written.
Exit status: 0 all images done; 1 some images failed (one line each; rerun to retry them); 2 the model or data set
cannot be used.`,
    )
    .action(async (options: PredictCommandOptions) => {
      try {
        const progress = progressReporter();
        let warned = false;
        const summary = await predictDataset({
          datasetPath: options.dataset,
          imagesDir: options.images,
          outPath: options.out,
          modelDir: options.model,
          workers: options.workers,
          ...(options.threads !== undefined ? { threadsPerWorker: options.threads } : {}),
          onProgress: (p) => {
            if (!warned && p.resumed > 0) {
              warned = true;
              process.stderr.write(`drfds predict: resuming from ${journalPath(options.out)}: ${p.resumed} of ${p.total} images already done\n`);
            }
            progress(p);
          },
          onImageError: (message) => process.stderr.write(`\ndrfds: ${message}\n`),
        });
        if (!summary.model.trained) process.stderr.write(`drfds: warning: ${untrainedWarning(summary.model)}\n`);
        if (summary.complete) {
          process.stderr.write(`drfds predict: ${summary.results} boxes on ${summary.images} images → ${options.out} (${summary.imagesPerSecond.toFixed(2)} img/s)\n`);
          process.exitCode = 0;
        } else {
          process.stderr.write(`drfds predict: ${summary.failed} images failed; their results are missing. Rerun the same command to retry them (done images are kept in ${journalPath(options.out)}).\n`);
          process.exitCode = 1;
        }
      } catch (error) {
        process.stderr.write(`drfds: ${describeThrown(error)}\n`);
        process.exitCode = 2;
      }
    });
}
