import type { SqliteDatabase } from '../storage/sqlite.js';
import { applyMigrations } from '../storage/sqlite.js';
import { QUEUE_MIGRATIONS } from './migrations.js';

export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed';

export interface DeliveryRow {
  readonly id: number;
  readonly jobId: string;
  readonly destination: string;
  readonly kind: 'sr' | 'gsps';
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly filePath: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
  readonly sentAt: number | null;
}

export interface DeliveryQueueOptions {
  /** How long a claimed send may take before another process may retry it. */
  readonly leaseMs?: number;
  /** First retry delay; doubles per attempt up to `backoffMaxMs` (exponential backoff). */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** Attempts after which a delivery is given up (status `failed`, shown on the status page). */
  readonly maxAttempts?: number;
  readonly now?: () => number;
}

/** The defaults of both outbox backends, in one place so SQLite and PostgreSQL cannot drift apart. */
export function withDeliveryQueueDefaults(options: DeliveryQueueOptions): Required<DeliveryQueueOptions> {
  return {
    leaseMs: options.leaseMs ?? 60_000,
    backoffBaseMs: options.backoffBaseMs ?? 2_000,
    backoffMaxMs: options.backoffMaxMs ?? 5 * 60_000,
    maxAttempts: options.maxAttempts ?? 100,
    now: options.now ?? Date.now,
  };
}

export interface DeliveryStats {
  readonly pending: number;
  readonly sending: number;
  readonly sent: number;
  readonly failed: number;
  /** Pending deliveries that failed at least once (the destination is down or refusing). */
  readonly retrying: number;
  readonly recentErrors: ReadonlyArray<{ readonly destination: string; readonly jobId: string; readonly error: string; readonly attempts: number }>;
}

export type RawDelivery = {
  id: number | string; job_id: string; destination: string; kind: 'sr' | 'gsps'; sop_class_uid: string; sop_instance_uid: string; file_path: string;
  status: DeliveryStatus; attempts: number | string; next_attempt_at: number | string; last_error: string | null; sent_at: number | string | null;
};

/** Numbers arrive as strings from PostgreSQL's BIGINT columns, as numbers from SQLite. */
export const toDelivery = (r: RawDelivery): DeliveryRow => ({
  id: Number(r.id), jobId: r.job_id, destination: r.destination, kind: r.kind, sopClassUid: r.sop_class_uid, sopInstanceUid: r.sop_instance_uid,
  filePath: r.file_path, status: r.status, attempts: Number(r.attempts), nextAttemptAt: Number(r.next_attempt_at), lastError: r.last_error,
  sentAt: r.sent_at === null ? null : Number(r.sent_at),
});

/**
 * The outbox the service uses, whatever the database (`SqliteDeliveryQueue`, `PostgresDeliveryQueue`): rows are
 * written by `JobQueue.complete`; a sender claims a due row with a lease; a failure is retried with exponential
 * backoff, given up after `maxAttempts`; only the lease holder can mark a send done or failed.
 */
export interface DeliveryQueue {
  readonly leaseMs: number;
  readonly maxAttempts: number;
  /** Claims the most overdue delivery (pending and due, or a send whose lease expired). */
  claimDue(owner: string): Promise<DeliveryRow | undefined>;
  markSent(id: number, owner: string): Promise<boolean>;
  /** Records a failed send: retried after the backoff delay, or given up after `maxAttempts`. */
  markFailed(id: number, owner: string, error: string): Promise<{ readonly status: DeliveryStatus; readonly nextAttemptAt: number } | undefined>;
  /** When the next pending delivery falls due (ms epoch), or undefined when nothing waits. */
  nextDueAt(): Promise<number | undefined>;
  forJob(jobId: string): Promise<DeliveryRow[]>;
  stats(): Promise<DeliveryStats>;
}

