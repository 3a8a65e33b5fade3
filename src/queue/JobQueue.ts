import type { SqliteDatabase } from '../storage/sqlite.js';
import { applyMigrations } from '../storage/sqlite.js';
import { QUEUE_MIGRATIONS } from './migrations.js';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed';
export type SourceFormat = 'dicom' | 'jpeg' | 'png';
export type ReceivedVia = 'http' | 'stow-rs' | 'c-store';

export interface NewJob {
  readonly id: string;
  readonly receivedVia: ReceivedVia;
  readonly sourceFormat: SourceFormat;
  /** Path of the stored image, relative to the data directory. */
  readonly imagePath: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly sopInstanceUid?: string;
  readonly callingAe?: string;
  /** Token or user name that submitted it (never a patient identifier). */
  readonly submittedBy?: string;
}

export interface JobRow {
  readonly id: string;
  readonly status: JobStatus;
  readonly receivedAt: number;
  readonly receivedVia: ReceivedVia;
  readonly sourceFormat: SourceFormat;
  readonly imagePath: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly sopInstanceUid: string | null;
  readonly callingAe: string | null;
  readonly submittedBy: string | null;
  readonly attempts: number;
  readonly workerId: string | null;
  readonly leaseExpiresAt: number | null;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly probability: number | null;
  readonly decision: string | null;
  readonly resultJson: string | null;
  readonly previewPath: string | null;
  readonly errorCode: string | null;
  readonly error: string | null;
}

/** A result file to deliver to one destination, recorded in the transaction that completes its job. */
export interface NewDelivery {
  readonly destination: string;
  readonly kind: 'sr' | 'gsps';
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** Relative to the data directory. */
  readonly filePath: string;
}

export interface Completion {
  readonly resultJson: string;
  readonly probability: number;
  readonly decision: string;
  readonly previewPath?: string;
  readonly deliveries: readonly NewDelivery[];
}

export interface QueueStats {
  readonly queued: number;
  readonly running: number;
  readonly done: number;
  readonly failed: number;
  /** Jobs finished (done or failed) in the last `windowMs`. */
  readonly finishedInWindow: number;
  readonly windowMs: number;
  /** Finished jobs per minute over the window. */
  readonly ratePerMinute: number;
  /** Age of the oldest queued job, 0 when none waits. */
  readonly oldestQueuedAgeMs: number;
  readonly recentFailures: ReadonlyArray<{ readonly id: string; readonly code: string | null; readonly error: string | null; readonly at: number | null }>;
}

export interface JobQueueOptions {
  /** How long a claim holds without a heartbeat before another worker may retake the job. */
  readonly leaseMs?: number;
  /** Claims after which a job whose worker keeps dying is failed instead of retried. */
  readonly maxAttempts?: number;
  readonly now?: () => number;
}

/** The defaults of both queue backends, in one place so SQLite and PostgreSQL cannot drift apart. */
export function withJobQueueDefaults(options: JobQueueOptions): Required<JobQueueOptions> {
  return { leaseMs: options.leaseMs ?? 30_000, maxAttempts: options.maxAttempts ?? 3, now: options.now ?? Date.now };
}

export type JobOrder = 'newest' | 'probability';

export type RawJob = {
  id: string; status: JobStatus; received_at: number | string; received_via: ReceivedVia; source_format: SourceFormat; image_path: string; bytes: number | string;
  sha256: string; sop_instance_uid: string | null; calling_ae: string | null; submitted_by: string | null; attempts: number | string; worker_id: string | null;
  lease_expires_at: number | string | null; started_at: number | string | null; finished_at: number | string | null; probability: number | null; decision: string | null;
  result_json: string | null; preview_path: string | null; error_code: string | null; error: string | null;
};

/** A nullable number column: PostgreSQL's BIGINT arrives as a string (node-postgres), SQLite's INTEGER as a number. */
export const nullableNumber = (value: number | string | null): number | null => (value === null ? null : Number(value));

