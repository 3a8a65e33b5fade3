import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DrfdsError } from '../../errors/DrfdsError.js';
import type { JobQueue, JobRow, ReceivedVia } from '../../queue/JobQueue.js';
import type { Logger } from '../logger.js';
import { writeFileDurably } from '../storage/durableWrite.js';
import { inspectUpload } from './inspectUpload.js';

export interface Accepted {
  readonly id: string;
  /** True when exactly these bytes had been received before: the earlier job is returned, nothing new is queued. */
  readonly duplicate: boolean;
  readonly job: JobRow;
  /** DICOM only: from the header. */
  readonly sopClassUid?: string;
  readonly sopInstanceUid?: string;
}

export interface SubmitOptions {
  readonly via: ReceivedVia;
  readonly declaredType?: string;
  readonly callingAe?: string;
  readonly submittedBy?: string;
}

const uids = (i: { sopClassUid?: string; sopInstanceUid?: string }): { sopClassUid?: string; sopInstanceUid?: string } => ({
  ...(i.sopClassUid === undefined ? {} : { sopClassUid: i.sopClassUid }),
  ...(i.sopInstanceUid === undefined ? {} : { sopInstanceUid: i.sopInstanceUid }),
});

const EXTENSION = { dicom: 'dcm', jpeg: 'jpg', png: 'png' } as const;

/**
 * The one way an image enters the service (HTTP, STOW-RS and C-STORE all call it): check the header, write the
 * bytes to the data directory (fsync), queue the job (committed) — and only then return, so the caller's
 * acknowledgement (202, STOW response, C-STORE success) is never sent for an image that a crash could lose.
 */
export class Intake {
  constructor(
    private readonly options: {
      readonly dataDir: string;
      readonly queue: JobQueue;
      readonly maxBytes: number;
      readonly logger: Logger;
      readonly onAccepted?: (job: JobRow) => void;
    },
  ) {}

  async submit(bytes: Uint8Array, options: SubmitOptions): Promise<Accepted> {
    const { queue, logger } = this.options;
    if (bytes.length > this.options.maxBytes) {
      throw new DrfdsError('upload/too-large', `the image is ${bytes.length} bytes, above the limit of ${this.options.maxBytes} bytes (http.maxUploadBytes)`, { httpStatus: 413 });
    }
    const id = randomUUID();
    const inspected = await inspectUpload(bytes, `upload ${id}`, options.declaredType);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const earlier = await queue.findBySha256(sha256);
    // A re-sent image is answered with its job — unless that job failed: then the sender gets a fresh try.
    if (earlier !== undefined && earlier.status !== 'failed') {
      logger.info('intake.duplicate', { job: earlier.id, via: options.via, bytes: bytes.length });
      return { id: earlier.id, duplicate: true, job: earlier, ...uids(inspected) };
    }
    const day = new Date().toISOString().slice(0, 10);
    const imagePath = join('images', day, `${id}.${EXTENSION[inspected.format]}`);
    writeFileDurably(join(this.options.dataDir, imagePath), bytes);
    const job = await queue.enqueue({
      id,
      receivedVia: options.via,
      sourceFormat: inspected.format,
      imagePath,
      bytes: bytes.length,
      sha256,
      ...(inspected.sopInstanceUid === undefined ? {} : { sopInstanceUid: inspected.sopInstanceUid }),
      ...(options.callingAe === undefined ? {} : { callingAe: options.callingAe }),
      ...(options.submittedBy === undefined ? {} : { submittedBy: options.submittedBy }),
    });
    logger.info('intake.accepted', { job: id, via: options.via, format: inspected.format, bytes: bytes.length, ...(options.callingAe === undefined ? {} : { callingAe: options.callingAe }) });
    this.options.onAccepted?.(job);
    return { id, duplicate: false, job, ...uids(inspected) };
  }
}
