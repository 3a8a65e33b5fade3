import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuthStore } from '../auth/index.js';
import { openSqlite } from '../storage/sqlite.js';
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
    const db = openSqlite(join(dir, 'drfds.sqlite'));
    const auth = new AuthStore(db);
    assert.equal(auth.findUser('chief')?.role, 'admin');
    assert.equal(auth.findUser('weak'), undefined);
    assert.equal((await auth.login('chief', 'a-long-admin-password')).user.username, 'chief');
    db.close();
  } finally {
    if (saved === undefined) delete process.env.DRFDS_PASSWORD;
    else process.env.DRFDS_PASSWORD = saved;
    process.exitCode = undefined;
    rmSync(dir, { recursive: true, force: true });
  }
});
