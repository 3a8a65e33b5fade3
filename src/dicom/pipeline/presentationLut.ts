/**
 * Step 4: values of interest (normalised to [0, 1]) → presentation values, 8-bit, 0 = black (PS3.3 C.11.6).
 * `invert` is true for MONOCHROME1 (minimum value displayed white, C.7.6.3.1.2) or a Presentation LUT Shape
 * (2050,0020) of INVERSE. The standard's formulas are real-valued and leave quantisation open; like DCMTK
 * (dcmimgle DiMonoOutputPixelTemplate::window) the inverted value is truncated to the gray level, so renderings
 * match DCMTK's pixel for pixel. Inverting after quantising instead would shift MONOCHROME1 images by one level.
 */
export function applyPresentationLut(values: ArrayLike<number>, invert: boolean): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i] ?? 0;
    out[i] = Math.floor(255 * (invert ? 1 - v : v));
  }
  return out;
}
