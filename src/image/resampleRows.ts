/**
 * The arithmetic of Pillow's libImaging/Resample.c for 8-bit images (BILINEAR = triangle filter): coefficients and
 * the two passes, row ranges at a time so that two threads can share an image (resizeTriangle, ResizeHelper).
 */
const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

export interface Coefficients {
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
export function coefficients(inSize: number, outSize: number): Coefficients {
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

/** Horizontal pass, rows [from, to) of the output: input row `first + y` → output row y (each `width` wide). */
export function horizontalRows(src: Uint8Array, inWidth: number, first: number, from: number, to: number, out: Uint8Array, horiz: Coefficients): void {
  const width = horiz.xmin.length;
  let y = from;
  for (; y + 3 < to; y += 4) horizontalRowQuad(src, (y + first) * inWidth, inWidth, out, y * width, horiz);
  for (; y < to; y += 1) horizontalRow(src, (y + first) * inWidth, out, y * width, horiz);
}

/** Vertical pass, output rows [from, to); `src` row r holds input row `rowOffset + r`. */
export function verticalRows(src: Uint8Array, width: number, rowOffset: number, from: number, to: number, vert: Coefficients, out: Uint8Array): void {
  const acc = new Int32Array(width);
  for (let yy = from; yy < to; yy += 1) verticalRow(src, width, rowOffset, yy, vert, acc, out);
}

// The two passes work a row at a time in small functions: V8 optimises them as whole functions (measured 1.5×
// faster here than the same loops nested inside resizeTriangle, which it can only optimise on stack replacement).

function horizontalRow(src: Uint8Array, inBase: number, out: Uint8Array, outBase: number, { xmin, count, weights, ksize }: Coefficients): void {
  const width = xmin.length;
  for (let xx = 0; xx < width; xx += 1) {
    const x0 = inBase + xmin[xx]!;
    const n = count[xx]!;
    const kBase = xx * ksize;
    let ss = HALF;
    for (let x = 0; x < n; x += 1) ss += src[x0 + x]! * weights[kBase + x]!;
    out[outBase + xx] = clip8(ss);
  }
}

/** Four adjacent rows at once: each weight is loaded once for all four (measured ~1.4× the single-row loop here). */
function horizontalRowQuad(src: Uint8Array, inBase: number, inWidth: number, out: Uint8Array, outBase: number, { xmin, count, weights, ksize }: Coefficients): void {
  const width = xmin.length;
  for (let xx = 0; xx < width; xx += 1) {
    const x0 = inBase + xmin[xx]!;
    const x1 = x0 + inWidth;
    const x2 = x1 + inWidth;
    const x3 = x2 + inWidth;
    const n = count[xx]!;
    const kBase = xx * ksize;
    let s0 = HALF;
    let s1 = HALF;
    let s2 = HALF;
    let s3 = HALF;
    for (let x = 0; x < n; x += 1) {
      const w = weights[kBase + x]!;
      s0 += src[x0 + x]! * w;
      s1 += src[x1 + x]! * w;
      s2 += src[x2 + x]! * w;
      s3 += src[x3 + x]! * w;
    }
    const o = outBase + xx;
    out[o] = clip8(s0);
    out[o + width] = clip8(s1);
    out[o + 2 * width] = clip8(s2);
    out[o + 3 * width] = clip8(s3);
  }
}

/** Output row yy: int32 sums accumulated input row by input row (cache-friendly), same arithmetic as Pillow's. */
function verticalRow(src: Uint8Array, width: number, rowOffset: number, yy: number, { xmin, count, weights, ksize }: Coefficients, acc: Int32Array, out: Uint8Array): void {
  const y0 = xmin[yy]! - rowOffset;
  const n = count[yy]!;
  const kBase = yy * ksize;
  acc.fill(HALF);
  for (let y = 0; y < n; y += 1) {
    const w = weights[kBase + y]!;
    const rowBase = (y0 + y) * width;
    for (let x = 0; x < width; x += 1) acc[x] = acc[x]! + src[rowBase + x]! * w;
  }
  const outBase = yy * width;
  for (let x = 0; x < width; x += 1) out[outBase + x] = clip8(acc[x]!);
}
