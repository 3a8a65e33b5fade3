import { readFile } from 'node:fs/promises';
import { isProbablyDicom, readRadiograph, type RadiographMetadata, type RenderingInfo } from '../dicom/index.js';
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
 * Reads a DICOM, JPEG or PNG file by its content (not its extension): DICOM through the DICOM layer's pixel
 * pipeline, JPEG/PNG through the image decoder. Errors are DrfdsError naming the file.
 */
export async function readInputImage(path: string): Promise<InputImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new DrfdsError('input/unreadable', `${path}: cannot read the file: ${describeThrown(error)}`, { httpStatus: 400, cause: error });
  }
  if (bytes.length === 0) throw new DrfdsError('input/empty', `${path}: the file is empty`, { httpStatus: 400 });
  if (sniffRasterFormat(bytes) === undefined && isProbablyDicom(bytes)) {
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
