import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DrfdsError } from '../errors/DrfdsError.js';
import { defaultConfig, loadConfigFile, mergeConfig } from '../server/config.js';
import { openServiceStores, redactUrl } from '../server/stores.js';
import type { TokenStore } from '../server/tokens.js';

interface StoreFlags {
  dataDir?: string;
  database?: string;
  config?: string;
}

/** The token table of the deployment: --database URL, else the config file's "database", else the data directory's SQLite file. */
async function withStore<T>(flags: StoreFlags, use: (store: TokenStore) => Promise<T>): Promise<T> {
  let config = defaultConfig(flags.dataDir ?? 'drfds-data');
  if (flags.config !== undefined) config = loadConfigFile(flags.config, config);
  config = mergeConfig(config, { ...(flags.dataDir === undefined ? {} : { dataDir: flags.dataDir }), ...(flags.database === undefined ? {} : { database: flags.database }) }, 'command line');
  if (config.database === undefined && flags.dataDir === undefined && flags.config === undefined) {
    throw new DrfdsError('cli/bad-option', 'name the service: --data-dir DIR (its SQLite database), --database postgres://… or --config FILE');
  }
  const stores = await openServiceStores({ dataDir: resolve(config.dataDir), database: config.database, poolSize: 2 });
  try {
    return await use(stores.tokens);
  } catch (error) {
    if (config.database !== undefined && !(error instanceof DrfdsError)) {
      throw new DrfdsError('token/database', `token store at ${redactUrl(config.database)}: ${error instanceof Error ? error.message : String(error)}`);
    }
    throw error;
  } finally {
    await stores.close();
  }
}

const where = (flags: StoreFlags): string => (flags.database !== undefined ? redactUrl(flags.database) : flags.dataDir ?? flags.config ?? '');

function storeOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'the data directory of the service (its SQLite database, the default)')
    .option('--database <url>', 'the PostgreSQL database of the service (postgres://user:password@host:5432/db)')
    .option('--config <file>', 'the JSON configuration of the service (its "dataDir" and "database")');
}

export function registerToken(program: Command): void {
  const token = program.command('token').description('API tokens for machines (PACS, routers, scripts) calling drfds serve');
  storeOptions(token
    .command('create')
    .description('create a token and print it on stdout (it is shown once; only its hash is stored)'))
    .requiredOption('--name <name>', 'what the token is for, e.g. pacs-router (letters, digits, . _ -)')
    .action(async (options: StoreFlags & { name: string }) => {
      const value = await withStore(options, (store) => store.create(options.name));
      process.stdout.write(`${value}\n`);
    });
  storeOptions(token
    .command('revoke')
    .description('revoke a token: requests carrying it are refused from now on'))
    .requiredOption('--name <name>', 'the token name')
    .action(async (options: StoreFlags & { name: string }) => {
      const revoked = await withStore(options, (store) => store.revoke(options.name));
      if (!revoked) throw new DrfdsError('token/unknown', `no live token named "${options.name}" in ${where(options)}`);
      console.error(`drfds: token "${options.name}" revoked`);
    });
  storeOptions(token
    .command('list')
    .description('list token names with creation, last use and revocation times (never the tokens)'))
    .action(async (options: StoreFlags) => {
      const iso = (t: number | null): string => (t === null ? '-' : new Date(t).toISOString());
      for (const t of await withStore(options, (store) => store.list())) {
        console.log(`${t.name}\tcreated ${iso(t.createdAt)}\tlast used ${iso(t.lastUsedAt)}\t${t.revokedAt === null ? 'live' : `revoked ${iso(t.revokedAt)}`}`);
      }
    });
}
