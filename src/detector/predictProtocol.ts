import type { ModelIdentity } from './DetectionResult.js';

/** workerData of a predict worker. */
export interface PredictWorkerSetup {
  readonly modelDir: string;
  readonly threads: number;
}

export type PredictWorkerRequest =
  | { readonly type: 'job'; readonly imageId: number; readonly path: string }
  | { readonly type: 'stop' };

/** A box in original (stored-image) pixels, corners. */
export interface PredictedBox {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  readonly score: number;
  readonly label: number;
}

export type PredictWorkerReply =
  | { readonly type: 'ready'; readonly model: ModelIdentity }
  | { readonly type: 'fatal'; readonly message: string }
  | { readonly type: 'done'; readonly imageId: number; readonly boxes: readonly PredictedBox[]; readonly width: number; readonly height: number; readonly ms: number }
  | { readonly type: 'failed'; readonly imageId: number; readonly message: string };
