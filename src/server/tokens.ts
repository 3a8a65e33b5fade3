import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DrfdsError } from '../errors/DrfdsError.js';
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
 * enough (unlike passwords).
 */
export class TokenStore {
  constructor(private readonly db: SqliteDatabase) {
    applyMigrations(db, 'server', SERVER_MIGRATIONS);
  }

  create(name: string): string {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
      throw new DrfdsError('token/bad-name', `token name "${name}" must be 1–64 letters, digits, dots, dashes or underscores`);
    }
    const existing = this.db.prepare('SELECT revoked_at FROM server_tokens WHERE name = ?').get(name) as { revoked_at: number | null } | undefined;
    if (existing !== undefined && existing.revoked_at === null) {
      throw new DrfdsError('token/exists', `a token named "${name}" already exists; revoke it first (drfds token revoke --name ${name}) or choose another name`);
    }
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM server_tokens WHERE name = ?').run(name);
      this.db.prepare('INSERT INTO server_tokens (name, token_sha256, created_at) VALUES (?, ?, ?)').run(name, hashToken(token), Date.now());
    }).immediate();
    return token;
  }

  revoke(name: string): boolean {
    return this.db.prepare('UPDATE server_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL').run(Date.now(), name).changes > 0;
  }

  /** The name of the live token, or undefined for an unknown or revoked one. */
  verify(token: string): string | undefined {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const digest = hashToken(token);
    const row = this.db.prepare('SELECT name, token_sha256 FROM server_tokens WHERE token_sha256 = ? AND revoked_at IS NULL').get(digest) as { name: string; token_sha256: string } | undefined;
    if (row === undefined || !timingSafeEqual(Buffer.from(row.token_sha256), Buffer.from(digest))) return undefined;
    this.db.prepare('UPDATE server_tokens SET last_used_at = ? WHERE name = ?').run(Date.now(), row.name);
    return row.name;
  }

  list(): TokenInfo[] {
    return (this.db.prepare('SELECT name, created_at, revoked_at, last_used_at FROM server_tokens ORDER BY name').all() as Array<{ name: string; created_at: number; revoked_at: number | null; last_used_at: number | null }>)
      .map((r) => ({ name: r.name, createdAt: r.created_at, revokedAt: r.revoked_at, lastUsedAt: r.last_used_at }));
  }
}