export function toJob(row: RawJob): JobRow {
  return {
    id: row.id, status: row.status, receivedAt: Number(row.received_at), receivedVia: row.received_via, sourceFormat: row.source_format,
    imagePath: row.image_path, bytes: Number(row.bytes), sha256: row.sha256, sopInstanceUid: row.sop_instance_uid, callingAe: row.calling_ae,
    submittedBy: row.submitted_by, attempts: Number(row.attempts), workerId: row.worker_id, leaseExpiresAt: nullableNumber(row.lease_expires_at),
    startedAt: nullableNumber(row.started_at), finishedAt: nullableNumber(row.finished_at), probability: nullableNumber(row.probability), decision: row.decision, resultJson: row.result_json,
    previewPath: row.preview_path, errorCode: row.error_code, error: row.error,
  };
}

export interface QueueEvent {
  readonly at: number;
  readonly event: string;
  readonly workerId: string | null;
  readonly detail: string | null;
}

export interface ListOptions {
  readonly order?: JobOrder;
  readonly limit?: number;
  readonly status?: JobStatus;
}

/**
 * The durable job queue the service uses, whatever the database: SQLite (`SqliteJobQueue`, the embedded default)
 * or PostgreSQL (`PostgresJobQueue`, several machines on one database). Both keep the same rules: a claim is an
 * exclusive lease renewed by heartbeats; an expired lease makes the job claimable again (attempts + 1); after
 * `maxAttempts` claims it is failed; only the current holder can complete, fail or release it; the completion and
 * its deliveries are one transaction.
 */
export interface JobQueue {
  readonly leaseMs: number;
  readonly maxAttempts: number;
  /** Queues a job (committed, durable) — call only after the image file itself is on disk. */
  enqueue(job: NewJob): Promise<JobRow>;
  /** The job already holding exactly these bytes (a re-sent image), if any; one that did not fail comes first. */
  findBySha256(sha256: string): Promise<JobRow | undefined>;
  /** Claims the oldest claimable job (queued, or running with an expired lease) for `workerId`. */
  claim(workerId: string): Promise<JobRow | undefined>;
  /** Renews the leases `workerId` holds on these jobs; returns how many it still holds. */
  heartbeat(workerId: string, ids: readonly string[]): Promise<number>;
  /** Records the result and its deliveries in one transaction if `workerId` still holds the claim; false otherwise. */
  complete(id: string, workerId: string, completion: Completion): Promise<boolean>;
  fail(id: string, workerId: string, error: { readonly code: string; readonly message: string }): Promise<boolean>;
  release(id: string, workerId: string): Promise<boolean>;
  get(id: string): Promise<JobRow | undefined>;
  list(options?: ListOptions): Promise<JobRow[]>;
  stats(windowMs?: number): Promise<QueueStats>;
  events(jobId: string): Promise<QueueEvent[]>;
}

/** The ORDER BY of `list` (the same SQL in both databases). */
export const listOrder = (order: JobOrder | undefined): string =>
  order === 'probability' ? 'CASE WHEN probability IS NULL THEN 1 ELSE 0 END, probability DESC, received_at DESC' : 'received_at DESC, id DESC';

export const clampLimit = (limit: number | undefined): number => Math.max(1, Math.min(Number.isFinite(limit) ? (limit as number) : 100, 1000));

/**
 * The durable job queue in SQLite. Every state change is one short IMMEDIATE transaction, so several service
 * processes on one database file (WAL) share the work: a claim is a single `UPDATE … WHERE id = (SELECT … status =
 * 'queued' …) RETURNING`, serialised by SQLite's write lock, so no two workers ever hold the same job. A claim is a
 * lease renewed by heartbeats; a job whose worker died (lease expired) is claimed again, and only the worker that
 * holds the current claim can complete it — a result is recorded at most once.
 */
export class SqliteJobQueue implements JobQueue {
  readonly leaseMs: number;
  readonly maxAttempts: number;
  private readonly now: () => number;

  constructor(private readonly db: SqliteDatabase, options: JobQueueOptions = {}) {
    applyMigrations(db, 'queue', QUEUE_MIGRATIONS);
    ({ leaseMs: this.leaseMs, maxAttempts: this.maxAttempts, now: this.now } = withJobQueueDefaults(options));
  }

  private event(jobId: string, event: string, workerId: string | null, detail?: string): void {
    this.db.prepare('INSERT INTO queue_events (at, job_id, event, worker_id, detail) VALUES (?, ?, ?, ?, ?)').run(this.now(), jobId, event, workerId, detail ?? null);
  }

