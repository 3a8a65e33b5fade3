/**
 * Worker for the fuzz test: reads each byte buffer it is sent with readRadiograph and reports the outcome, so the
 * test thread can detect a hang (a synchronous decoder loop cannot be interrupted in its own thread).
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { DrfdsError } from '../../errors/DrfdsError.js';
import { readRadiograph } from '../index.js';

export type FuzzOutcome =
  | { readonly kind: 'image'; readonly valid: boolean; readonly detail: string; readonly sha256: string }
  | { readonly kind: 'drfds-error'; readonly code: string; readonly message: string }
  | { readonly kind: 'other-error'; readonly detail: string };

export interface FuzzRequest {
  readonly id: number;
  readonly bytes: Uint8Array;
}

function run(bytes: Uint8Array): FuzzOutcome {
  try {
    const { display, metadata } = readRadiograph(bytes, { source: 'fuzz case' });
    const valid =
      display.width > 0 &&
      display.height > 0 &&
      display.width === metadata.columns &&
      display.height === metadata.rows &&
      display.data.length === display.width * display.height;
    const sha256 = createHash('sha256').update(display.data).digest('hex');
    return { kind: 'image', valid, detail: `${display.width}×${display.height}, ${display.data.length} bytes`, sha256 };
  } catch (error) {
    if (error instanceof DrfdsError) return { kind: 'drfds-error', code: error.code, message: error.message };
    const detail = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : `non-Error thrown: ${String(error)}`;
    return { kind: 'other-error', detail };
  }
}

parentPort?.on('message', (request: FuzzRequest) => {
  parentPort?.postMessage({ id: request.id, outcome: run(request.bytes) });
});
