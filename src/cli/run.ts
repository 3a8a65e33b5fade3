// Runs the CLI from source (`node --import tsx src/cli/run.ts ...`): what the tests use, without a build step.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
