import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DrfdsError } from '../errors/DrfdsError.js';
import { inTransaction, type PostgresPool } from '../storage/postgres.js';
import { applyMigrations, type SqliteDatabase } from '../storage/sqlite.js';
import { SERVER_MIGRATIONS } from './serverMigrations.js';

/** Prefix of every DR-FDS API token, so a leaked one is recognisable in a secret scanner. */
export const TOKEN_PREFIX = 'drfds_';

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export interface TokenInfo {
  readonly name: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
  readonly lastUsedAt: number | null;
}

/**
 * API tokens for machines (a PACS, a modality router, a script). Only the SHA-256 of a token is stored: the token
 * itself is shown once, at creation. 32 random bytes make a brute-force search hopeless, so an unsalted hash is
 * enough (unlike passwords). One table in the service's database (SQLite or PostgreSQL), so every process of a
 * multi-process deployment accepts the same tokens.
 */
export interface TokenStore {
  /** A new token for `name` (printed once); refused while a live token of that name exists. */
  create(name: string): Promise<string>;
  revoke(name: string): Promise<boolean>;
  /** The name of the live token, or undefined for an unknown or revoked one. */
  verify(token: string): Promise<string | undefined>;
  list(): Promise<TokenInfo[]>;
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
    throw new DrfdsError('token/bad-name', `token name "${name}" must be 1–64 letters, digits, dots, dashes or underscores`);
  }
}

const tokenExists = (name: string): DrfdsError =>
  new DrfdsError('token/exists', `a token named "${name}" already exists; revoke it first (drfds token revoke --name ${name}) or choose another name`);

const newToken = (): string => `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;

const sameDigest = (stored: string, digest: string): boolean => stored.length === digest.length && timingSafeEqual(Buffer.from(stored), Buffer.from(digest));

export class SqliteTokenStore implements TokenStore {
  constructor(private readonly db: SqliteDatabase) {
    applyMigrations(db, 'server', SERVER_MIGRATIONS);
  }

  async create(name: string): Promise<string> {
    checkName(name);
    const existing = this.db.prepare('SELECT revoked_at FROM server_tokens WHERE name = ?').get(name) as { revoked_at: number | null } | undefined;
    if (existing !== undefined && existing.revoked_at === null) {
      throw tokenExists(name);
    }
    const token = newToken();
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM server_tokens WHERE name = ?').run(name);
      this.db.prepare('INSERT INTO server_tokens (name, token_sha256, created_at) VALUES (?, ?, ?)').run(name, hashToken(token), Date.now());
    }).immediate();
    return token;
  }

  async revoke(name: string): Promise<boolean> {
    return this.db.prepare('UPDATE server_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL').run(Date.now(), name).changes > 0;
  }

  async verify(token: string): Promise<string | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const digest = hashToken(token);
    const row = this.db.prepare('SELECT name, token_sha256 FROM server_tokens WHERE token_sha256 = ? AND revoked_at IS NULL').get(digest) as { name: string; token_sha256: string } | undefined;
    if (row === undefined || !sameDigest(row.token_sha256, digest)) return undefined;
    this.db.prepare('UPDATE server_tokens SET last_used_at = ? WHERE name = ?').run(Date.now(), row.name);
    return row.name;
  }

  async list(): Promise<TokenInfo[]> {
    return (this.db.prepare('SELECT name, created_at, revoked_at, last_used_at FROM server_tokens ORDER BY name').all() as Array<{ name: string; created_at: number; revoked_at: number | null; last_used_at: number | null }>)
      .map((r) => ({ name: r.name, createdAt: r.created_at, revokedAt: r.revoked_at, lastUsedAt: r.last_used_at }));
  }
}

/** The same table in PostgreSQL (`POSTGRES_SERVER_MIGRATIONS`). */
export class PostgresTokenStore implements TokenStore {
  constructor(private readonly pool: PostgresPool) {}

  async create(name: string): Promise<string> {
    checkName(name);
    const token = newToken();
    await inTransaction(this.pool, async (client) => {
      // Serialises two concurrent creates of one name (the row may not exist yet, so lock the name itself).
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`server_tokens:${name}`]);
      const existing = await client.query<{ revoked_at: string | null }>('SELECT revoked_at FROM server_tokens WHERE name = $1', [name]);
      if (existing.rows[0] !== undefined && existing.rows[0].revoked_at === null) throw tokenExists(name);
      await client.query('DELETE FROM server_tokens WHERE name = $1', [name]);
      await client.query('INSERT INTO server_tokens (name, token_sha256, created_at) VALUES ($1, $2, $3)', [name, hashToken(token), Date.now()]);
    });
    return token;
  }

  async revoke(name: string): Promise<boolean> {
    return ((await this.pool.query('UPDATE server_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL', [Date.now(), name])).rowCount ?? 0) > 0;
  }

  async verify(token: string): Promise<string | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const digest = hashToken(token);
    const { rows } = await this.pool.query<{ name: string; token_sha256: string }>('SELECT name, token_sha256 FROM server_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL', [digest]);
    const row = rows[0];
    if (row === undefined || !sameDigest(row.token_sha256, digest)) return undefined;
    await this.pool.query('UPDATE server_tokens SET last_used_at = $1 WHERE name = $2', [Date.now(), row.name]);
    return row.name;
  }

  async list(): Promise<TokenInfo[]> {
    const { rows } = await this.pool.query<{ name: string; created_at: string; revoked_at: string | null; last_used_at: string | null }>(
      'SELECT name, created_at, revoked_at, last_used_at FROM server_tokens ORDER BY name',
    );
    const n = (v: string | null): number | null => (v === null ? null : Number(v));
    return rows.map((r) => ({ name: r.name, createdAt: Number(r.created_at), revokedAt: n(r.revoked_at), lastUsedAt: n(r.last_used_at) }));
  }
}
