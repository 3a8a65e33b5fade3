import type { JobQueue, JobRow, NewDelivery } from '../queue/JobQueue.js';
import { ClaimRounds } from './ClaimRounds.js';
import type { Logger } from './logger.js';
import { WorkerCrashedError, type WorkerPool } from './processing/WorkerPool.js';

export type JobEvent = { readonly type: 'job'; readonly id: string; readonly status: JobRow['status'] };

export interface JobRunnerOptions {
  readonly queue: JobQueue;
  readonly pool: WorkerPool;
  readonly dataDir: string;
  /** Unique per process (several processes may share one database). */
  readonly workerId: string;
  /** Names of the destinations every result goes to. */
  readonly destinations: readonly string[];
  /** How often to look for work queued by other processes or left by a dead one. */
  readonly pollMs?: number;
  readonly uidRoot?: string;
  readonly institutionName?: string;
  readonly logger: Logger;
  readonly onChange?: (event: JobEvent) => void;
}

/**
 * Feeds the worker pool from the durable queue: claims a job whenever a thread is idle, renews the leases of the
 * jobs in flight, and records each outcome (result + deliveries in one transaction, or the failure reason).
 */
export class JobRunner {
  private readonly inFlight = new Map<string, Promise<void>>();
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly rounds = new ClaimRounds(() => this.pump(), () => this.stopping);

  constructor(private readonly options: JobRunnerOptions) {}

  start(): void {
    const { queue } = this.options;
    this.pollTimer = setInterval(() => this.wake(), this.options.pollMs ?? 500);
    this.heartbeatTimer = setInterval(() => {
      queue.heartbeat(this.options.workerId, [...this.inFlight.keys()]).catch((error: unknown) => {
        this.options.logger.error('queue.heartbeat-failed', { error: String(error) });
      });
    }, Math.max(100, Math.floor(queue.leaseMs / 3)));
    this.wake();
  }

  get busy(): number {
    return this.inFlight.size;
  }

  /**
   * Claims as many jobs as there are idle threads. Called after each enqueue, each finished job and on a timer;
   * a call while a claim round runs asks that round to look once more.
   */
  wake(): void {
    this.rounds.wake();
  }

  private async pump(): Promise<void> {
    try {
      while (!this.stopping && this.options.pool.idleCount() > 0) {
        this.rounds.absorbWakes();
        const job = await this.options.queue.claim(this.options.workerId);
        if (job === undefined) break;
        if (this.stopping) {
          await this.options.queue.release(job.id, this.options.workerId);
          break;
        }
        this.options.onChange?.({ type: 'job', id: job.id, status: 'running' });
        const done = this.process(job).finally(() => {
          this.inFlight.delete(job.id);
          this.wake();
        });
        this.inFlight.set(job.id, done);
      }
    } catch (error) {
      this.options.logger.error('queue.claim-failed', { error: String(error) });
    }
  }

  private async process(job: JobRow): Promise<void> {
    const { queue, pool, logger, workerId } = this.options;
    const started = Date.now();
    try {
      const outcome = await pool.run({
        jobId: job.id,
        dataDir: this.options.dataDir,
        imagePath: job.imagePath,
        sourceFormat: job.sourceFormat,
        receivedAt: job.receivedAt,
        ...(this.options.uidRoot === undefined ? {} : { uidRoot: this.options.uidRoot }),
        ...(this.options.institutionName === undefined ? {} : { institutionName: this.options.institutionName }),
      });
      if (outcome.ok) {
        const { result, previewPath, objects } = outcome.output;
        const deliveries: NewDelivery[] = this.options.destinations.flatMap((destination) => objects.map((o) => ({ destination, ...o })));
        const recorded = await queue.complete(job.id, workerId, {
          resultJson: JSON.stringify(result), probability: result.probability, decision: result.decision, previewPath, deliveries,
        });
        logger.info(recorded ? 'job.done' : 'job.claim-lost', {
          job: job.id, attempt: job.attempts, decision: result.decision, probability: Number(result.probability.toFixed(4)), ms: Date.now() - started, deliveries: deliveries.length,
        });
        if (recorded) this.options.onChange?.({ type: 'job', id: job.id, status: 'done' });
      } else {
        const recorded = await queue.fail(job.id, workerId, { code: outcome.code, message: outcome.message });
        logger.warn('job.failed', { job: job.id, code: outcome.code, ms: Date.now() - started });
        if (recorded) this.options.onChange?.({ type: 'job', id: job.id, status: 'failed' });
      }
    } catch (error) {
      if (error instanceof WorkerCrashedError && job.attempts < queue.maxAttempts) {
        await queue.release(job.id, workerId);
        logger.warn('job.worker-crashed', { job: job.id, attempt: job.attempts });
        this.options.onChange?.({ type: 'job', id: job.id, status: 'queued' });
      } else {
        const message = error instanceof Error ? error.message : String(error);
        await queue.fail(job.id, workerId, { code: error instanceof WorkerCrashedError ? 'processing/worker-crashed' : 'processing/error', message });
        logger.error('job.error', { job: job.id, error: message });
        this.options.onChange?.({ type: 'job', id: job.id, status: 'failed' });
      }
    }
  }

  /**
   * Stops claiming and waits up to `graceMs` for the jobs in flight; those still running are released back to the
   * queue (their results, if they arrive later, are discarded), so another process or the next start takes them.
   */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    const pending = Promise.allSettled([...this.inFlight.values()]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([pending, new Promise((resolve) => { timer = setTimeout(resolve, graceMs); })]);
    if (timer !== undefined) clearTimeout(timer);
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    for (const id of this.inFlight.keys()) {
      try {
        if (await this.options.queue.release(id, this.options.workerId)) this.options.logger.info('job.released-at-stop', { job: id });
      } catch {
        // the lease expires by itself
      }
    }
  }
}
