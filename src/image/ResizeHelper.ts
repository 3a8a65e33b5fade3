import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../workers/startModuleWorker.js';
import type { Coefficients } from './resampleRows.js';

/** One half-pass for the helper thread: the rows [from, to) of a pass over shared buffers. */
export type HalfPass =
  | { readonly pass: 'horizontal'; readonly src: SharedArrayBuffer; readonly inWidth: number; readonly first: number; readonly from: number; readonly to: number; readonly out: SharedArrayBuffer; readonly coefficients: Coefficients }
  | { readonly pass: 'vertical'; readonly src: SharedArrayBuffer; readonly width: number; readonly rowOffset: number; readonly from: number; readonly to: number; readonly out: SharedArrayBuffer; readonly coefficients: Coefficients };

export interface HelperMessage {
  readonly job: HalfPass;
  /** Int32Array over 4 bytes: 0 while working, 1 done, 2 failed. */
  readonly done: SharedArrayBuffer;
}

const WORKING = 0;
const FAILED = 2;
/** Longer than any half pass can take; past it the caller does the rows itself and stops using the helper. */
const PATIENCE_MS = 5000;

/**
 * A second thread for the two passes of resizing a large radiograph (1760×2140 → 512×623: ~15 ms on one core of
 * the 2-core dev machine). The caller hands it half of a pass, does the other half, then waits (Atomics.wait: the
 * passes are synchronous). If the thread fails or stalls, the caller computes that half itself — the result never
 * depends on the helper — and the helper is not used again. Its thread never keeps the process alive.
 */
export class ResizeHelper {
  #worker: Worker | undefined;
  readonly #done = new Int32Array(new SharedArrayBuffer(4));
  /** Shared scratch per use (source rows, intermediate, output), grown as needed, dropped with the helper. */
  #scratch = new Map<string, SharedArrayBuffer>();

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.unref();
    worker.on('error', () => this.#retire());
    worker.on('exit', () => {
      this.#worker = undefined;
    });
  }

  static start(): ResizeHelper {
    return new ResizeHelper(startModuleWorker(import.meta.url, 'resizeHelperWorker'));
  }

  get available(): boolean {
    return this.#worker !== undefined;
  }

  /** At least `length` bytes of shared memory for `use` (contents undefined), reused from call to call. */
  shared(use: 'source' | 'intermediate' | 'output', length: number): Uint8Array {
    let buffer = this.#scratch.get(use);
    if (buffer === undefined || buffer.byteLength < length) {
      buffer = new SharedArrayBuffer(length);
      this.#scratch.set(use, buffer);
    }
    return new Uint8Array(buffer);
  }

  /**
   * Runs `job` on the helper thread while `ownPart` runs here, and returns once both are done. Returns false when
   * the helper is unavailable, fails or stalls: `job`'s rows are then not (reliably) done and the caller does them.
   */
  share(job: HalfPass, ownPart: () => void): boolean {
    const worker = this.#worker;
    if (worker === undefined) {
      ownPart();
      return false;
    }
    Atomics.store(this.#done, 0, WORKING);
    const message: HelperMessage = { job, done: this.#done.buffer as SharedArrayBuffer };
    worker.postMessage(message);
    try {
      ownPart();
    } finally {
      // Even when ownPart throws, the helper must be finished before the shared buffers are reused.
      const outcome = Atomics.wait(this.#done, 0, WORKING, PATIENCE_MS);
      if (outcome === 'timed-out' || Atomics.load(this.#done, 0) === FAILED) this.#retire();
    }
    return this.#worker !== undefined;
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  #retire(): void {
    const worker = this.#worker;
    this.#worker = undefined;
    // A stalled thread may still write into the scratch: it is never handed out again.
    this.#scratch = new Map();
    void worker?.terminate();
  }
}
