import { applyMigrations, type SqliteDatabase } from '../storage/sqlite.js';
import { SERVER_MIGRATIONS } from './serverMigrations.js';

export interface AuditEntry {
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly jobId: string | null;
  readonly remote: string | null;
}

/** Who viewed which result, when, from where: one row per access, never updated or deleted by the service. */
export class AuditLog {
  constructor(private readonly db: SqliteDatabase) {
    applyMigrations(db, 'server', SERVER_MIGRATIONS);
  }

  record(actor: string, action: string, jobId?: string, remote?: string): void {
    this.db.prepare('INSERT INTO server_audit (at, actor, action, job_id, remote) VALUES (?, ?, ?, ?, ?)').run(Date.now(), actor, action, jobId ?? null, remote ?? null);
  }

  forJob(jobId: string): AuditEntry[] {
    return (this.db.prepare('SELECT at, actor, action, job_id, remote FROM server_audit WHERE job_id = ? ORDER BY id').all(jobId) as Array<{ at: number; actor: string; action: string; job_id: string | null; remote: string | null }>)
      .map((r) => ({ at: r.at, actor: r.actor, action: r.action, jobId: r.job_id, remote: r.remote }));
  }

  recent(limit = 100): AuditEntry[] {
    return (this.db.prepare('SELECT at, actor, action, job_id, remote FROM server_audit ORDER BY id DESC LIMIT ?').all(limit) as Array<{ at: number; actor: string; action: string; job_id: string | null; remote: string | null }>)
      .map((r) => ({ at: r.at, actor: r.actor, action: r.action, jobId: r.job_id, remote: r.remote }));
  }
}
