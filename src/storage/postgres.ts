import pg from 'pg';
import type { Migration } from './sqlite.js';

export type PostgresPool = pg.Pool;

/**
 * Opens a PostgreSQL connection pool from a connection string (`postgres://user:pass@host:5432/db`), for deployments
 * where several service processes or machines share one database. SQLite stays the embedded default.
 */
export function openPostgres(connectionString: string, options: { max?: number } = {}): PostgresPool {
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10 });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `work` in one transaction on one pooled client; rolls back if it throws. */
export async function inTransaction<T>(pool: PostgresPool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * The PostgreSQL twin of `applyMigrations`: each module's migrations once, in order, one transaction each. An advisory
 * lock serialises concurrent start-ups of several processes on one database.
 */
export async function applyPostgresMigrations(pool: PostgresPool, namespace: string, migrations: readonly Migration[]): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(727311)');
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (namespace TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (namespace, version))');
    const applied = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations WHERE namespace = $1', [namespace])).rows.map((row) => row.version),
    );
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (namespace, version, applied_at) VALUES ($1, $2, $3)', [namespace, migration.version, new Date().toISOString()]);
    }
  });
}
