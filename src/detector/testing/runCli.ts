// Test entry point: runs the CLI from the TypeScript sources (the compiled bin/drfds.js does the same from dist/).
import { main } from '../../cli/main.js';

process.exitCode = await main(process.argv.slice(2));
