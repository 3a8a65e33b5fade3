import { Command, CommanderError } from 'commander';
import { isDrfdsError } from '../errors/DrfdsError.js';
import { packageVersion } from './packageVersion.js';
import { registerDetect } from './detect.js';
import { registerPredict } from './predict.js';
import { registerDemo } from './demo.js';
import { registerEvaluate } from './evaluate.js';
import { registerStudy } from './study.js';
import { registerDicom } from './dicom.js';
import { registerDataset } from './dataset.js';
import { registerServe } from './serve.js';

/** One `register…` per subcommand file; each adds its command to the program. */
const registrations: Array<(program: Command) => void> = [
  registerDetect,
  registerPredict,
  registerDemo,
  registerEvaluate,
  registerStudy,
  registerDicom,
  registerDataset,
  registerServe,
];

export function buildProgram(): Command {
  const program = new Command('drfds')
    .description('DR-FDS: femoral neck and hip fracture detection on frontal pelvic radiographs')
    .version(packageVersion())
    .showHelpAfterError()
    .exitOverride();
  for (const register of registrations) register(program);
  return program;
}

/** Runs the CLI; resolves to the process exit status. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (isDrfdsError(error)) {
      console.error(`drfds: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
