import type { PostgresPool } from '../storage/postgres.js';
import { applyMigrations, type SqliteDatabase } from '../storage/sqlite.js';
import { SERVER_MIGRATIONS } from './serverMigrations.js';

export interface AuditEntry {
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly jobId: string | null;
  readonly remote: string | null;
}

/**
 * Who viewed which result, when, from where: one row per access, never updated or deleted by the service. One table
 * in the service's database (SQLite or PostgreSQL), so a multi-process deployment keeps one log.
 */
export interface AuditLog {
  record(actor: string, action: string, jobId?: string, remote?: string): Promise<void>;
  forJob(jobId: string): Promise<AuditEntry[]>;
  recent(limit?: number): Promise<AuditEntry[]>;
}

type RawAudit = { at: number | string; actor: string; action: string; job_id: string | null; remote: string | null };
const toEntry = (r: RawAudit): AuditEntry => ({ at: Number(r.at), actor: r.actor, action: r.action, jobId: r.job_id, remote: r.remote });

export class SqliteAuditLog implements AuditLog {
  constructor(private readonly db: SqliteDatabase) {
    applyMigrations(db, 'server', SERVER_MIGRATIONS);
  }

  async record(actor: string, action: string, jobId?: string, remote?: string): Promise<void> {
    this.db.prepare('INSERT INTO server_audit (at, actor, action, job_id, remote) VALUES (?, ?, ?, ?, ?)').run(Date.now(), actor, action, jobId ?? null, remote ?? null);
  }

  async forJob(jobId: string): Promise<AuditEntry[]> {
    return (this.db.prepare('SELECT at, actor, action, job_id, remote FROM server_audit WHERE job_id = ? ORDER BY id').all(jobId) as RawAudit[]).map(toEntry);
  }

  async recent(limit = 100): Promise<AuditEntry[]> {
    return (this.db.prepare('SELECT at, actor, action, job_id, remote FROM server_audit ORDER BY id DESC LIMIT ?').all(limit) as RawAudit[]).map(toEntry);
  }
}

/** The same log in PostgreSQL (`POSTGRES_SERVER_MIGRATIONS`). */
export class PostgresAuditLog implements AuditLog {
  constructor(private readonly pool: PostgresPool) {}

  async record(actor: string, action: string, jobId?: string, remote?: string): Promise<void> {
    await this.pool.query('INSERT INTO server_audit (at, actor, action, job_id, remote) VALUES ($1, $2, $3, $4, $5)', [Date.now(), actor, action, jobId ?? null, remote ?? null]);
  }

  async forJob(jobId: string): Promise<AuditEntry[]> {
    return (await this.pool.query<RawAudit>('SELECT at, actor, action, job_id, remote FROM server_audit WHERE job_id = $1 ORDER BY id', [jobId])).rows.map(toEntry);
  }

  async recent(limit = 100): Promise<AuditEntry[]> {
    return (await this.pool.query<RawAudit>('SELECT at, actor, action, job_id, remote FROM server_audit ORDER BY id DESC LIMIT $1', [limit])).rows.map(toEntry);
  }
}
