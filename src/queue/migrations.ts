import type { Migration } from '../storage/sqlite.js';

/**
 * The durable job queue (namespace `queue`). Times are milliseconds since the epoch (INTEGER). A job moves
 * queued → running → done | failed; a running job whose lease expired (its worker died) is claimable again.
 * Deliveries are the transactional outbox of results to PACS destinations, written in the same transaction that
 * completes the job. `queue_events` is an append-only history (which worker did what, when), used for the status
 * page and to prove "processed exactly once".
 */
export const QUEUE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE queue_jobs (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
        received_at INTEGER NOT NULL,
        received_via TEXT NOT NULL,
        source_format TEXT NOT NULL CHECK (source_format IN ('dicom', 'jpeg', 'png')),
        image_path TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        sop_instance_uid TEXT,
        calling_ae TEXT,
        submitted_by TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        worker_id TEXT,
        lease_expires_at INTEGER,
        started_at INTEGER,
        finished_at INTEGER,
        probability REAL,
        decision TEXT,
        result_json TEXT,
        preview_path TEXT,
        error_code TEXT,
        error TEXT
      );
      CREATE INDEX queue_jobs_claim ON queue_jobs (status, received_at);
      CREATE INDEX queue_jobs_sha256 ON queue_jobs (sha256);
      CREATE TABLE queue_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT NOT NULL REFERENCES queue_jobs (id),
        destination TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('sr', 'gsps')),
        sop_class_uid TEXT NOT NULL,
        sop_instance_uid TEXT NOT NULL,
        file_path TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        lease_owner TEXT,
        lease_expires_at INTEGER,
        last_error TEXT,
        sent_at INTEGER,
        UNIQUE (job_id, destination, kind)
      );
      CREATE INDEX queue_deliveries_due ON queue_deliveries (status, next_attempt_at);
      CREATE TABLE queue_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
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
