import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { AuthStore } from '../auth/index.js';
import { repositoryRoot } from '../cli/packageVersion.js';
import { createDetector } from '../detector/Detector.js';
import { DrfdsError, describeThrown } from '../errors/DrfdsError.js';
import { createStudyApp } from '../study/http/index.js';
import { StudyStore } from '../study/store/StudyStore.js';
import type { DeliveryQueue } from '../queue/DeliveryQueue.js';
import type { JobQueue } from '../queue/JobQueue.js';
import { openSqlite, type SqliteDatabase } from '../storage/sqlite.js';
import { postgresDatabase, sqliteDatabase } from '../storage/sqlDatabase.js';
import type { AuditLog } from './AuditLog.js';
import type { ServeConfig } from './config.js';
import { Deliverer } from './delivery/Deliverer.js';
import { createDestination, type Destination } from './delivery/destinations.js';
import { StoreScp } from './dimse/StoreScp.js';
import { createApp, type ServerEnv } from './http/createApp.js';
import { Intake } from './intake/Intake.js';
import { JobRunner } from './JobRunner.js';
import { createLogger, type Logger } from './logger.js';
import { WorkerPool } from './processing/WorkerPool.js';
import { databasePath, openServiceStores, redactUrl, type ServiceStores } from './stores.js';
import type { TokenStore } from './tokens.js';

export interface ServiceOptions {
  readonly logger?: Logger;
  /** Extra Hono apps to mount (the reader study mounts itself at /study when available). */
  readonly mounts?: ReadonlyArray<{ readonly path: string; readonly app: Hono<any> }>;
  /** Start the HTTP listener (false: use `service.app.request()` in tests). Default true. */
  readonly listen?: boolean;
  /** Delivery poll interval (how soon another process's retries are picked up). */
  readonly deliveryPollMs?: number;
  /** Mount the reader-study app (src/study/http) at /study, on the same database and accounts. Default true. */
  readonly mountStudy?: boolean;
}

export { databasePath } from './stores.js';

/**
 * `drfds serve` on one machine: the database (SQLite, WAL), the intake shared by HTTP, STOW-RS and the C-STORE
 * listener, the worker pool fed from the durable queue, the outbox sender to the PACS, and the HTTP app.
 * Several services may run on one data directory (one database): they share the queue without doubling work.
 */
export class DrfdsService {
  readonly startedAt = Date.now();
  private httpServer: ServerType | undefined;
  httpPort = 0;

  private constructor(
    readonly config: ServeConfig,
    /** The SQLite file of the data directory: the database of the queue, accounts and reader study unless PostgreSQL is configured. */
    readonly db: SqliteDatabase,
    readonly stores: ServiceStores,
    readonly queue: JobQueue,
    readonly deliveries: DeliveryQueue,
    readonly tokens: TokenStore,
    readonly audit: AuditLog,
    readonly intake: Intake,
    readonly pool: WorkerPool,
    readonly runner: JobRunner,
    readonly deliverer: Deliverer,
    readonly scp: StoreScp | undefined,
    readonly app: Hono<ServerEnv>,
    readonly logger: Logger,
    /** Emits 'change' for every job and delivery state change (the SSE feed). */
    readonly events: EventEmitter,
    /** Unique per process: the owner of its claims in the shared queue. */
    readonly workerId: string,
  ) {}

