import { open } from 'node:fs/promises';
import { isProbablyDicom, readRadiograph, type RadiographMetadata, type RenderingInfo } from '../dicom/index.js';
import { codecsSettled } from '../dicom/nativeCodecs.js';
import { ReusableBuffer } from '../memory/ReusableBuffer.js';
import { DrfdsError, describeThrown } from '../errors/DrfdsError.js';
import { decodeImage, sniffRasterFormat } from '../image/decodeImage.js';
import type { GrayImage8 } from '../image/GrayImage.js';

/** One input radiograph, as the detector needs it: the displayed image and, for DICOM, its header. */
export interface InputImage {
  readonly path: string;
  readonly source: 'dicom' | 'jpeg' | 'png';
  readonly image: GrayImage8;
  /** DICOM only. */
  readonly metadata?: RadiographMetadata;
  /** DICOM only: how the display image was rendered (window, inversion), for the presentation state. */
  readonly rendering?: RenderingInfo;
  readonly warnings: readonly string[];
}

/**
 * The file's bytes live only until the image is decoded (nothing read from them keeps a view: header values are
 * copied out), so they are read into one block reused from file to file — a fresh 2 MB buffer costs ~6 ms of page
 * faults here, a used one 0.2 ms. Concurrent reads get fresh memory (ReusableBuffer lends one block at a time).
 */
const fileMemory = new ReusableBuffer();

/**
 * Reads a DICOM, JPEG or PNG file by its content (not its extension): DICOM through the DICOM layer's pixel
 * pipeline, JPEG/PNG through the image decoder. Errors are DrfdsError naming the file.
 */
export async function readInputImage(path: string): Promise<InputImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readWholeFile(path, fileMemory);
  } catch (error) {
    throw new DrfdsError('input/unreadable', `${path}: cannot read the file: ${describeThrown(error)}`, { httpStatus: 400, cause: error });
  }
  try {
    return await decodeInput(path, bytes);
  } finally {
    fileMemory.giveBack(bytes.buffer);
  }
}

async function decodeInput(path: string, bytes: Uint8Array): Promise<InputImage> {
  if (bytes.length === 0) throw new DrfdsError('input/empty', `${path}: the file is empty`, { httpStatus: 400 });
  if (sniffRasterFormat(bytes) === undefined && isProbablyDicom(bytes)) {
    await codecsSettled();
    const radiograph = readRadiograph(bytes, { source: path });
    return { path, source: 'dicom', image: radiograph.display, metadata: radiograph.metadata, rendering: radiograph.rendering, warnings: radiograph.warnings };
  }
  if (sniffRasterFormat(bytes) === undefined) {
    throw new DrfdsError('input/unsupported-format', `${path}: not a DICOM, JPEG or PNG file (unrecognised content)`, { httpStatus: 415 });
  }
  const decoded = await decodeImage(bytes, path);
  const warnings = decoded.colour ? [`${path}: colour image converted to gray (ITU-R BT.601 luminance)`] : [];
  return { path, source: decoded.format, image: decoded.image, warnings };
}

/** The whole file, in memory lent by `memory` (give `.buffer` back when done). */
async function readWholeFile(path: string, memory: ReusableBuffer): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  let buffer: ArrayBuffer | undefined;
  try {
    const { size } = await handle.stat();
    buffer = memory.lend(size);
    const bytes = new Uint8Array(buffer, 0, size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await handle.read(bytes, at, size - at, at);
      if (bytesRead === 0) break; // the file shrank while being read
      at += bytesRead;
    }
    return bytes.subarray(0, at);
  } catch (error) {
    if (buffer !== undefined) memory.giveBack(buffer);
    throw error;
  } finally {
    await handle.close();
  }
}
