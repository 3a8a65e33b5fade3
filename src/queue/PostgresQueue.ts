import type pg from 'pg';
import { applyPostgresMigrations, inTransaction, type PostgresPool } from '../storage/postgres.js';
import type { Migration } from '../storage/sqlite.js';
import { backoffDelayMs, toDelivery, withDeliveryQueueDefaults, type DeliveryQueue, type DeliveryQueueOptions, type DeliveryRow, type DeliveryStats, type DeliveryStatus, type RawDelivery } from './DeliveryQueue.js';
import {
  clampLimit, listOrder, toJob, withJobQueueDefaults, type Completion, type JobQueue, type JobQueueOptions, type JobRow, type JobStatus, type ListOptions, type NewJob, type QueueEvent,
  type QueueStats, type RawJob,
} from './JobQueue.js';

/**
 * The queue tables in PostgreSQL (namespace `queue`), column for column the SQLite schema of `migrations.ts`:
 * times are milliseconds since the epoch (BIGINT), probabilities DOUBLE PRECISION.
 */
export const POSTGRES_QUEUE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE queue_jobs (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
        received_at BIGINT NOT NULL,
        received_via TEXT NOT NULL,
        source_format TEXT NOT NULL CHECK (source_format IN ('dicom', 'jpeg', 'png')),
        image_path TEXT NOT NULL,
        bytes BIGINT NOT NULL,
        sha256 TEXT NOT NULL,
        sop_instance_uid TEXT,
        calling_ae TEXT,
        submitted_by TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        worker_id TEXT,
        lease_expires_at BIGINT,
        started_at BIGINT,
        finished_at BIGINT,
        probability DOUBLE PRECISION,
        decision TEXT,
        result_json TEXT,
        preview_path TEXT,
        error_code TEXT,
        error TEXT
      );
      CREATE INDEX queue_jobs_claim ON queue_jobs (status, received_at);
      CREATE INDEX queue_jobs_sha256 ON queue_jobs (sha256);
      CREATE INDEX queue_jobs_finished ON queue_jobs (finished_at);
      CREATE TABLE queue_deliveries (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        job_id TEXT NOT NULL REFERENCES queue_jobs (id),
        destination TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('sr', 'gsps')),
        sop_class_uid TEXT NOT NULL,
        sop_instance_uid TEXT NOT NULL,
        file_path TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        lease_owner TEXT,
        lease_expires_at BIGINT,
        last_error TEXT,
        sent_at BIGINT,
        UNIQUE (job_id, destination, kind)
      );
      CREATE INDEX queue_deliveries_due ON queue_deliveries (status, next_attempt_at);
      CREATE TABLE queue_events (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at BIGINT NOT NULL,
        job_id TEXT NOT NULL,
        event TEXT NOT NULL,
        worker_id TEXT,
        detail TEXT
      );
      CREATE INDEX queue_events_job ON queue_events (job_id);
      CREATE INDEX queue_events_at ON queue_events (at);
    `,
  },
];

/** Creates (or upgrades) the queue tables; safe when several processes start at once (advisory lock). */
export async function migratePostgresQueue(pool: PostgresPool): Promise<void> {
  await applyPostgresMigrations(pool, 'queue', POSTGRES_QUEUE_MIGRATIONS);
}

type Queryable = Pick<pg.PoolClient, 'query'> | PostgresPool;

async function event(db: Queryable, at: number, jobId: string, name: string, workerId: string | null, detail?: string): Promise<void> {
  await db.query('INSERT INTO queue_events (at, job_id, event, worker_id, detail) VALUES ($1, $2, $3, $4, $5)', [at, jobId, name, workerId, detail ?? null]);
}

/**
 * The job queue in PostgreSQL, for several service processes (on one or several machines) on one database. A claim
 * is one statement, `UPDATE queue_jobs … WHERE id = (SELECT id … ORDER BY received_at, id LIMIT 1 FOR UPDATE SKIP
 * LOCKED) RETURNING *`: concurrent claimers skip the row another transaction has locked and take the next one, so no
 * two workers ever hold the same job and none waits on another. Leases, heartbeats, attempts and "only the holder
 * completes" are the rules of `SqliteJobQueue`, statement for statement; the clock is the service's (`now`), as in
 * SQLite, so run the hosts with NTP.
 */
export class PostgresJobQueue implements JobQueue {
  readonly leaseMs: number;
  readonly maxAttempts: number;
  private readonly now: () => number;

  /** Call `migratePostgresQueue(pool)` once before (`openServiceStores` does). */
  constructor(private readonly pool: PostgresPool, options: JobQueueOptions = {}) {
    ({ leaseMs: this.leaseMs, maxAttempts: this.maxAttempts, now: this.now } = withJobQueueDefaults(options));
  }

  async enqueue(job: NewJob): Promise<JobRow> {
    const at = this.now();
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<RawJob>(
        `INSERT INTO queue_jobs (id, status, received_at, received_via, source_format, image_path, bytes, sha256, sop_instance_uid, calling_ae, submitted_by)
         VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [job.id, at, job.receivedVia, job.sourceFormat, job.imagePath, job.bytes, job.sha256, job.sopInstanceUid ?? null, job.callingAe ?? null, job.submittedBy ?? null],
      );
      await event(client, at, job.id, 'queued', null, job.receivedVia);
      return toJob(rows[0]!);
    });
  }

  async findBySha256(sha256: string): Promise<JobRow | undefined> {
    const { rows } = await this.pool.query<RawJob>("SELECT * FROM queue_jobs WHERE sha256 = $1 ORDER BY status = 'failed', received_at DESC LIMIT 1", [sha256]);
    return rows[0] === undefined ? undefined : toJob(rows[0]);
  }

  async claim(workerId: string): Promise<JobRow | undefined> {
    return inTransaction(this.pool, async (client) => {
      const now = this.now();
      const exhausted = await client.query<{ id: string }>(
        `UPDATE queue_jobs SET status = 'failed', finished_at = $1, worker_id = NULL, lease_expires_at = NULL, error_code = 'queue/attempts-exhausted',
           error = 'processing was interrupted ' || attempts || ' times (the worker stopped each time); the image is kept in the data directory for inspection'
         WHERE id IN (SELECT id FROM queue_jobs WHERE status = 'running' AND lease_expires_at < $1 AND attempts >= $2 FOR UPDATE SKIP LOCKED)
         RETURNING id`,
        [now, this.maxAttempts],
      );
      for (const { id } of exhausted.rows) await event(client, now, id, 'failed', null, 'attempts exhausted');
      const { rows } = await client.query<RawJob>(
        `UPDATE queue_jobs SET status = 'running', worker_id = $1, lease_expires_at = $2, attempts = attempts + 1, started_at = $3
         WHERE id = (SELECT id FROM queue_jobs WHERE status = 'queued' OR (status = 'running' AND lease_expires_at < $3)
                     ORDER BY received_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [workerId, now + this.leaseMs, now],
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      const job = toJob(row);
      await event(client, now, job.id, job.attempts > 1 ? 'reclaimed' : 'claimed', workerId, `attempt ${job.attempts}`);
      return job;
    });
  }

  async heartbeat(workerId: string, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.pool.query(`UPDATE queue_jobs SET lease_expires_at = $1 WHERE id = ANY($2::text[]) AND worker_id = $3 AND status = 'running'`, [
      this.now() + this.leaseMs, [...ids], workerId,
    ]);
    return result.rowCount ?? 0;
  }

  async complete(id: string, workerId: string, completion: Completion): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const now = this.now();
      const changed = await client.query(
        `UPDATE queue_jobs SET status = 'done', finished_at = $1, worker_id = NULL, lease_expires_at = NULL,
           result_json = $2, probability = $3, decision = $4, preview_path = $5, error_code = NULL, error = NULL
         WHERE id = $6 AND worker_id = $7 AND status = 'running'`,
        [now, completion.resultJson, completion.probability, completion.decision, completion.previewPath ?? null, id, workerId],
      );
      if ((changed.rowCount ?? 0) === 0) return false;
      for (const d of completion.deliveries) {
        await client.query(
          `INSERT INTO queue_deliveries (job_id, destination, kind, sop_class_uid, sop_instance_uid, file_path, status, next_attempt_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7) ON CONFLICT (job_id, destination, kind) DO NOTHING`,
          [id, d.destination, d.kind, d.sopClassUid, d.sopInstanceUid, d.filePath, now],
        );
      }
      await event(client, now, id, 'done', workerId);
      return true;
    });
  }

  async fail(id: string, workerId: string, error: { readonly code: string; readonly message: string }): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const now = this.now();
      const changed = await client.query(
        `UPDATE queue_jobs SET status = 'failed', finished_at = $1, worker_id = NULL, lease_expires_at = NULL, error_code = $2, error = $3
         WHERE id = $4 AND worker_id = $5 AND status = 'running'`,
        [now, error.code, error.message, id, workerId],
      );
      const ok = (changed.rowCount ?? 0) > 0;
      if (ok) await event(client, now, id, 'failed', workerId, error.code);
      return ok;
    });
  }

  async release(id: string, workerId: string): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const changed = await client.query(`UPDATE queue_jobs SET status = 'queued', worker_id = NULL, lease_expires_at = NULL WHERE id = $1 AND worker_id = $2 AND status = 'running'`, [id, workerId]);
      const ok = (changed.rowCount ?? 0) > 0;
      if (ok) await event(client, this.now(), id, 'released', workerId);
      return ok;
    });
  }

  async get(id: string): Promise<JobRow | undefined> {
    const { rows } = await this.pool.query<RawJob>('SELECT * FROM queue_jobs WHERE id = $1', [id]);
    return rows[0] === undefined ? undefined : toJob(rows[0]);
  }

  async list(options: ListOptions = {}): Promise<JobRow[]> {
    const params: unknown[] = [clampLimit(options.limit)];
    let where = '';
    if (options.status !== undefined) {
      params.push(options.status);
      where = 'WHERE status = $2';
    }
    const { rows } = await this.pool.query<RawJob>(`SELECT * FROM queue_jobs ${where} ORDER BY ${listOrder(options.order)} LIMIT $1`, params);
    return rows.map(toJob);
  }

  async stats(windowMs = 5 * 60_000): Promise<QueueStats> {
    const now = this.now();
    const counts = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const row of (await this.pool.query<{ status: JobStatus; n: number }>('SELECT status, count(*)::int AS n FROM queue_jobs GROUP BY status')).rows) counts[row.status] = row.n;
    const finished = (await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM queue_jobs WHERE finished_at >= $1', [now - windowMs])).rows[0]?.n ?? 0;
    const oldestText = (await this.pool.query<{ t: string | null }>("SELECT min(received_at) AS t FROM queue_jobs WHERE status = 'queued'")).rows[0]?.t ?? null;
    const failures = (await this.pool.query<{ id: string; error_code: string | null; error: string | null; finished_at: string | null }>(
      "SELECT id, error_code, error, finished_at FROM queue_jobs WHERE status = 'failed' ORDER BY finished_at DESC NULLS LAST LIMIT 10",
    )).rows;
    return {
      ...counts,
      finishedInWindow: finished,
      windowMs,
      ratePerMinute: finished / (windowMs / 60_000),
      oldestQueuedAgeMs: oldestText === null ? 0 : Math.max(0, now - Number(oldestText)),
      recentFailures: failures.map((f) => ({ id: f.id, code: f.error_code, error: f.error, at: f.finished_at === null ? null : Number(f.finished_at) })),
    };
  }

  async events(jobId: string): Promise<QueueEvent[]> {
    const { rows } = await this.pool.query<{ at: string; event: string; worker_id: string | null; detail: string | null }>(
      'SELECT at, event, worker_id, detail FROM queue_events WHERE job_id = $1 ORDER BY id', [jobId],
    );
    return rows.map((e) => ({ at: Number(e.at), event: e.event, workerId: e.worker_id, detail: e.detail }));
  }
}

/** The delivery outbox in PostgreSQL: `SqliteDeliveryQueue`'s rules, claims with `FOR UPDATE SKIP LOCKED`. */
export class PostgresDeliveryQueue implements DeliveryQueue {
  readonly leaseMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly maxAttempts: number;
  private readonly now: () => number;

  constructor(private readonly pool: PostgresPool, options: DeliveryQueueOptions = {}) {
    ({ leaseMs: this.leaseMs, backoffBaseMs: this.backoffBaseMs, backoffMaxMs: this.backoffMaxMs, maxAttempts: this.maxAttempts, now: this.now } =
      withDeliveryQueueDefaults(options));
  }

  async claimDue(owner: string): Promise<DeliveryRow | undefined> {
    const now = this.now();
    const { rows } = await this.pool.query<RawDelivery>(
      `UPDATE queue_deliveries SET status = 'sending', lease_owner = $1, lease_expires_at = $2, attempts = attempts + 1
       WHERE id = (SELECT id FROM queue_deliveries WHERE (status = 'pending' AND next_attempt_at <= $3) OR (status = 'sending' AND lease_expires_at < $3)
                   ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [owner, now + this.leaseMs, now],
    );
    return rows[0] === undefined ? undefined : toDelivery(rows[0]);
  }

  async markSent(id: number, owner: string): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE queue_deliveries SET status = 'sent', sent_at = $1, lease_owner = NULL, lease_expires_at = NULL, last_error = NULL
       WHERE id = $2 AND lease_owner = $3 AND status = 'sending'`,
      [this.now(), id, owner],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async markFailed(id: number, owner: string, error: string): Promise<{ readonly status: DeliveryStatus; readonly nextAttemptAt: number } | undefined> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ attempts: number }>("SELECT attempts FROM queue_deliveries WHERE id = $1 AND lease_owner = $2 AND status = 'sending' FOR UPDATE", [id, owner]);
      const row = rows[0];
      if (row === undefined) return undefined;
      const attempts = Number(row.attempts);
      const nextAttemptAt = this.now() + backoffDelayMs(attempts, this.backoffBaseMs, this.backoffMaxMs);
      const status: DeliveryStatus = attempts >= this.maxAttempts ? 'failed' : 'pending';
      await client.query('UPDATE queue_deliveries SET status = $1, next_attempt_at = $2, last_error = $3, lease_owner = NULL, lease_expires_at = NULL WHERE id = $4', [
        status, nextAttemptAt, error.slice(0, 2000), id,
      ]);
      return { status, nextAttemptAt };
    });
  }

  async nextDueAt(): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ t: string | null }>(
      "SELECT min(CASE WHEN status = 'pending' THEN next_attempt_at ELSE lease_expires_at END) AS t FROM queue_deliveries WHERE status IN ('pending', 'sending')",
    );
    const t = rows[0]?.t ?? null;
    return t === null ? undefined : Number(t);
  }

  async forJob(jobId: string): Promise<DeliveryRow[]> {
    return (await this.pool.query<RawDelivery>('SELECT * FROM queue_deliveries WHERE job_id = $1 ORDER BY id', [jobId])).rows.map(toDelivery);
  }

  async stats(): Promise<DeliveryStats> {
    const counts = { pending: 0, sending: 0, sent: 0, failed: 0 };
    for (const row of (await this.pool.query<{ status: DeliveryStatus; n: number }>('SELECT status, count(*)::int AS n FROM queue_deliveries GROUP BY status')).rows) counts[row.status] = row.n;
    const retrying = (await this.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM queue_deliveries WHERE status IN ('pending', 'sending') AND last_error IS NOT NULL")).rows[0]?.n ?? 0;
    const errors = (await this.pool.query<{ destination: string; job_id: string; last_error: string; attempts: number }>(
      "SELECT destination, job_id, last_error, attempts FROM queue_deliveries WHERE last_error IS NOT NULL AND status != 'sent' ORDER BY next_attempt_at DESC LIMIT 10",
    )).rows;
    return { ...counts, retrying, recentErrors: errors.map((e) => ({ destination: e.destination, jobId: e.job_id, error: e.last_error, attempts: Number(e.attempts) })) };
  }
}
