import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations, openSqlite } from './sqlite.js';

test('migrations apply once per namespace and survive reopening', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'drfds-db-')), 'drfds.sqlite');
  const migrations = [
    { version: 1, sql: 'CREATE TABLE demo_items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)' },
    { version: 2, sql: 'ALTER TABLE demo_items ADD COLUMN size INTEGER' },
  ];
  const first = openSqlite(path);
  applyMigrations(first, 'demo', migrations);
  first.prepare('INSERT INTO demo_items (name, size) VALUES (?, ?)').run('a', 1);
  first.close();
  const second = openSqlite(path);
  applyMigrations(second, 'demo', migrations); // a second run must not re-create or fail
  assert.equal((second.prepare('SELECT count(*) AS n FROM demo_items').get() as { n: number }).n, 1);
  assert.equal((second.pragma('journal_mode', { simple: true }) as string).toLowerCase(), 'wal');
  second.close();
});

test('a failing migration leaves no trace', () => {
  const db = openSqlite(':memory:');
  assert.throws(() => applyMigrations(db, 'bad', [{ version: 1, sql: 'CREATE TABLE bad_t (id INTEGER); NOT SQL' }]));
  const row = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'bad_t'").get() as { n: number };
  assert.equal(row.n, 0);
  assert.equal((db.prepare("SELECT count(*) AS n FROM schema_migrations WHERE namespace = 'bad'").get() as { n: number }).n, 0);
});
