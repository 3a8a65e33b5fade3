import { join } from 'node:path';
import { SqliteDeliveryQueue, type DeliveryQueue, type DeliveryQueueOptions } from '../queue/DeliveryQueue.js';
import { SqliteJobQueue, type JobQueue, type JobQueueOptions } from '../queue/JobQueue.js';
import { migratePostgresQueue, PostgresDeliveryQueue, PostgresJobQueue } from '../queue/PostgresQueue.js';
import { applyPostgresMigrations, openPostgres, type PostgresPool } from '../storage/postgres.js';
import { openSqlite, type SqliteDatabase } from '../storage/sqlite.js';
import { PostgresAuditLog, SqliteAuditLog, type AuditLog } from './AuditLog.js';
import { POSTGRES_SERVER_MIGRATIONS } from './serverMigrations.js';
import { PostgresTokenStore, SqliteTokenStore, type TokenStore } from './tokens.js';

/** The database file of a data directory. */
export const databasePath = (dataDir: string): string => join(dataDir, 'drfds.sqlite');

/** True for a PostgreSQL connection string (`postgres://…` or `postgresql://…`). */
export const isPostgresUrl = (value: string): boolean => /^postgres(ql)?:\/\//i.test(value);

/** The connection string with its password hidden, for logs and messages. */
export const redactUrl = (url: string): string => url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/i, '$1:***@');

/**
 * What the processes of one deployment share through the database: the job queue, the delivery outbox, the API
 * tokens and the audit log. SQLite (`drfds.sqlite` in the data directory) by default; PostgreSQL when `database`
 * is a connection string.
 */
export interface ServiceStores {
  readonly backend: 'sqlite' | 'postgres';
  readonly queue: JobQueue;
  readonly deliveries: DeliveryQueue;
  readonly tokens: TokenStore;
  readonly audit: AuditLog;
  /** The PostgreSQL pool, when that is the backend. */
  readonly pool?: PostgresPool;
  close(): Promise<void>;
}

export interface StoreOptions {
  readonly dataDir: string;
  /** `postgres://…` for PostgreSQL; undefined for the SQLite file of the data directory. */
  readonly database?: string | undefined;
  /** An SQLite database already open on that file (the service shares its handle with the reader-study stores). */
  readonly sqlite?: SqliteDatabase;
  readonly queue?: JobQueueOptions;
  readonly deliveries?: DeliveryQueueOptions;
  /** PostgreSQL pool size (default 10). */
  readonly poolSize?: number;
}

export async function openServiceStores(options: StoreOptions): Promise<ServiceStores> {
  if (options.database !== undefined && isPostgresUrl(options.database)) {
    const pool = openPostgres(options.database, { max: options.poolSize ?? 10 });
    try {
      await migratePostgresQueue(pool);
      await applyPostgresMigrations(pool, 'server', POSTGRES_SERVER_MIGRATIONS);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return {
      backend: 'postgres', pool,
      queue: new PostgresJobQueue(pool, options.queue), deliveries: new PostgresDeliveryQueue(pool, options.deliveries),
      tokens: new PostgresTokenStore(pool), audit: new PostgresAuditLog(pool),
      close: async () => { await pool.end(); },
    };
  }
  const owned = options.sqlite === undefined;
  const db = options.sqlite ?? openSqlite(databasePath(options.dataDir));
  return {
    backend: 'sqlite',
    queue: new SqliteJobQueue(db, options.queue), deliveries: new SqliteDeliveryQueue(db, options.deliveries),
    tokens: new SqliteTokenStore(db), audit: new SqliteAuditLog(db),
    close: async () => { if (owned && db.open) db.close(); },
  };
}
