import sharp, { type OutputInfo } from 'sharp';
import { DrfdsError, describeThrown } from '../errors/DrfdsError.js';
import { createGrayImage8, type GrayImage8 } from './GrayImage.js';

export type RasterFormat = 'jpeg' | 'png';

export interface DecodedImage {
  readonly image: GrayImage8;
  readonly format: RasterFormat;
  /** Channels in the file before conversion to gray (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA). */
  readonly sourceChannels: number;
  /** True when some pixel had different R, G, B values (a real colour image, not gray stored as RGB). */
  readonly colour: boolean;
}

/** The format from the file signature (JPEG SOI marker FF D8 FF; PNG's 8-byte signature), or undefined. */
export function sniffRasterFormat(bytes: Uint8Array): RasterFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((value, i) => bytes[i] === value)) return 'png';
  return undefined;
}

/**
 * Luminance of an sRGB pixel as PIL's `Image.convert('L')` computes it (ITU-R BT.601 weights, integer arithmetic
 * `(R*19595 + G*38470 + B*7471 + 0x8000) >> 16`), so colour inputs become the same gray the trainer sees.
 */
export function lumaBt601(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

/**
 * Decodes a JPEG or PNG file to the 8-bit gray image a radiologist sees. Colour is converted to luminance (BT.601,
 * as PIL does); alpha is ignored; 16-bit PNGs are reduced to 8 bits by libvips. EXIF orientation is NOT applied,
 * as in the trainer's PIL loader, so box coordinates stay in the pixels as stored.
 * `source` names the file in error messages.
 */
export async function decodeImage(bytes: Uint8Array, source = 'the image'): Promise<DecodedImage> {
  const format = sniffRasterFormat(bytes);
  if (format === undefined) {
    throw new DrfdsError('image/unsupported-format', `${source} is neither DICOM, JPEG nor PNG (unrecognised file signature)`, { httpStatus: 415 });
  }
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await sharp(bytes, { failOn: 'error', limitInputPixels: 30000 * 30000 }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new DrfdsError('image/unreadable', `${source} could not be decoded as ${format.toUpperCase()}: ${describeThrown(error)}`, { httpStatus: 422, cause: error });
  }
  const { width, height, channels } = raw.info;
  const src = raw.data;
  const gray = new Uint8Array(width * height);
  if (channels === 1) {
    gray.set(src.subarray(0, width * height));
  } else if (channels === 2) {
    for (let i = 0; i < gray.length; i += 1) gray[i] = src[i * 2]!;
  }
  let colour = false;
  if (channels >= 3) {
    for (let i = 0, j = 0; i < gray.length; i += 1, j += channels) {
      const r = src[j]!;
      const g = src[j + 1]!;
      const b = src[j + 2]!;
      if (r !== g || g !== b) colour = true;
      gray[i] = lumaBt601(r, g, b);
    }
  }
  return { image: createGrayImage8(width, height, gray), format, sourceChannels: channels, colour };
}
