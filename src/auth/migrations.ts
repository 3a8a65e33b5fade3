import type { Migration } from '../storage/sqlite.js';

/** Schema of the `auth` namespace. Tokens are stored hashed (sha256) so a leaked database does not leak sessions. */
export const authMigrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE auth_users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'reader')),
        reader_group TEXT,
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
      );
      CREATE TABLE auth_sessions (
        token_sha256 TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX auth_sessions_user ON auth_sessions(user_id);
      CREATE TABLE auth_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor_user_id INTEGER,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
      );
    `,
  },
];

/** The same schema for PostgreSQL: user names unique case-insensitively through an index on lower(username). */
export const authPostgresMigrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE auth_users (
        id SERIAL PRIMARY KEY,
        username TEXT NOT NULL,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'reader')),
        reader_group TEXT,
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX auth_users_username ON auth_users (lower(username));
      CREATE TABLE auth_sessions (
        token_sha256 TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX auth_sessions_user ON auth_sessions(user_id);
      CREATE TABLE auth_audit (
        id SERIAL PRIMARY KEY,
        at TEXT NOT NULL,
        actor_user_id INTEGER,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
      );
    `,
  },
];
