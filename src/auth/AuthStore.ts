import { createHash, randomBytes } from 'node:crypto';
import { DrfdsError } from '../errors/DrfdsError.js';
import { MigratedStore, isUniqueViolation, type SqlDatabase, type SqlQueries, type SqlSteps, type SqlWork, type StoreDatabase } from '../storage/sqlDatabase.js';
import { authMigrations, authPostgresMigrations } from './migrations.js';
import { hashPassword, verifyPassword, type ScryptParameters } from './password.js';

export type Role = 'admin' | 'reader';

/** A user as the rest of DR-FDS sees it (never the password hash). */
export interface AuthUser {
  readonly id: number;
  readonly username: string;
  readonly displayName: string;
  readonly role: Role;
  /** Reader group for analysis, e.g. `resident` or `attending`; null for admins without one. */
  readonly group: string | null;
  readonly disabled: boolean;
}

export interface NewUser {
  readonly username: string;
  readonly password: string;
  readonly role: Role;
  readonly displayName?: string;
  readonly group?: string | null;
}

export interface LoginResult {
  /** The bearer secret for the cookie; only its sha256 is stored. */
  readonly token: string;
  readonly user: AuthUser;
  readonly issuedAt: string;
  readonly expiresAt: string;
}

export interface AuthStoreOptions {
  /** Session lifetime; 12 hours by default (one working day). */
  readonly sessionTtlMs?: number;
  readonly scrypt?: ScryptParameters;
  readonly now?: () => Date;
}

interface UserRow {
  id: number;
  username: string;
  display_name: string;
  role: Role;
  reader_group: string | null;
  password_hash: string;
  disabled: number;
}

const usernamePattern = /^[A-Za-z0-9._@-]{1,64}$/;
export const minimumPasswordLength = 8;

