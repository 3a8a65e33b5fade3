import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPostgresMigrations, inTransaction, openPostgres, type PostgresPool } from './postgres.js';
import { startTestPostgres, type TestPostgres } from './testing/postgresServer.js';

let server: TestPostgres;
let pool: PostgresPool;

before(async () => {
  server = await startTestPostgres();
  pool = openPostgres(server.connectionString);
});

after(async () => {
  await pool?.end();
  server?.stop();
});

test('PostgreSQL migrations apply once per namespace, also when two start-ups race', async () => {
  const migrations = [
    { version: 1, sql: 'CREATE TABLE demo_items (id SERIAL PRIMARY KEY, name TEXT NOT NULL)' },
    { version: 2, sql: 'ALTER TABLE demo_items ADD COLUMN size INTEGER' },
  ];
  await Promise.all([applyPostgresMigrations(pool, 'demo', migrations), applyPostgresMigrations(pool, 'demo', migrations)]);
  await pool.query('INSERT INTO demo_items (name, size) VALUES ($1, $2)', ['a', 1]);
  const versions = await pool.query<{ version: number }>("SELECT version FROM schema_migrations WHERE namespace = 'demo' ORDER BY version");
  assert.deepEqual(versions.rows.map((r) => r.version), [1, 2]);
});

test('a failing transaction leaves nothing behind', async () => {
  await pool.query('CREATE TABLE IF NOT EXISTS demo_tx (id INTEGER PRIMARY KEY)');
  await assert.rejects(inTransaction(pool, async (client) => {
    await client.query('INSERT INTO demo_tx (id) VALUES (1)');
    await client.query('INSERT INTO demo_tx (id) VALUES (1)'); // duplicate key
  }));
  assert.equal((await pool.query('SELECT count(*)::int AS n FROM demo_tx')).rows[0].n, 0);
});