/** Delay before attempt `attempts + 1` after `attempts` failures: base · 2^(attempts − 1), capped. */
export function backoffDelayMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * The outbox of result objects (SR, presentation state) to PACS destinations. Rows are created by
 * `JobQueue.complete`; senders claim due rows with a lease, and a failed send is retried with exponential backoff.
 * A send interrupted by a crash is retried after its lease; the PACS sees the same SOP Instance UID again (the
 * DICOM writer's UIDs are deterministic), so a re-send replaces rather than duplicates.
 */
export class SqliteDeliveryQueue implements DeliveryQueue {
  readonly leaseMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly maxAttempts: number;
  private readonly now: () => number;

  constructor(private readonly db: SqliteDatabase, options: DeliveryQueueOptions = {}) {
    applyMigrations(db, 'queue', QUEUE_MIGRATIONS);
    ({ leaseMs: this.leaseMs, backoffBaseMs: this.backoffBaseMs, backoffMaxMs: this.backoffMaxMs, maxAttempts: this.maxAttempts, now: this.now } =
      withDeliveryQueueDefaults(options));
  }

  /** Claims the most overdue delivery (pending and due, or a send whose lease expired). */
  async claimDue(owner: string): Promise<DeliveryRow | undefined> {
    return this.db.transaction((): DeliveryRow | undefined => {
      const now = this.now();
      const row = this.db.prepare(`UPDATE queue_deliveries SET status = 'sending', lease_owner = @owner, lease_expires_at = @lease, attempts = attempts + 1
        WHERE id = (SELECT id FROM queue_deliveries WHERE (status = 'pending' AND next_attempt_at <= @now) OR (status = 'sending' AND lease_expires_at < @now)
                    ORDER BY next_attempt_at, id LIMIT 1)
        RETURNING *`).get({ owner, lease: now + this.leaseMs, now }) as RawDelivery | undefined;
      return row === undefined ? undefined : toDelivery(row);
    }).immediate();
  }

  async markSent(id: number, owner: string): Promise<boolean> {
    return this.db.prepare(`UPDATE queue_deliveries SET status = 'sent', sent_at = ?, lease_owner = NULL, lease_expires_at = NULL, last_error = NULL
      WHERE id = ? AND lease_owner = ? AND status = 'sending'`).run(this.now(), id, owner).changes > 0;
  }

  /** Records a failed send: retried after the backoff delay, or given up after `maxAttempts`. */
  async markFailed(id: number, owner: string, error: string): Promise<{ readonly status: DeliveryStatus; readonly nextAttemptAt: number } | undefined> {
    return this.db.transaction(() => {
      const row = this.db.prepare("SELECT attempts FROM queue_deliveries WHERE id = ? AND lease_owner = ? AND status = 'sending'").get(id, owner) as { attempts: number } | undefined;
      if (row === undefined) return undefined;
      const giveUp = row.attempts >= this.maxAttempts;
      const nextAttemptAt = this.now() + backoffDelayMs(row.attempts, this.backoffBaseMs, this.backoffMaxMs);
      const status: DeliveryStatus = giveUp ? 'failed' : 'pending';
      this.db.prepare('UPDATE queue_deliveries SET status = ?, next_attempt_at = ?, last_error = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ?')
        .run(status, nextAttemptAt, error.slice(0, 2000), id);
      return { status, nextAttemptAt };
    }).immediate();
  }

  /** When the next pending delivery falls due (ms epoch), or undefined when nothing waits. */
  async nextDueAt(): Promise<number | undefined> {
    const row = this.db.prepare("SELECT min(CASE WHEN status = 'pending' THEN next_attempt_at ELSE lease_expires_at END) AS t FROM queue_deliveries WHERE status IN ('pending', 'sending')").get() as { t: number | null };
    return row.t === null ? undefined : Number(row.t);
  }

  async forJob(jobId: string): Promise<DeliveryRow[]> {
    return (this.db.prepare('SELECT * FROM queue_deliveries WHERE job_id = ? ORDER BY id').all(jobId) as RawDelivery[]).map(toDelivery);
  }

  async stats(): Promise<DeliveryStats> {
    const counts = { pending: 0, sending: 0, sent: 0, failed: 0 };
    for (const row of this.db.prepare('SELECT status, count(*) AS n FROM queue_deliveries GROUP BY status').all() as Array<{ status: DeliveryStatus; n: number }>) counts[row.status] = row.n;
    const retrying = (this.db.prepare("SELECT count(*) AS n FROM queue_deliveries WHERE status IN ('pending', 'sending') AND last_error IS NOT NULL").get() as { n: number }).n;
    const errors = this.db.prepare("SELECT destination, job_id, last_error, attempts FROM queue_deliveries WHERE last_error IS NOT NULL AND status != 'sent' ORDER BY next_attempt_at DESC LIMIT 10")
      .all() as Array<{ destination: string; job_id: string; last_error: string; attempts: number }>;
    return { ...counts, retrying, recentErrors: errors.map((e) => ({ destination: e.destination, jobId: e.job_id, error: e.last_error, attempts: e.attempts })) };
  }
}
