import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { collectInputs, outputNames } from '../detector/collectInputs.js';
import { defaultModelDir } from '../detector/defaultModel.js';
import type { DetectionResult } from '../detector/DetectionResult.js';
import { createDetector, untrainedWarning, type Detector } from '../detector/Detector.js';
import { detectFiles } from '../detector/detectFile.js';
import { writeDetectionOutputs } from '../detector/writeDetectionOutputs.js';
import { describeThrown } from '../errors/DrfdsError.js';

/** Exit statuses of `drfds detect` (docs/cli.md). */
export const DETECT_EXIT = { ok: 0, someFilesFailed: 1, modelUnusable: 2 } as const;

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export interface DetectCommandOptions {
  readonly model: string;
  readonly out?: string;
  readonly threads: number;
}

/** Loads the model for a command, printing one line and returning undefined when it cannot be used. */
export async function openDetectorOrReport(modelDir: string, threads: number): Promise<Detector | undefined> {
  try {
    const detector = await createDetector(modelDir, { intraOpNumThreads: threads });
    if (!detector.model.trained) process.stderr.write(`drfds: warning: ${untrainedWarning(detector.model)}\n`);
    return detector;
  } catch (error) {
    process.stderr.write(`drfds: ${describeThrown(error)}\n`);
    return undefined;
  }
}

/** Runs detection on the given files and folders; returns the exit status. */
export async function runDetect(paths: readonly string[], options: DetectCommandOptions): Promise<number> {
  const { files, errors } = collectInputs(paths);
  for (const error of errors) process.stderr.write(`drfds: ${error.message}\n`);
  if (files.length === 0) {
    process.stderr.write('drfds: no input files (DICOM, JPEG or PNG) found\n');
    return DETECT_EXIT.someFilesFailed;
  }
  const detector = await openDetectorOrReport(options.model, options.threads);
  if (detector === undefined) return DETECT_EXIT.modelUnusable;
  const names = outputNames(files);
  const results: DetectionResult[] = [];
  let failed = errors.length;
  try {
    let index = 0;
    for await (const outcome of detectFiles(detector, files)) {
      const name = names[index]!;
      index += 1;
      const { file } = outcome;
      try {
        if ('error' in outcome) throw outcome.error;
        const { detection } = outcome;
        if (options.out !== undefined) {
          const written = await writeDetectionOutputs(options.out, name, detection);
          process.stderr.write(`drfds: ${file}: ${detection.result.decision} (p = ${detection.result.probability.toFixed(3)}, ${detection.result.findings.length} boxes) → ${written.json}\n`);
        } else {
          results.push(detection.result);
        }
      } catch (error) {
        failed += 1;
        const message = describeThrown(error);
        process.stderr.write(`drfds: ${message.includes(file) ? message : `${file}: ${message}`}\n`);
      }
    }
  } finally {
    await detector.release();
  }
  if (options.out === undefined) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  return failed > 0 ? DETECT_EXIT.someFilesFailed : DETECT_EXIT.ok;
}

export function registerDetect(program: Command): void {
  program
    .command('detect')
    .description('detect hip fractures on radiographs (DICOM, JPEG or PNG files, or folders of them)')
    .argument('<paths...>', 'image files or folders (searched recursively for .dcm/.jpg/.jpeg/.png and extensionless files)')
    .option('-m, --model <dir>', 'model package folder', defaultModelDir())
    .option('-o, --out <dir>', 'write <name>.json and <name>.overlay.png per image (+ <name>.sr.dcm and <name>.gsps.dcm for DICOM) instead of JSON on stdout')
    .option('--threads <n>', 'onnxruntime intra-op threads', parsePositiveInt, availableParallelism())
    .addHelpText(
      'after',
      `
Output: a JSON array of results on stdout (schema: docs/detect-output.md), or files in --out.
Each result has the image-level probability (the highest box score) and decision at the model's two operating
points ("fracture" ≥ high specificity, "doubt" ≥ high sensitivity, else "no fracture"), and the boxes in original
pixels (and mm when the DICOM pixel spacing is known).
Exit status: 0 all files done; 1 some file could not be read (one line each on stderr, the others are still
processed); 2 the model package is missing, damaged or altered.

Examples:
  drfds detect scan.dcm
  drfds detect --out results/ incoming/`,
    )
    .action(async (paths: string[], options: DetectCommandOptions) => {
      process.exitCode = await runDetect(paths, options);
    });
}
