import { join } from 'node:path';
import { ClaimRounds } from '../ClaimRounds.js';
import type { DeliveryQueue, DeliveryRow } from '../../queue/DeliveryQueue.js';
import type { Logger } from '../logger.js';
import type { Destination } from './destinations.js';

export type DeliveryEvent = { readonly type: 'delivery'; readonly jobId: string; readonly destination: string; readonly kind: string; readonly status: DeliveryRow['status'] };

/**
 * Sends the outbox to the PACS: up to `concurrency` sends at once, each claimed with a lease; a failure is retried
 * after the queue's backoff delay. Wakes when results are recorded and when the next retry falls due.
 */
export class Deliverer {
  private readonly active = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly rounds = new ClaimRounds(() => this.pump(), () => this.stopping);

  constructor(
    private readonly options: {
      readonly deliveries: DeliveryQueue;
      readonly destinations: ReadonlyMap<string, Destination>;
      readonly dataDir: string;
      readonly owner: string;
      readonly concurrency: number;
      readonly pollMs: number;
      readonly logger: Logger;
      readonly onChange?: (event: DeliveryEvent) => void;
    },
  ) {}

  start(): void {
    this.wake();
  }

  /** Claims due deliveries up to the concurrency; a call while a claim round runs asks it to look once more. */
  wake(): void {
    this.rounds.wake();
  }

  private async pump(): Promise<void> {
    const { deliveries } = this.options;
    try {
      while (!this.stopping && this.active.size < this.options.concurrency) {
        this.rounds.absorbWakes();
        const row = await deliveries.claimDue(this.options.owner);
        if (row === undefined) break;
        const sending = this.send(row).finally(() => {
          this.active.delete(sending);
          this.wake();
        });
        this.active.add(sending);
      }
    } catch (error) {
      this.options.logger.error('delivery.claim-failed', { error: String(error) });
    }
    await this.schedule();
  }

  private async schedule(): Promise<void> {
    if (this.stopping) return;
    let delay = this.options.pollMs;
    try {
      const due = await this.options.deliveries.nextDueAt();
      if (due !== undefined) delay = Math.min(delay, Math.max(10, due - Date.now()));
    } catch {
      // the poll below retries
    }
    if (this.stopping) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }

  private async send(row: DeliveryRow): Promise<void> {
    const { deliveries, logger, owner } = this.options;
    const destination = this.options.destinations.get(row.destination);
    const started = Date.now();
    try {
      if (destination === undefined) throw new Error(`destination "${row.destination}" is no longer configured`);
      await destination.send(join(this.options.dataDir, row.filePath), { sopClassUid: row.sopClassUid, sopInstanceUid: row.sopInstanceUid });
      await deliveries.markSent(row.id, owner);
      logger.info('delivery.sent', { job: row.jobId, destination: row.destination, kind: row.kind, attempt: row.attempts, ms: Date.now() - started });
      this.options.onChange?.({ type: 'delivery', jobId: row.jobId, destination: row.destination, kind: row.kind, status: 'sent' });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const outcome = await deliveries.markFailed(row.id, owner, message).catch((failure: unknown) => {
        logger.error('delivery.record-failed', { job: row.jobId, error: String(failure) });
        return undefined;
      });
      logger.warn('delivery.failed', { job: row.jobId, destination: row.destination, kind: row.kind, attempt: row.attempts, error: message, retryInMs: outcome === undefined ? null : outcome.nextAttemptAt - Date.now(), gaveUp: outcome?.status === 'failed' });
      this.options.onChange?.({ type: 'delivery', jobId: row.jobId, destination: row.destination, kind: row.kind, status: outcome?.status ?? 'pending' });
    }
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    let t: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.active]), new Promise((r) => { t = setTimeout(r, timeoutMs); })]);
    if (t !== undefined) clearTimeout(t);
  }
}