function toUser(row: UserRow): AuthUser {
  return { id: row.id, username: row.username, displayName: row.display_name, role: row.role, group: row.reader_group, disabled: row.disabled !== 0 };
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Users, passwords and sessions in the `auth_` tables of the service's database (SQLite or PostgreSQL). Every method
 * is async; a change and its audit entry commit in one transaction before the promise resolves.
 */
export class AuthStore extends MigratedStore {
  private readonly ttlMs: number;
  private readonly scryptParameters: ScryptParameters | undefined;
  private readonly now: () => Date;

  /** Accepts the async database or a raw better-sqlite3 connection; the schema migrates before the first query. */
  constructor(db: StoreDatabase, options: AuthStoreOptions = {}) {
    super(db, 'auth', { sqlite: authMigrations, postgres: authPostgresMigrations });
    this.ttlMs = options.sessionTtlMs ?? 12 * 3600 * 1000;
    this.scryptParameters = options.scrypt;
    this.now = options.now ?? (() => new Date());
  }

  async createUser(user: NewUser, actorUserId: number | null = null): Promise<AuthUser> {
    if (!usernamePattern.test(user.username)) {
      throw new DrfdsError('auth/bad-username', `user name "${user.username}" must be 1–64 letters, digits or . _ @ -`, { httpStatus: 400 });
    }
    if (user.role !== 'admin' && user.role !== 'reader') {
      throw new DrfdsError('auth/bad-role', `role must be "admin" or "reader", got "${String(user.role)}"`, { httpStatus: 400 });
    }
    checkPassword(user.password);
    const exists = (): DrfdsError => new DrfdsError('auth/user-exists', `a user named "${user.username}" already exists`, { httpStatus: 409 });
    if (await this.findUser(user.username)) throw exists();
    const hash = await hashPassword(user.password, this.scryptParameters);
    const db = await this.q();
    try {
      const at = this.now().toISOString();
      const id = await db.transaction(function* (tx) {
        const row = yield* tx.get<{ id: number }>('INSERT INTO auth_users (username, display_name, role, reader_group, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
          [user.username, user.displayName ?? user.username, user.role, user.group ?? null, hash, at]);
        const newId = Number(row?.id);
        yield* auditEntry(tx, at, actorUserId, 'user.create', { id: newId, username: user.username, role: user.role, group: user.group ?? null });
        return newId;
      });
      return (await this.getUser(id)) as AuthUser;
    } catch (error) {
      if (isUniqueViolation(error)) throw exists(); // a concurrent creation of the same name
      throw error;
    }
  }

  async getUser(id: number): Promise<AuthUser | undefined> {
    const row = await (await this.q()).get<UserRow>('SELECT * FROM auth_users WHERE id = ?', [id]);
    return row ? toUser(row) : undefined;
  }

  /** By user name, case-insensitively (names are unique regardless of case). */
  async findUser(username: string): Promise<AuthUser | undefined> {
    const row = await this.userRow(username);
    return row ? toUser(row) : undefined;
  }

  private async userRow(username: string): Promise<UserRow | undefined> {
    return (await this.q()).get<UserRow>('SELECT * FROM auth_users WHERE lower(username) = lower(?)', [username]);
  }

  async listUsers(): Promise<AuthUser[]> {
    return (await (await this.q()).all<UserRow>('SELECT * FROM auth_users ORDER BY id')).map(toUser);
  }

  async setPassword(userId: number, password: string, actorUserId: number | null = null): Promise<void> {
    checkPassword(password);
    const hash = await hashPassword(password, this.scryptParameters);
    const at = this.now().toISOString();
    await (await this.q()).transaction(function* (tx) {
      const info = yield* tx.run('UPDATE auth_users SET password_hash = ? WHERE id = ?', [hash, userId]);
      if (info.changes === 0) throw new DrfdsError('auth/no-user', `no user with id ${userId}`, { httpStatus: 404 });
      // A new password ends every open session of that user.
      yield* tx.run('DELETE FROM auth_sessions WHERE user_id = ?', [userId]);
      yield* auditEntry(tx, at, actorUserId, 'user.password', { id: userId });
    });
  }

  async setDisabled(userId: number, disabled: boolean, actorUserId: number | null = null): Promise<void> {
    const at = this.now().toISOString();
    await (await this.q()).transaction(function* (tx) {
      yield* tx.run('UPDATE auth_users SET disabled = ? WHERE id = ?', [disabled ? 1 : 0, userId]);
      if (disabled) yield* tx.run('DELETE FROM auth_sessions WHERE user_id = ?', [userId]);
      yield* auditEntry(tx, at, actorUserId, disabled ? 'user.disable' : 'user.enable', { id: userId });
    });
  }

  /** Checks the password and opens a session; the same error for an unknown user and a wrong password. */
  async login(username: string, password: string): Promise<LoginResult> {
    const row = await this.userRow(username);
    const ok = row !== undefined && row.disabled === 0 && (await verifyPassword(password, row.password_hash));
    if (!ok || !row) {
      await this.audit(null, 'login.failed', { username });
      throw new DrfdsError('auth/login-failed', 'wrong user name or password', { httpStatus: 401 });
    }
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = new Date(now.getTime() + this.ttlMs).toISOString();
    const at = this.now().toISOString();
    await (await this.q()).transaction(function* (tx) {
      yield* tx.run('INSERT INTO auth_sessions (token_sha256, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)', [sha256(token), row.id, now.toISOString(), expiresAt]);
      yield* auditEntry(tx, at, row.id, 'login', {});
    });
    return { token, user: toUser(row), issuedAt: now.toISOString(), expiresAt };
  }

  /** The user of a live session token, or undefined (unknown, expired, or user disabled). */
  async userForToken(token: string): Promise<AuthUser | undefined> {
    const db = await this.q();
    const row = await db.get<UserRow & { expires_at: string }>('SELECT u.*, s.expires_at FROM auth_sessions s JOIN auth_users u ON u.id = s.user_id WHERE s.token_sha256 = ?', [sha256(token)]);
    if (!row || row.disabled !== 0) return undefined;
    if (row.expires_at <= this.now().toISOString()) {
      await db.run('DELETE FROM auth_sessions WHERE token_sha256 = ?', [sha256(token)]);
      return undefined;
    }
    return toUser(row);
  }

  async logout(token: string): Promise<void> {
    await (await this.q()).run('DELETE FROM auth_sessions WHERE token_sha256 = ?', [sha256(token)]);
  }

  async audit(actorUserId: number | null, action: string, detail: Record<string, unknown>): Promise<void> {
    await this.auditIn(await this.q(), actorUserId, action, detail);
  }

  private async auditIn(q: SqlQueries, actorUserId: number | null, action: string, detail: Record<string, unknown>): Promise<void> {
    await q.run('INSERT INTO auth_audit (at, actor_user_id, action, detail) VALUES (?, ?, ?, ?)', [this.now().toISOString(), actorUserId, action, JSON.stringify(detail)]);
  }

  async auditLog(): Promise<Array<{ at: string; actorUserId: number | null; action: string; detail: unknown }>> {
    const rows = await (await this.q()).all<{ at: string; actor_user_id: number | null; action: string; detail: string }>('SELECT * FROM auth_audit ORDER BY id');
    return rows.map((row) => ({
      at: row.at,
      actorUserId: row.actor_user_id,
      action: row.action,
      detail: JSON.parse(row.detail) as unknown,
    }));
  }
}

/** An audit entry inside a transaction. */
function* auditEntry(tx: SqlSteps, at: string, actorUserId: number | null, action: string, detail: Record<string, unknown>): SqlWork<void> {
  yield* tx.run('INSERT INTO auth_audit (at, actor_user_id, action, detail) VALUES (?, ?, ?, ?)', [at, actorUserId, action, JSON.stringify(detail)]);
}

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < minimumPasswordLength) {
    throw new DrfdsError('auth/weak-password', `a password needs at least ${minimumPasswordLength} characters`, { httpStatus: 400 });
  }
}