  static async start(config: ServeConfig, options: ServiceOptions = {}): Promise<DrfdsService> {
    const logger = options.logger ?? createLogger({ level: config.logLevel });
    const db = openSqlite(databasePath(config.dataDir));
    let stores: ServiceStores;
    try {
      stores = await openServiceStores({
        dataDir: config.dataDir, database: config.database, sqlite: db,
        queue: { leaseMs: config.workers.leaseMs, maxAttempts: config.workers.maxAttempts },
        deliveries: { backoffBaseMs: config.delivery.backoffBaseMs, backoffMaxMs: config.delivery.backoffMaxMs, maxAttempts: config.delivery.maxAttempts },
      });
    } catch (error) {
      db.close();
      throw new DrfdsError('service/database', `cannot open the database ${config.database === undefined ? databasePath(config.dataDir) : redactUrl(config.database)}: ${describeThrown(error)}`);
    }
    const { queue, deliveries, tokens, audit } = stores;
    // Accounts and reader study in the same database as the queue: the SQLite file, or PostgreSQL when configured.
    const accountsDb = stores.pool === undefined ? sqliteDatabase(db) : postgresDatabase(stores.pool);
    const auth = new AuthStore(accountsDb);
    const studies = new StudyStore(accountsDb);
    try {
      await Promise.all([auth.ready(), studies.ready()]);
    } catch (error) {
      await stores.close().catch(() => undefined);
      db.close();
      throw new DrfdsError('service/database', `cannot set up the accounts and reader-study tables: ${describeThrown(error)}`);
    }
    const events = new EventEmitter();
    events.setMaxListeners(1000);
    let pool: WorkerPool;
    try {
      pool = await WorkerPool.start({ size: config.workers.count, modelDir: config.model, intraOpNumThreads: config.workers.intraOpNumThreads, logger });
    } catch (error) {
      await stores.close();
      db.close();
      throw error;
    }
    const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const destinations = new Map<string, Destination>(config.delivery.destinations.map((d) => [d.name, createDestination(d, config.dicom.aeTitle)]));
    const runner = new JobRunner({
      queue, pool, dataDir: config.dataDir, workerId, destinations: [...destinations.keys()], pollMs: config.workers.pollMs, logger,
      ...(config.uidRoot === undefined ? {} : { uidRoot: config.uidRoot }),
      ...(config.institutionName === undefined ? {} : { institutionName: config.institutionName }),
      onChange: (event) => {
        events.emit('change', event);
        if (event.status === 'done') deliverer.wake();
      },
    });
    const deliverer = new Deliverer({
      deliveries, destinations, dataDir: config.dataDir, owner: workerId, concurrency: config.delivery.concurrency, pollMs: options.deliveryPollMs ?? 1000, logger,
      onChange: (event) => events.emit('change', event),
    });
    const intake = new Intake({
      dataDir: config.dataDir, queue, maxBytes: config.http.maxUploadBytes, logger,
      onAccepted: (job) => {
        events.emit('change', { type: 'job', id: job.id, status: job.status });
        runner.wake();
      },
    });
    const scp = config.dicom.enabled
      ? new StoreScp({ host: config.dicom.host, port: config.dicom.port, aeTitle: config.dicom.aeTitle, allowedCallingAeTitles: config.dicom.allowedCallingAeTitles, maxBytes: config.http.maxUploadBytes, intake, logger })
      : undefined;
    let service: DrfdsService | undefined;
    const app = createApp({
      queue, deliveries, intake, tokens, audit, auth, events, logger, dataDir: config.dataDir, maxUploadBytes: config.http.maxUploadBytes,
      secureCookies: config.http.secureCookies, webDir: join(repositoryRoot(), 'web', 'worklist'),
      runtime: () => ({
        startedAt: service?.startedAt ?? Date.now(), workerId, workers: pool.size, busyWorkers: runner.busy, model: pool.model,
        dicom: scp === undefined ? undefined : { aeTitle: config.dicom.aeTitle, port: scp.port },
      }),
      mounts: [
        ...(options.mountStudy === false ? [] : [{
          path: '/study',
          app: createStudyApp({
            auth, studies, dataRoots: [join(repositoryRoot(), '..', 'shared')], loadDetector: (dir: string) => createDetector(dir),
            defaultModelDir: config.model, secureCookie: config.http.secureCookies,
          }),
        }]),
        ...(options.mounts ?? []),
      ],
    });
    service = new DrfdsService(config, db, stores, queue, deliveries, tokens, audit, intake, pool, runner, deliverer, scp, app, logger, events, workerId);
    try {
      if (scp !== undefined) await scp.start();
      if (options.listen !== false) await service.listenHttp();
    } catch (error) {
      await service.stop();
      throw error;
    }
    runner.start();
    deliverer.start();
    logger.info('service.started', {
      workerId, database: stores.backend, httpPort: service.httpPort, dicomPort: scp?.port ?? null, aeTitle: config.dicom.aeTitle, workers: pool.size,
      model: pool.model === undefined ? null : `${pool.model.name} ${pool.model.version}`, destinations: [...destinations.keys()],
    });
    return service;
  }

  private listenHttp(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = serve({ fetch: this.app.fetch, port: this.config.http.port, hostname: this.config.http.host }, (info) => {
        this.httpPort = info.port;
        resolve();
      });
      server.once('error', reject);
      this.httpServer = server;
    });
  }

  /** Stops taking work, lets running jobs finish (their leases cover the rest), closes listeners and the database. */
  async stop(options: { readonly graceMs?: number } = {}): Promise<void> {
    this.events.emit('shutdown');
    await this.scp?.stop();
    const http = this.httpServer;
    this.httpServer = undefined;
    if (http !== undefined) {
      (http as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
    await this.runner.stop(options.graceMs ?? 5_000);
    await this.deliverer.stop();
    await this.pool.close();
    await this.stores.close().catch((error: unknown) => this.logger.warn('service.database-close-failed', { error: describeThrown(error) }));
    if (this.db.open) this.db.close();
    this.logger.info('service.stopped', { workerId: this.workerId });
  }
}
