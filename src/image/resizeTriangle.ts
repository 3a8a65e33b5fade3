import { ReusableBuffer } from '../memory/ReusableBuffer.js';
import { createGrayImage8, type GrayImage8 } from './GrayImage.js';
import { coefficients, horizontalRows, verticalRows, type Coefficients } from './resampleRows.js';
import type { ResizeHelper } from './ResizeHelper.js';

/**
 * 8-bit bilinear (triangle-filter) resampling exactly as Pillow's `Image.resize(size, Image.BILINEAR)` computes it
 * for mode "L" — the trainer's resize (trainer/preprocess.py `resize_gray`). When shrinking, the filter widens with
 * the scale (antialiasing), like libvips' linear kernel. Port of Pillow's libImaging/Resample.c: double-precision
 * coefficients normalised to sum 1, quantised to 22-bit fixed point, a horizontal pass then a vertical pass, each
 * rounded and clamped back to 8 bits. Given a ResizeHelper, a large image's passes are shared between two threads
 * (same arithmetic, same bytes).
 */
export function resizeTriangle(image: GrayImage8, width: number, height: number, helper?: ResizeHelper): GrayImage8 {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`resize target must be positive integers, got ${width}×${height}`);
  }
  const needHorizontal = width !== image.width;
  const needVertical = height !== image.height;
  if (!needHorizontal && !needVertical) return createGrayImage8(image.width, image.height, image.data.slice());
  const horiz = coefficients(image.width, width);
  const vert = coefficients(image.height, height);
  if (!needHorizontal) return createGrayImage8(width, height, verticalPass(image.data, image.width, 0, vert));
  if (!needVertical) {
    const out = new Uint8Array(width * height);
    horizontalRows(image.data, image.width, 0, 0, height, out, horiz);
    return createGrayImage8(width, height, out);
  }
  // Only rows the vertical pass will read (Pillow's ybox_first..ybox_last).
  const first = vert.xmin[0]!;
  const rows = vert.xmin[height - 1]! + vert.count[height - 1]! - first;
  if (helper?.available && image.width * image.height >= SHARED_FROM_PIXELS) return resizeShared(image, horiz, vert, first, rows, helper);
  // The intermediate image lives only between the two passes.
  const out = intermediate.with(width * rows, (temp) => {
    horizontalRows(image.data, image.width, first, 0, rows, temp, horiz);
    return verticalPass(temp, width, first, vert);
  });
  return createGrayImage8(width, height, out);
}

const intermediate = new ReusableBuffer();

/** Images from this size up are worth a second thread (a 373×454 FracAtlas image takes ~1 ms alone). */
const SHARED_FROM_PIXELS = 1_000_000;

function verticalPass(src: Uint8Array, width: number, rowOffset: number, vert: Coefficients): Uint8Array {
  const out = new Uint8Array(width * vert.xmin.length);
  verticalRows(src, width, rowOffset, 0, vert.xmin.length, vert, out);
  return out;
}

/** Both passes, each split in two: the first half of the rows here, the second on the helper thread. */
function resizeShared(image: GrayImage8, horiz: Coefficients, vert: Coefficients, first: number, rows: number, helper: ResizeHelper): GrayImage8 {
  const width = horiz.xmin.length;
  const height = vert.xmin.length;
  const half = rows >> 1;
  // The helper reads only its input rows: they are copied into shared memory at their own offsets.
  const source = helper.shared('source', image.data.length);
  source.set(image.data.subarray((first + half) * image.width, (first + rows) * image.width), (first + half) * image.width);
  const temp = helper.shared('intermediate', width * rows);
  const horizontal = { pass: 'horizontal', src: source.buffer as SharedArrayBuffer, inWidth: image.width, first, from: half, to: rows, out: temp.buffer as SharedArrayBuffer, coefficients: horiz } as const;
  if (!helper.share(horizontal, () => horizontalRows(image.data, image.width, first, 0, half, temp, horiz))) {
    horizontalRows(image.data, image.width, first, half, rows, temp, horiz);
  }
  const out = helper.shared('output', width * height);
  const middle = height >> 1;
  const vertical = { pass: 'vertical', src: temp.buffer as SharedArrayBuffer, width, rowOffset: first, from: middle, to: height, out: out.buffer as SharedArrayBuffer, coefficients: vert } as const;
  if (!helper.share(vertical, () => verticalRows(temp, width, first, 0, middle, vert, out))) {
    verticalRows(temp, width, first, middle, height, vert, out);
  }
  return createGrayImage8(width, height, out.slice(0, width * height));
}
