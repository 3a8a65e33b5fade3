import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DrfdsError } from '../errors/DrfdsError.js';
import { databasePath } from '../server/DrfdsService.js';
import { TokenStore } from '../server/tokens.js';
import { openSqlite } from '../storage/sqlite.js';

function withStore<T>(dataDir: string, use: (store: TokenStore) => T): T {
  const db = openSqlite(databasePath(resolve(dataDir)));
  try {
    return use(new TokenStore(db));
  } finally {
    db.close();
  }
}

export function registerToken(program: Command): void {
  const token = program.command('token').description('API tokens for machines (PACS, routers, scripts) calling drfds serve');
  token
    .command('create')
    .description('create a token and print it on stdout (it is shown once; only its hash is stored)')
    .requiredOption('--data-dir <dir>', 'the data directory of the service')
    .requiredOption('--name <name>', 'what the token is for, e.g. pacs-router (letters, digits, . _ -)')
    .action((options: { dataDir: string; name: string }) => {
      const value = withStore(options.dataDir, (store) => store.create(options.name));
      process.stdout.write(`${value}\n`);
    });
  token
    .command('revoke')
    .description('revoke a token: requests carrying it are refused from now on')
    .requiredOption('--data-dir <dir>', 'the data directory of the service')
    .requiredOption('--name <name>', 'the token name')
    .action((options: { dataDir: string; name: string }) => {
      const revoked = withStore(options.dataDir, (store) => store.revoke(options.name));
      if (!revoked) throw new DrfdsError('token/unknown', `no live token named "${options.name}" in ${options.dataDir}`);
      console.error(`drfds: token "${options.name}" revoked`);
    });
  token
    .command('list')
    .description('list token names with creation, last use and revocation times (never the tokens)')
    .requiredOption('--data-dir <dir>', 'the data directory of the service')
    .action((options: { dataDir: string }) => {
      const iso = (t: number | null): string => (t === null ? '-' : new Date(t).toISOString());
      for (const t of withStore(options.dataDir, (store) => store.list())) {
        console.log(`${t.name}\tcreated ${iso(t.createdAt)}\tlast used ${iso(t.lastUsedAt)}\t${t.revokedAt === null ? 'live' : `revoked ${iso(t.revokedAt)}`}`);
      }
    });
}