  /** Queues a job (committed, durable) — call only after the image file itself is on disk. */
  async enqueue(job: NewJob): Promise<JobRow> {
    const at = this.now();
    return this.db.transaction(() => {
      this.db.prepare(`INSERT INTO queue_jobs (id, status, received_at, received_via, source_format, image_path, bytes, sha256, sop_instance_uid, calling_ae, submitted_by)
        VALUES (@id, 'queued', @at, @receivedVia, @sourceFormat, @imagePath, @bytes, @sha256, @sopInstanceUid, @callingAe, @submittedBy)`).run({
        id: job.id, at, receivedVia: job.receivedVia, sourceFormat: job.sourceFormat, imagePath: job.imagePath, bytes: job.bytes, sha256: job.sha256,
        sopInstanceUid: job.sopInstanceUid ?? null, callingAe: job.callingAe ?? null, submittedBy: job.submittedBy ?? null,
      });
      this.event(job.id, 'queued', null, job.receivedVia);
      return this.getSync(job.id)!;
    }).immediate();
  }

  /** The job already holding exactly these bytes (a re-sent image), if any; one that did not fail comes first. */
  async findBySha256(sha256: string): Promise<JobRow | undefined> {
    const row = this.db.prepare("SELECT * FROM queue_jobs WHERE sha256 = ? ORDER BY status = 'failed', received_at DESC LIMIT 1").get(sha256) as RawJob | undefined;
    return row === undefined ? undefined : toJob(row);
  }

  /**
   * Claims the oldest claimable job for `workerId`: a queued one, or a running one whose lease expired. A job that
   * has already been claimed `maxAttempts` times without finishing is failed instead (it keeps killing workers).
   */
  async claim(workerId: string): Promise<JobRow | undefined> {
    return this.db.transaction((): JobRow | undefined => {
      const now = this.now();
      const exhausted = this.db.prepare(`UPDATE queue_jobs SET status = 'failed', finished_at = @now, worker_id = NULL, lease_expires_at = NULL,
          error_code = 'queue/attempts-exhausted', error = 'processing was interrupted ' || attempts || ' times (the worker stopped each time); the image is kept in the data directory for inspection'
        WHERE status = 'running' AND lease_expires_at < @now AND attempts >= @max RETURNING id`).all({ now, max: this.maxAttempts }) as Array<{ id: string }>;
      for (const { id } of exhausted) this.event(id, 'failed', null, 'attempts exhausted');
      const row = this.db.prepare(`UPDATE queue_jobs SET status = 'running', worker_id = @worker, lease_expires_at = @lease, attempts = attempts + 1, started_at = @now
        WHERE id = (SELECT id FROM queue_jobs WHERE status = 'queued' OR (status = 'running' AND lease_expires_at < @now) ORDER BY received_at, id LIMIT 1)
        RETURNING *`).get({ worker: workerId, lease: now + this.leaseMs, now }) as RawJob | undefined;
      if (row === undefined) return undefined;
      this.event(row.id, Number(row.attempts) > 1 ? 'reclaimed' : 'claimed', workerId, `attempt ${row.attempts}`);
      return toJob(row);
    }).immediate();
  }

  /** Renews the leases `workerId` holds on these jobs; returns how many it still holds. */
  async heartbeat(workerId: string, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const statement = this.db.prepare(`UPDATE queue_jobs SET lease_expires_at = ? WHERE id = ? AND worker_id = ? AND status = 'running'`);
    return this.db.transaction(() => {
      const lease = this.now() + this.leaseMs;
      let held = 0;
      for (const id of ids) held += statement.run(lease, id, workerId).changes;
      return held;
    }).immediate();
  }

  /**
   * Records the result and its deliveries in one transaction, only if `workerId` still holds the claim.
   * Returns false when the claim was lost (the lease expired and another worker took the job): nothing is written.
   */
  async complete(id: string, workerId: string, completion: Completion): Promise<boolean> {
    return this.db.transaction(() => {
      const now = this.now();
      const changed = this.db.prepare(`UPDATE queue_jobs SET status = 'done', finished_at = @now, worker_id = NULL, lease_expires_at = NULL,
          result_json = @result, probability = @probability, decision = @decision, preview_path = @preview, error_code = NULL, error = NULL
        WHERE id = @id AND worker_id = @worker AND status = 'running'`).run({
        now, result: completion.resultJson, probability: completion.probability, decision: completion.decision, preview: completion.previewPath ?? null, id, worker: workerId,
      }).changes;
      if (changed === 0) return false;
      const insert = this.db.prepare(`INSERT OR IGNORE INTO queue_deliveries (job_id, destination, kind, sop_class_uid, sop_instance_uid, file_path, status, next_attempt_at)
        VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`);
      for (const d of completion.deliveries) insert.run(id, d.destination, d.kind, d.sopClassUid, d.sopInstanceUid, d.filePath, now);
      this.event(id, 'done', workerId);
      return true;
    }).immediate();
  }

