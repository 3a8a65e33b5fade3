import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../workers/startModuleWorker.js';
import { DrfdsError } from '../../errors/DrfdsError.js';
import type { ModelIdentity } from '../../detector/DetectionResult.js';
import type { Logger } from '../logger.js';
import type { FromWorker, InferenceWorkerData, ToWorker } from './messages.js';
import type { ProcessInput, ProcessOutput } from './processImage.js';

export type ProcessOutcome =
  | { readonly ok: true; readonly output: ProcessOutput }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** The thread running a job stopped (crash, out of memory): the job did not finish and may be retried. */
export class WorkerCrashedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerCrashedError';
  }
}

export interface WorkerPoolOptions {
  readonly size: number;
  readonly modelDir: string;
  /** onnxruntime intra-op threads per worker (0 = onnxruntime's default). */
  readonly intraOpNumThreads?: number;
  readonly logger: Logger;
}

interface Slot {
  worker: Worker;
  busy: { resolve: (o: ProcessOutcome) => void; reject: (e: Error) => void; jobId: string } | undefined;
}

function createWorker(workerData: InferenceWorkerData): Worker {
  return startModuleWorker(import.meta.url, 'inferenceWorker', { workerData });
}

/**
 * A fixed pool of inference threads (worker_threads), each holding its own onnxruntime session. A thread that dies
 * is replaced; the job it held is reported as crashed (WorkerCrashedError) so the caller can retry it.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  /** Every thread started, ready or still loading its model, so close() stops them all. */
  private readonly threads = new Set<Worker>();
  private closing = false;
  model: ModelIdentity | undefined;

  private constructor(private readonly options: WorkerPoolOptions) {}

  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    try {
      await Promise.all(Array.from({ length: Math.max(1, options.size) }, () => pool.spawn()));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  idleCount(): number {
    return this.slots.filter((s) => s.busy === undefined).length;
  }

  private spawn(): Promise<Slot> {
    const worker = createWorker({ modelDir: this.options.modelDir, intraOpNumThreads: this.options.intraOpNumThreads ?? 0 });
    const slot: Slot = { worker, busy: undefined };
    this.threads.add(worker);
    if (this.closing) void worker.terminate();
    return new Promise<Slot>((resolve, reject) => {
      let ready = false;
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          ready = true;
          if (this.closing) return;
          this.model = message.model;
          this.slots.push(slot);
          resolve(slot);
        } else if (message.type === 'init-failed') {
          reject(new DrfdsError(message.code, `the inference worker cannot load the model: ${message.message}`));
        } else if (slot.busy !== undefined && message.jobId === slot.busy.jobId) {
          const busy = slot.busy;
          slot.busy = undefined;
          busy.resolve(message.type === 'done' ? { ok: true, output: message.output } : { ok: false, code: message.code, message: message.message });
        }
      });
      let lastError = '';
      worker.on('error', (error) => {
        lastError = error.message;
        this.options.logger.error('worker.error', { error: error.message });
      });
      worker.on('exit', (code) => {
        this.threads.delete(worker);
        const index = this.slots.indexOf(slot);
        if (index >= 0) this.slots.splice(index, 1);
        if (!ready) {
          reject(new DrfdsError('processing/worker-start-failed', `an inference worker stopped while starting (exit code ${code})${lastError === '' ? '' : `: ${lastError}`}`));
          return;
        }
        if (slot.busy !== undefined) {
          slot.busy.reject(new WorkerCrashedError(`the inference worker stopped (exit code ${code}) while processing`));
          slot.busy = undefined;
        }
        if (!this.closing) {
          this.options.logger.warn('worker.replaced', { exitCode: code });
          this.spawn().catch((error: unknown) => this.options.logger.error('worker.respawn-failed', { error: String(error) }));
        }
      });
    });
  }

  /** Runs one job on an idle thread. Call only when idleCount() > 0. */
  run(input: ProcessInput): Promise<ProcessOutcome> {
    const slot = this.slots.find((s) => s.busy === undefined);
    if (slot === undefined) return Promise.reject(new Error('WorkerPool.run called with no idle worker'));
    return new Promise<ProcessOutcome>((resolve, reject) => {
      slot.busy = { resolve, reject, jobId: input.jobId };
      const message: ToWorker = { type: 'job', input };
      slot.worker.postMessage(message);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.threads].map((worker) => worker.terminate()));
    this.slots.length = 0;
  }
}
