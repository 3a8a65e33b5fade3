import type { Command } from 'commander';
import { DrfdsError } from '../errors/DrfdsError.js';
import { defaultConfig, loadConfigFile, mergeConfig, type ServeConfig } from '../server/config.js';
import { DrfdsService } from '../server/DrfdsService.js';
import { redactUrl } from '../server/stores.js';
import { registerToken } from './token.js';

interface ServeFlags {
  port?: string;
  host?: string;
  dataDir?: string;
  config?: string;
  model?: string;
  dicomPort?: string;
  aeTitle?: string;
  workers?: string;
  dicom?: boolean;
  database?: string;
}

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new DrfdsError('cli/bad-option', `${flag} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

/** Embedded defaults ← --config FILE ← flags. */
export function serveConfigFromFlags(flags: ServeFlags): ServeConfig {
  let config = defaultConfig(flags.dataDir ?? 'drfds-data');
  if (flags.config !== undefined) config = loadConfigFile(flags.config, config);
  const port = integer(flags.port, '--port');
  const dicomPort = integer(flags.dicomPort, '--dicom-port');
  const workers = integer(flags.workers, '--workers');
  return mergeConfig(config, {
    ...(flags.dataDir === undefined ? {} : { dataDir: flags.dataDir }),
    ...(flags.model === undefined ? {} : { model: flags.model }),
    ...(flags.database === undefined ? {} : { database: flags.database }),
    http: { ...(port === undefined ? {} : { port }), ...(flags.host === undefined ? {} : { host: flags.host }) },
    dicom: {
      ...(dicomPort === undefined ? {} : { port: dicomPort }),
      ...(flags.aeTitle === undefined ? {} : { aeTitle: flags.aeTitle }),
      ...(flags.dicom === false ? { enabled: false } : {}),
    },
    workers: workers === undefined ? {} : { count: workers },
  }, 'command line');
}

/** Registers `drfds serve` and its companion `drfds token create|revoke|list`. */
export function registerServe(program: Command): void {
  registerToken(program);
  program
    .command('serve')
    .description('run DR-FDS as a hospital DICOM node: HTTP API, DICOMweb STOW-RS, C-STORE listener, durable queue, worker pool, results back to the PACS, triage worklist (docs/service.md)')
    .option('--port <n>', 'HTTP port (default 8080)')
    .option('--host <addr>', 'HTTP interface (default 127.0.0.1; put an HTTPS reverse proxy in front, see docs/service.md)')
    .option('--data-dir <dir>', 'where images, results and the database live (default ./drfds-data)')
    .option('--config <file>', 'JSON configuration (docs/service.md lists every setting)')
    .option('--database <url>', 'PostgreSQL for the queue, outbox, tokens and audit log, shared by several service processes (postgres://user:password@host:5432/db; default: drfds.sqlite in the data directory)')
    .option('--model <dir>', 'model package (default models/drfds-hip)')
    .option('--dicom-port <n>', 'C-STORE listener port (default 11112)')
    .option('--ae-title <aet>', 'AE title of the listener (default DRFDS)')
    .option('--no-dicom', 'do not start the C-STORE listener')
    .option('--workers <n>', 'inference worker threads')
    .action(async (flags: ServeFlags) => {
      const config = serveConfigFromFlags(flags);
      const service = await DrfdsService.start(config);
      console.log(`drfds: serving on http://${config.http.host}:${service.httpPort}/ (worklist at /worklist/), DICOM ${config.dicom.enabled ? `AE ${config.dicom.aeTitle} on port ${service.scp?.port}` : 'listener off'}, data in ${config.dataDir}, queue in ${config.database === undefined ? 'SQLite' : redactUrl(config.database)}`);
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string): void => {
          service.logger.info('service.signal', { signal });
          service.stop().then(resolve, resolve);
        };
        process.once('SIGINT', () => shutdown('SIGINT'));
        process.once('SIGTERM', () => shutdown('SIGTERM'));
      });
    });
}
