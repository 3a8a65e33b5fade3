import { createHash, randomBytes } from 'node:crypto';
import { DrfdsError } from '../errors/DrfdsError.js';
import { applyMigrations, type SqliteDatabase } from '../storage/sqlite.js';
import { authMigrations } from './migrations.js';
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

/** Users, passwords and sessions in the `auth_` tables of the service's database. */
export class AuthStore {
  readonly db: SqliteDatabase;
  private readonly ttlMs: number;
  private readonly scryptParameters: ScryptParameters | undefined;
  private readonly now: () => Date;

  constructor(db: SqliteDatabase, options: AuthStoreOptions = {}) {
    this.db = db;
    this.ttlMs = options.sessionTtlMs ?? 12 * 3600 * 1000;
    this.scryptParameters = options.scrypt;
    this.now = options.now ?? (() => new Date());
    applyMigrations(db, 'auth', authMigrations);
  }

  async createUser(user: NewUser, actorUserId: number | null = null): Promise<AuthUser> {
    if (!usernamePattern.test(user.username)) {
      throw new DrfdsError('auth/bad-username', `user name "${user.username}" must be 1–64 letters, digits or . _ @ -`, { httpStatus: 400 });
    }
    if (user.role !== 'admin' && user.role !== 'reader') {
      throw new DrfdsError('auth/bad-role', `role must be "admin" or "reader", got "${String(user.role)}"`, { httpStatus: 400 });
    }
    checkPassword(user.password);
    if (this.findUser(user.username)) {
      throw new DrfdsError('auth/user-exists', `a user named "${user.username}" already exists`, { httpStatus: 409 });
    }
    const hash = await hashPassword(user.password, this.scryptParameters);
    const info = this.db
      .prepare('INSERT INTO auth_users (username, display_name, role, reader_group, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(user.username, user.displayName ?? user.username, user.role, user.group ?? null, hash, this.now().toISOString());
    const id = Number(info.lastInsertRowid);
    this.audit(actorUserId, 'user.create', { id, username: user.username, role: user.role, group: user.group ?? null });
    return this.getUser(id) as AuthUser;
  }

  getUser(id: number): AuthUser | undefined {
    const row = this.db.prepare('SELECT * FROM auth_users WHERE id = ?').get(id) as UserRow | undefined;
    return row ? toUser(row) : undefined;
  }

  findUser(username: string): AuthUser | undefined {
    const row = this.db.prepare('SELECT * FROM auth_users WHERE username = ?').get(username) as UserRow | undefined;
    return row ? toUser(row) : undefined;
  }

  listUsers(): AuthUser[] {
    return (this.db.prepare('SELECT * FROM auth_users ORDER BY id').all() as UserRow[]).map(toUser);
  }

  async setPassword(userId: number, password: string, actorUserId: number | null = null): Promise<void> {
    checkPassword(password);
    const hash = await hashPassword(password, this.scryptParameters);
    const info = this.db.prepare('UPDATE auth_users SET password_hash = ? WHERE id = ?').run(hash, userId);
    if (info.changes === 0) throw new DrfdsError('auth/no-user', `no user with id ${userId}`, { httpStatus: 404 });
    // A new password ends every open session of that user.
    this.db.prepare('DELETE FROM auth_sessions WHERE user_id = ?').run(userId);
    this.audit(actorUserId, 'user.password', { id: userId });
  }

  setDisabled(userId: number, disabled: boolean, actorUserId: number | null = null): void {
    this.db.prepare('UPDATE auth_users SET disabled = ? WHERE id = ?').run(disabled ? 1 : 0, userId);
    if (disabled) this.db.prepare('DELETE FROM auth_sessions WHERE user_id = ?').run(userId);
    this.audit(actorUserId, disabled ? 'user.disable' : 'user.enable', { id: userId });
  }

  /** Checks the password and opens a session; the same error for an unknown user and a wrong password. */
  async login(username: string, password: string): Promise<LoginResult> {
    const row = this.db.prepare('SELECT * FROM auth_users WHERE username = ?').get(username) as UserRow | undefined;
    const ok = row !== undefined && row.disabled === 0 && (await verifyPassword(password, row.password_hash));
    if (!ok || !row) {
      this.audit(null, 'login.failed', { username });
      throw new DrfdsError('auth/login-failed', 'wrong user name or password', { httpStatus: 401 });
    }
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = new Date(now.getTime() + this.ttlMs).toISOString();
    this.db.prepare('INSERT INTO auth_sessions (token_sha256, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(sha256(token), row.id, now.toISOString(), expiresAt);
    this.audit(row.id, 'login', {});
    return { token, user: toUser(row), issuedAt: now.toISOString(), expiresAt };
  }

  /** The user of a live session token, or undefined (unknown, expired, or user disabled). */
  userForToken(token: string): AuthUser | undefined {
    const row = this.db
      .prepare('SELECT u.*, s.expires_at FROM auth_sessions s JOIN auth_users u ON u.id = s.user_id WHERE s.token_sha256 = ?')
      .get(sha256(token)) as (UserRow & { expires_at: string }) | undefined;
    if (!row || row.disabled !== 0) return undefined;
    if (row.expires_at <= this.now().toISOString()) {
      this.db.prepare('DELETE FROM auth_sessions WHERE token_sha256 = ?').run(sha256(token));
      return undefined;
    }
    return toUser(row);
  }

  logout(token: string): void {
    this.db.prepare('DELETE FROM auth_sessions WHERE token_sha256 = ?').run(sha256(token));
  }

  audit(actorUserId: number | null, action: string, detail: Record<string, unknown>): void {
    this.db.prepare('INSERT INTO auth_audit (at, actor_user_id, action, detail) VALUES (?, ?, ?, ?)').run(this.now().toISOString(), actorUserId, action, JSON.stringify(detail));
  }

  auditLog(): Array<{ at: string; actorUserId: number | null; action: string; detail: unknown }> {
    return (this.db.prepare('SELECT * FROM auth_audit ORDER BY id').all() as Array<{ at: string; actor_user_id: number | null; action: string; detail: string }>).map((row) => ({
      at: row.at,
      actorUserId: row.actor_user_id,
      action: row.action,
      detail: JSON.parse(row.detail) as unknown,
    }));
  }
}

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < minimumPasswordLength) {
    throw new DrfdsError('auth/weak-password', `a password needs at least ${minimumPasswordLength} characters`, { httpStatus: 400 });
  }
}
