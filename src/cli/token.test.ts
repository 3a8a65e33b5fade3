import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repositoryRoot } from './packageVersion.js';
import { databasePath } from '../server/DrfdsService.js';
import { SqliteTokenStore, hashToken } from '../server/tokens.js';
import { openSqlite } from '../storage/sqlite.js';
import { tempDataDir } from '../server/testing/testService.js';
import { serveConfigFromFlags } from './serve.js';

const run = promisify(execFile);
const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', join(repositoryRoot(), 'src', 'cli', 'run.ts'), ...args], { timeout: 60_000 });

test('drfds token create prints a token whose hash alone is stored; revoke ends it', async () => {
  const data = tempDataDir('drfds-token-');
  try {
    const { stdout } = await cli(['token', 'create', '--data-dir', data.dir, '--name', 'pacs-router']);
    const token = stdout.trim();
    assert.match(token, /^drfds_[A-Za-z0-9_-]{43}$/);
    const db = openSqlite(databasePath(data.dir));
    const row = db.prepare('SELECT token_sha256 FROM server_tokens WHERE name = ?').get('pacs-router') as { token_sha256: string };
    assert.equal(row.token_sha256, hashToken(token));
    assert.equal((db.prepare('SELECT count(*) AS n FROM server_tokens WHERE token_sha256 = ?').get(token) as { n: number }).n, 0, 'the token itself is not stored');
    assert.equal(await new SqliteTokenStore(db).verify(token), 'pacs-router');
    await assert.rejects(cli(['token', 'create', '--data-dir', data.dir, '--name', 'pacs-router']), /already exists/);
    await cli(['token', 'revoke', '--data-dir', data.dir, '--name', 'pacs-router']);
    assert.equal(await new SqliteTokenStore(db).verify(token), undefined);
    await assert.rejects(cli(['token', 'revoke', '--data-dir', data.dir, '--name', 'pacs-router']), /no live token/);
    db.close();
  } finally {
    data.remove();
  }
});

test('drfds serve settings: defaults, then the config file, then flags; bad settings are named', () => {
  const data = tempDataDir('drfds-cfg-');
  try {
    const config = serveConfigFromFlags({ dataDir: data.dir, port: '9090', aeTitle: 'ED_NODE', workers: '2' });
    assert.equal(config.http.port, 9090);
    assert.equal(config.dicom.aeTitle, 'ED_NODE');
    assert.equal(config.workers.count, 2);
    assert.equal(config.dicom.port, 11112);
    assert.throws(() => serveConfigFromFlags({ dataDir: data.dir, port: 'eighty' }), /--port must be a non-negative integer/);
    assert.throws(() => serveConfigFromFlags({ dataDir: data.dir, aeTitle: 'A_TITLE_FAR_TOO_LONG' }), /dicom.aeTitle .* 1–16/);
    assert.equal(config.database, undefined, 'SQLite in the data directory by default');
    const configPath = join(data.dir, 'serve.json');
    writeFileSync(configPath, JSON.stringify({ database: 'postgres://from-file/db' }));
    assert.equal(serveConfigFromFlags({ dataDir: data.dir, config: configPath }).database, 'postgres://from-file/db');
    assert.equal(serveConfigFromFlags({ dataDir: data.dir, config: configPath, database: 'postgres://from-flag/db' }).database, 'postgres://from-flag/db');
    assert.throws(() => serveConfigFromFlags({ dataDir: data.dir, database: 'db.example:5432' }), /must be a PostgreSQL connection string/);
  } finally {
    data.remove();
  }
});