  /** Fails the job for good (bad input, unreadable image), if `workerId` still holds the claim. */
  async fail(id: string, workerId: string, error: { readonly code: string; readonly message: string }): Promise<boolean> {
    return this.db.transaction(() => {
      const changed = this.db.prepare(`UPDATE queue_jobs SET status = 'failed', finished_at = ?, worker_id = NULL, lease_expires_at = NULL, error_code = ?, error = ?
        WHERE id = ? AND worker_id = ? AND status = 'running'`).run(this.now(), error.code, error.message, id, workerId).changes;
      if (changed > 0) this.event(id, 'failed', workerId, error.code);
      return changed > 0;
    }).immediate();
  }

  /** Puts a claimed job back in the queue (its worker thread stopped, the service is shutting down). */
  async release(id: string, workerId: string): Promise<boolean> {
    return this.db.transaction(() => {
      const changed = this.db.prepare(`UPDATE queue_jobs SET status = 'queued', worker_id = NULL, lease_expires_at = NULL WHERE id = ? AND worker_id = ? AND status = 'running'`)
        .run(id, workerId).changes;
      if (changed > 0) this.event(id, 'released', workerId);
      return changed > 0;
    }).immediate();
  }

  async get(id: string): Promise<JobRow | undefined> {
    return this.getSync(id);
  }

  private getSync(id: string): JobRow | undefined {
    const row = this.db.prepare('SELECT * FROM queue_jobs WHERE id = ?').get(id) as RawJob | undefined;
    return row === undefined ? undefined : toJob(row);
  }

  async list(options: ListOptions = {}): Promise<JobRow[]> {
    const order = listOrder(options.order);
    const limit = clampLimit(options.limit);
    const where = options.status === undefined ? '' : 'WHERE status = @status';
    const rows = this.db.prepare(`SELECT * FROM queue_jobs ${where} ORDER BY ${order} LIMIT @limit`).all({ status: options.status, limit }) as RawJob[];
    return rows.map(toJob);
  }

  async stats(windowMs = 5 * 60_000): Promise<QueueStats> {
    const now = this.now();
    const counts = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const row of this.db.prepare('SELECT status, count(*) AS n FROM queue_jobs GROUP BY status').all() as Array<{ status: JobStatus; n: number }>) counts[row.status] = row.n;
    const finished = (this.db.prepare('SELECT count(*) AS n FROM queue_jobs WHERE finished_at >= ?').get(now - windowMs) as { n: number }).n;
    const oldest = (this.db.prepare("SELECT min(received_at) AS t FROM queue_jobs WHERE status = 'queued'").get() as { t: number | null }).t;
    const failures = this.db.prepare("SELECT id, error_code, error, finished_at FROM queue_jobs WHERE status = 'failed' ORDER BY finished_at DESC LIMIT 10").all() as Array<{ id: string; error_code: string | null; error: string | null; finished_at: number | null }>;
    return {
      ...counts,
      finishedInWindow: finished,
      windowMs,
      ratePerMinute: finished / (windowMs / 60_000),
      oldestQueuedAgeMs: oldest === null ? 0 : Math.max(0, now - oldest),
      recentFailures: failures.map((f) => ({ id: f.id, code: f.error_code, error: f.error, at: f.finished_at })),
    };
  }

  async events(jobId: string): Promise<QueueEvent[]> {
    return (this.db.prepare('SELECT at, event, worker_id, detail FROM queue_events WHERE job_id = ? ORDER BY id').all(jobId) as Array<{ at: number; event: string; worker_id: string | null; detail: string | null }>)
      .map((e) => ({ at: e.at, event: e.event, workerId: e.worker_id, detail: e.detail }));
  }
}
