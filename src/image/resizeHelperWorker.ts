/** The ResizeHelper's thread: runs half passes of resizeTriangle over shared buffers and signals each end. */
import { parentPort } from 'node:worker_threads';
import type { HelperMessage } from './ResizeHelper.js';
import { horizontalRows, verticalRows } from './resampleRows.js';

parentPort?.on('message', ({ job, done }: HelperMessage) => {
  const flag = new Int32Array(done);
  let outcome = 1;
  try {
    const src = new Uint8Array(job.src);
    const out = new Uint8Array(job.out);
    if (job.pass === 'horizontal') horizontalRows(src, job.inWidth, job.first, job.from, job.to, out, job.coefficients);
    else verticalRows(src, job.width, job.rowOffset, job.from, job.to, job.coefficients, out);
  } catch {
    outcome = 2;
  }
  Atomics.store(flag, 0, outcome);
  Atomics.notify(flag, 0);
});
