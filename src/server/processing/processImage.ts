import { join } from 'node:path';
import sharp from 'sharp';
import type { DetectionResult } from '../../detector/DetectionResult.js';
import type { Detector } from '../../detector/Detector.js';
import { detectFile } from '../../detector/detectFile.js';
import { COMPREHENSIVE_SR_STORAGE, GRAYSCALE_SOFTCOPY_PRESENTATION_STATE_STORAGE, resultUids, writePresentationState, writeResultSr, DEFAULT_UID_ROOT } from '../../dicom/write/index.js';
import type { GrayImage8 } from '../../image/GrayImage.js';
import type { SourceFormat } from '../../queue/JobQueue.js';
import { writeFileDurably } from '../storage/durableWrite.js';

export interface ProcessInput {
  readonly jobId: string;
  readonly dataDir: string;
  /** Relative to dataDir. */
  readonly imagePath: string;
  readonly sourceFormat: SourceFormat;
  /** When the image arrived: the creation time written into the SR and presentation state, so a re-run is byte-identical. */
  readonly receivedAt: number;
  readonly uidRoot?: string;
  readonly institutionName?: string;
  /** Longest side of the viewer's preview PNG. */
  readonly previewMaxSide?: number;
}

export interface ResultObject {
  readonly kind: 'sr' | 'gsps';
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** Relative to dataDir. */
  readonly filePath: string;
}

export interface ProcessOutput {
  readonly result: DetectionResult;
  /** Relative to dataDir. */
  readonly previewPath: string;
  /** The SR and presentation state, for DICOM input only (a JPEG or PNG has no patient or study to attach them to). */
  readonly objects: readonly ResultObject[];
}

/** Downscaled 8-bit PNG of what the radiologist sees, for the web viewer (boxes are scaled by the browser). */
async function previewPng(image: GrayImage8, maxSide: number): Promise<Buffer> {
  const scale = Math.min(1, maxSide / Math.max(image.width, image.height));
  const pipeline = sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width: image.width, height: image.height, channels: 1 } });
  const resized = scale < 1 ? pipeline.resize(Math.max(1, Math.round(image.width * scale)), Math.max(1, Math.round(image.height * scale)), { kernel: 'lanczos3' }) : pipeline;
  return resized.png({ compressionLevel: 6 }).toBuffer();
}

/**
 * One job, start to finish, in a worker thread: read the stored image (DICOM through the DICOM layer, JPEG/PNG
 * through the image decoder), run the detector, write the preview and — for DICOM — the SR and presentation state
 * into the data directory (durably; deterministic UIDs and creation time, so a retried job writes the same bytes).
 * Throws DrfdsError for an image that cannot be read; the caller fails the job with that reason.
 */
export async function processImage(detector: Detector, input: ProcessInput): Promise<ProcessOutput> {
  const { result, input: read } = await detectFile(detector, join(input.dataDir, input.imagePath), { file: input.jobId });

  const previewPath = join('previews', `${input.jobId}.png`);
  writeFileDurably(join(input.dataDir, previewPath), await previewPng(read.image, input.previewMaxSide ?? 1024));

  const objects: ResultObject[] = [];
  if (read.metadata !== undefined) {
    const metadata = read.metadata;
    const common = {
      uidRoot: input.uidRoot ?? DEFAULT_UID_ROOT,
      now: new Date(input.receivedAt),
      ...(input.institutionName === undefined ? {} : { institutionName: input.institutionName }),
    };
    const uids = resultUids(common.uidRoot, metadata, result.model);
    const voi = read.rendering?.voi;
    const modality = read.rendering?.modality;
    const sr = writeResultSr(metadata, result, common);
    const gsps = writePresentationState(metadata, result, {
      ...common,
      ...(voi?.kind === 'window' ? { voiWindow: { center: voi.center, width: voi.width } } : {}),
      ...(modality?.kind === 'rescale' ? { rescale: { slope: modality.slope, intercept: modality.intercept } } : {}),
    });
    const srPath = join('results', `${input.jobId}-sr.dcm`);
    const gspsPath = join('results', `${input.jobId}-gsps.dcm`);
    writeFileDurably(join(input.dataDir, srPath), sr);
    writeFileDurably(join(input.dataDir, gspsPath), gsps);
    objects.push({ kind: 'sr', sopClassUid: COMPREHENSIVE_SR_STORAGE, sopInstanceUid: uids.srInstance, filePath: srPath });
    objects.push({ kind: 'gsps', sopClassUid: GRAYSCALE_SOFTCOPY_PRESENTATION_STATE_STORAGE, sopInstanceUid: uids.presentationStateInstance, filePath: gspsPath });
  }
  return { result, previewPath, objects };
}
