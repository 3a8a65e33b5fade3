import type { Command } from 'commander';
import { DrfdsError, describeThrown } from '../errors/DrfdsError.js';
import { buildDataset } from '../dataset/buildDataset.js';

function fail(error: unknown): void {
  console.error(`drfds: ${error instanceof DrfdsError ? error.message : describeThrown(error)}`);
  process.exitCode = 1;
}

/** `drfds dataset build --dicom DIR --annotations FILE --out DIR [--max-side N] [--force]` (docs/dataset-format.md). */
export function registerDataset(program: Command): void {
  const dataset = program.command('dataset').description('build and manage datasets in the DR-FDS format (COCO + images)');

  dataset
    .command('build')
    .description("turn a hospital's DICOM radiographs and reference boxes (COCO or CSV) into a DR-FDS dataset")
    .requiredOption('--dicom <dir>', 'folder of DICOM radiographs; annotation paths are relative to it')
    .requiredOption('--annotations <file>', 'COCO JSON (file_name = DICOM path or SOP Instance UID) or CSV (file|uid,x,y,width,height[,subgroup])')
    .requiredOption('--out <dir>', 'output folder: images/*.png, annotations.coco.json, build-report.json')
    .option('--max-side <pixels>', 'downscale images whose longer side exceeds this (boxes follow); default: keep the stored size')
    .option('--force', 'replace an existing dataset in --out')
    .option('--quiet', 'no progress lines')
    .action(async (options: { dicom: string; annotations: string; out: string; maxSide?: string; force?: boolean; quiet?: boolean }) => {
      try {
        let maxSide: number | undefined;
        if (options.maxSide !== undefined) {
          maxSide = Number(options.maxSide);
          if (!Number.isInteger(maxSide)) throw new DrfdsError('cli/invalid-option', `--max-side must be a whole number of pixels, got "${options.maxSide}"`);
        }
        const report = await buildDataset({
          dicomDir: options.dicom,
          annotationsPath: options.annotations,
          outDir: options.out,
          ...(maxSide === undefined ? {} : { maxSide }),
          overwrite: options.force === true,
          ...(options.quiet ? {} : { onImage: (done: number, total: number, file: string) => console.error(`drfds: [${done + 1}/${total}] ${file}`) }),
        });
        for (const { file, warning } of report.warnings) console.error(`drfds: warning: ${file}: ${warning}`);
        process.stdout.write(
          `${JSON.stringify({ outDir: report.outDir, images: report.images, fractureImages: report.fractureImages, boxes: report.boxes, resizedImages: report.resizedImages, warnings: report.warnings.length, elapsedMs: report.elapsedMs })}\n`,
        );
      } catch (error) {
        fail(error);
      }
    });
}
