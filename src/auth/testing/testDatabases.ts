import { after, before } from 'node:test';
import { openPostgres, type PostgresPool } from '../../storage/postgres.js';
import { openSqlDatabase, type SqlDatabase } from '../../storage/sqlDatabase.js';
import { hasPostgres, startTestPostgres, type TestPostgres } from '../../storage/testing/postgresServer.js';

export type Backend = 'sqlite' | 'postgres';
export const backends: readonly Backend[] = ['sqlite', 'postgres'];

export interface TestDatabases {
  /** Why the PostgreSQL variant is skipped (PostgreSQL not installed), else false. */
  skip(backend: Backend): string | false;
  /**
   * A fresh, empty database of that backend: SQLite in a file when `sqlitePath` is given (else in memory),
   * PostgreSQL a new database on this file's test server. Closed in `after`.
   */
  open(backend: Backend, sqlitePath?: string): Promise<SqlDatabase>;
  /** The target string for `open` again (file path or connection string) of the last database opened. */
  lastTarget(): string;
}

/**
 * Registers `before`/`after` hooks of a test file: one throwaway PostgreSQL server per file (about a second), one
 * new database on it per test. Call at the top level of the test file.
 */
export function useTestDatabases(): TestDatabases {
  const postgresAvailable = hasPostgres();
  let server: TestPostgres | undefined;
  let admin: PostgresPool | undefined;
  let counter = 0;
  let target = '';
  const opened: SqlDatabase[] = [];
  before(async () => {
    if (!postgresAvailable) return;
    server = await startTestPostgres();
    admin = openPostgres(server.connectionString, { max: 1 });
  });
  after(async () => {
    for (const db of opened) await db.close().catch(() => undefined);
    await admin?.end();
    server?.stop();
  });
  return {
    skip: (backend) => (backend === 'postgres' && !postgresAvailable ? 'PostgreSQL is not installed (apt-get install postgresql)' : false),
    async open(backend, sqlitePath) {
      if (backend === 'sqlite') {
        target = sqlitePath ?? ':memory:';
      } else {
        if (!server || !admin) throw new Error('the test PostgreSQL server is not running');
        counter += 1;
        const name = `drfds_test_${counter}`;
        await admin.query(`CREATE DATABASE ${name}`);
        target = server.connectionString.replace(/\/postgres$/, `/${name}`);
      }
      const db = openSqlDatabase(target);
      opened.push(db);
      return db;
    },
    lastTarget: () => target,
  };
}

/** Opens a database again by target (a restart), closed with the others in `after` when registered. */
export function reopen(target: string): SqlDatabase {
  return openSqlDatabase(target);
}
