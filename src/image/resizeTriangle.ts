import { createGrayImage8, type GrayImage8 } from './GrayImage.js';

/**
 * 8-bit bilinear (triangle-filter) resampling exactly as Pillow's `Image.resize(size, Image.BILINEAR)` computes it
 * for mode "L" — the trainer's resize (trainer/preprocess.py `resize_gray`). When shrinking, the filter widens with
 * the scale (antialiasing), like libvips' linear kernel. Port of Pillow's libImaging/Resample.c: double-precision
 * coefficients normalised to sum 1, quantised to 22-bit fixed point, a horizontal pass then a vertical pass, each
 * rounded and clamped back to 8 bits.
 */
const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

interface Coefficients {
  /** Per output index: first input index and count. */
  readonly xmin: Int32Array;
  readonly count: Int32Array;
  /** ksize fixed-point weights per output index. */
  readonly weights: Int32Array;
  readonly ksize: number;
}

const triangle = (x: number): number => {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
};

/** Pillow `precompute_coeffs` + `normalize_coeffs_8bpc`, for the box [0, inSize). */
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = 1 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const xmins = new Int32Array(outSize);
  const counts = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx += 1) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x += 1) {
      const w = triangle((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x += 1) {
      const value = x < xmax ? (ww !== 0 ? k[x]! / ww : k[x]!) : 0;
      weights[xx * ksize + x] = value < 0 ? Math.trunc(-0.5 + value * ONE) : Math.trunc(0.5 + value * ONE);
    }
    xmins[xx] = xmin;
    counts[xx] = xmax;
  }
  return { xmin: xmins, count: counts, weights, ksize };
}

const clip8 = (ss: number): number => {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
};

/** Resizes an 8-bit gray image to width × height as Pillow's BILINEAR filter does (bit-exact). */
export function resizeTriangle(image: GrayImage8, width: number, height: number): GrayImage8 {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`resize target must be positive integers, got ${width}×${height}`);
  }
  const needHorizontal = width !== image.width;
  const needVertical = height !== image.height;
  if (!needHorizontal && !needVertical) return createGrayImage8(image.width, image.height, image.data.slice());
  const horiz = coefficients(image.width, width);
  const vert = coefficients(image.height, height);
  let src = image.data;
  let srcWidth = image.width;
  let rowOffset = 0; // first source row the vertical pass reads, in the horizontally resampled buffer
  if (needHorizontal) {
    // Only rows the vertical pass will read (Pillow's ybox_first..ybox_last).
    const first = vert.xmin[0]!;
    const last = vert.xmin[height - 1]! + vert.count[height - 1]!;
    const rows = last - first;
    const temp = new Uint8Array(width * rows);
    const { xmin, count, weights, ksize } = horiz;
    for (let y = 0; y < rows; y += 1) {
      const inBase = (y + first) * image.width;
      const outBase = y * width;
      for (let xx = 0; xx < width; xx += 1) {
        const x0 = inBase + xmin[xx]!;
        const n = count[xx]!;
        const kBase = xx * ksize;
        let ss = HALF;
        for (let x = 0; x < n; x += 1) ss += src[x0 + x]! * weights[kBase + x]!;
        temp[outBase + xx] = clip8(ss);
      }
    }
    src = temp;
    srcWidth = width;
    rowOffset = first;
  }
  if (!needVertical) return createGrayImage8(width, height, src);
  const out = new Uint8Array(width * height);
  const { xmin, count, weights, ksize } = vert;
  // Accumulate row by row (cache-friendly) in int32 sums, same arithmetic as Pillow's per-pixel loop.
  const acc = new Int32Array(width);
  for (let yy = 0; yy < height; yy += 1) {
    const y0 = xmin[yy]! - rowOffset;
    const n = count[yy]!;
    const kBase = yy * ksize;
    acc.fill(HALF);
    for (let y = 0; y < n; y += 1) {
      const w = weights[kBase + y]!;
      const rowBase = (y0 + y) * srcWidth;
      for (let x = 0; x < width; x += 1) acc[x] = acc[x]! + src[rowBase + x]! * w;
    }
    const outBase = yy * width;
    for (let x = 0; x < width; x += 1) out[outBase + x] = clip8(acc[x]!);
  }
  return createGrayImage8(width, height, out);
}
