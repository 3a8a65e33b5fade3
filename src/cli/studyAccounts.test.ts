import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuthStore } from '../auth/index.js';
import { openSqlDatabase } from '../storage/sqlDatabase.js';
import { hasPostgres, startTestPostgres } from '../storage/testing/postgresServer.js';
import { main } from './main.js';

test('drfds study add-user creates an account in the data folder\'s database; list runs; a weak password is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-users-'));
  const saved = process.env.DRFDS_PASSWORD;
  try {
    process.env.DRFDS_PASSWORD = 'a-long-admin-password';
    assert.equal(await main(['study', 'add-user', 'chief', '--role', 'admin', '--data-dir', dir]), 0);
    process.env.DRFDS_PASSWORD = 'short';
    assert.equal(await main(['study', 'add-user', 'weak', '--data-dir', dir]), 1);
    assert.equal(await main(['study', 'list', '--data-dir', dir]), 0);
    const db = openSqlDatabase(join(dir, 'drfds.sqlite'));
    const auth = new AuthStore(db);
    assert.equal((await auth.findUser('chief'))?.role, 'admin');
    assert.equal(await auth.findUser('weak'), undefined);
    assert.equal((await auth.login('chief', 'a-long-admin-password')).user.username, 'chief');
    await db.close();
  } finally {
    if (saved === undefined) delete process.env.DRFDS_PASSWORD;
    else process.env.DRFDS_PASSWORD = saved;
    process.exitCode = undefined;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('drfds study --database postgres://… and DRFDS_DATABASE_URL select PostgreSQL', { skip: hasPostgres() ? false : 'PostgreSQL is not installed' }, async () => {
  const server = await startTestPostgres();
  const saved = { password: process.env.DRFDS_PASSWORD, url: process.env.DRFDS_DATABASE_URL };
  const dir = mkdtempSync(join(tmpdir(), 'drfds-users-'));
  try {
    process.env.DRFDS_PASSWORD = 'a-long-admin-password';
    assert.equal(await main(['study', 'add-user', 'chief', '--role', 'admin', '--database', server.connectionString]), 0);
    process.env.DRFDS_DATABASE_URL = server.connectionString;
    process.env.DRFDS_PASSWORD = 'a-long-reader-password';
    assert.equal(await main(['study', 'add-user', 'reader1', '--group', 'resident']), 0);
    assert.equal(await main(['study', 'add-user', 'chief']), 1, 'the name is taken in the PostgreSQL database');
    assert.equal(await main(['study', 'list']), 0);
    // --data-dir's SQLite file stays untouched; an explicit --db wins over the environment.
    assert.equal(await main(['study', 'add-user', 'local', '--db', join(dir, 'drfds.sqlite')]), 0);
    const db = openSqlDatabase(server.connectionString);
    try {
      const auth = new AuthStore(db);
      assert.deepEqual((await auth.listUsers()).map((u) => [u.username, u.role, u.group]), [['chief', 'admin', null], ['reader1', 'reader', 'resident']]);
      assert.equal((await auth.login('reader1', 'a-long-reader-password')).user.username, 'reader1');
    } finally {
      await db.close();
    }
    const local = openSqlDatabase(join(dir, 'drfds.sqlite'));
    assert.deepEqual((await new AuthStore(local).listUsers()).map((u) => u.username), ['local']);
    await local.close();
    assert.equal(await main(['study', 'list', '--database', 'mysql://nowhere/db']), 1, 'an unsupported scheme is refused');
  } finally {
    for (const [key, value] of [['DRFDS_PASSWORD', saved.password], ['DRFDS_DATABASE_URL', saved.url]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    process.exitCode = undefined;
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
