import type { Command } from 'commander';
import sharp from 'sharp';
import { DrfdsError, describeThrown } from '../errors/DrfdsError.js';
import type { WindowChoice } from '../dicom/index.js';

/** Loaded on first use: importing src/dicom instantiates the WASM codecs (≈ 200 ms), which other commands need not pay. */
const dicomReader = async () => import('../dicom/index.js');

/** `--window file|minmax|C,W` → WindowChoice; C and W are numbers (write `--window=-600,1500` for a negative C). */
export function parseWindowOption(text: string): WindowChoice {
  const value = text.trim().toLowerCase();
  if (value === 'file') return { kind: 'file' };
  if (value === 'minmax') return { kind: 'minmax' };
  const match = /^([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*,\s*([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)$/.exec(value);
  if (match === null) {
    throw new DrfdsError('cli/invalid-option', `--window must be file, minmax or CENTER,WIDTH (e.g. 511,1024), got "${text}"`);
  }
  const center = Number(match[1]);
  const width = Number(match[2]);
  if (!(width >= 1)) throw new DrfdsError('cli/invalid-option', `--window width must be at least 1, got ${width}`);
  return { kind: 'linear', center, width };
}

/** Where the command writes; the process's streams unless a test passes its own. */
export interface CliOutput {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const PROCESS_OUTPUT: CliOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** `drfds dicom info FILE` and `drfds dicom render FILE --out OUT.png [--window …]` (docs/dicom.md). */
export function registerDicom(program: Command, output: CliOutput = PROCESS_OUTPUT): void {
  const fail = (error: unknown): void => {
    const message = error instanceof DrfdsError ? error.message : describeThrown(error);
    output.stderr(`drfds: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = 1;
  };
  const dicom = program.command('dicom').description('read DICOM radiographs: header metadata and the rendered image');

  dicom
    .command('info')
    .description('print the radiograph metadata (and header warnings) as JSON; pixels are not decoded')
    .argument('<file>', 'DICOM file (Part 10 or raw data set)')
    .action(async (file: string) => {
      try {
        const { readRadiographMetadataFile } = await dicomReader();
        const { metadata, warnings } = await readRadiographMetadataFile(file);
        output.stdout(`${JSON.stringify({ metadata, warnings }, null, 2)}\n`);
      } catch (error) {
        fail(error);
      }
    });

  dicom
    .command('render')
    .description('render the radiograph through the PS3.3 C.11 pipeline to an 8-bit grayscale PNG')
    .argument('<file>', 'DICOM file (Part 10 or raw data set)')
    .requiredOption('--out <png>', 'output PNG path')
    .option('--window <mode>', 'file (first window or VOI LUT of the file), minmax, or CENTER,WIDTH', 'file')
    .action(async (file: string, options: { out: string; window: string }) => {
      try {
        const window = parseWindowOption(options.window);
        const { readRadiographFile } = await dicomReader();
        const radiograph = await readRadiographFile(file, { window });
        const { width, height, data } = radiograph.display;
        await sharp(data, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toFile(options.out);
        for (const warning of radiograph.warnings) output.stderr(`drfds: warning: ${warning}\n`);
      } catch (error) {
        fail(error);
      }
    });
}
