import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type SqliteDatabase = Database.Database;

/**
 * Opens the service's embedded database. WAL lets several processes share one file (readers never block the
 * writer); `synchronous = FULL` makes a committed transaction durable before we acknowledge anything to a client.
 */
export function openSqlite(path: string): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  return db;
}

export interface Migration {
  /** Increasing integers within one namespace. */
  readonly version: number;
  readonly sql: string;
}

/**
 * Applies each module's schema migrations once, in order, inside one transaction per migration. Modules share one
 * database file but own their tables (prefix them with the namespace: `queue_`, `auth_`, `study_`).
 */
export function applyMigrations(db: SqliteDatabase, namespace: string, migrations: readonly Migration[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (namespace TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (namespace, version))');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations WHERE namespace = ?').all(namespace) as Array<{ version: number }>).map((row) => row.version),
  );
  const record = db.prepare('INSERT INTO schema_migrations (namespace, version, applied_at) VALUES (?, ?, ?)');
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(namespace, migration.version, new Date().toISOString());
    })();
  }
}
