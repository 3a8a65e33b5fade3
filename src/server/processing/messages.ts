import type { ProcessInput, ProcessOutput } from './processImage.js';

/** workerData of an inference thread. */
export interface InferenceWorkerData {
  readonly modelDir: string;
  readonly intraOpNumThreads: number;
}

export type ToWorker = { readonly type: 'job'; readonly input: ProcessInput } | { readonly type: 'stop' };

export type FromWorker =
  | { readonly type: 'ready'; readonly model: { readonly name: string; readonly version: string; readonly sha256: string; readonly trained: boolean } }
  | { readonly type: 'init-failed'; readonly code: string; readonly message: string }
  | { readonly type: 'done'; readonly jobId: string; readonly output: ProcessOutput }
  | { readonly type: 'failed'; readonly jobId: string; readonly code: string; readonly message: string };
