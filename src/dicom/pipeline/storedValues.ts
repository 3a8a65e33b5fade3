/**
 * Step 1 of the pixel pipeline: samples as stored → stored pixel values (PS3.3 C.7.6.3.1.1–.4, PS3.5 §8.1.1).
 * Bits Stored bits, ending at High Bit, of each Bits Allocated sample; two's complement sign extension when
 * Pixel Representation is 1. Bits outside Bits Stored (overlays in the unused high bits of old files) are dropped.
 */
export interface StoredValueLayout {
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly highBit: number;
  readonly pixelRepresentation: 0 | 1;
}

export function storedValues(samples: Uint8Array, layout: StoredValueLayout): Int32Array {
  const { bitsAllocated, bitsStored, highBit, pixelRepresentation } = layout;
  const shift = highBit - bitsStored + 1;
  const mask = 2 ** bitsStored - 1; // bitsStored ≤ 16 (checked when the Image Pixel Module is read)
  const signBit = 2 ** (bitsStored - 1);
  const count = bitsAllocated === 16 ? samples.length >>> 1 : samples.length;
  // 16-bit samples through an aligned view when possible; otherwise through an aligned copy.
  const input: Uint16Array | Uint8Array =
    bitsAllocated !== 16
      ? samples
      : samples.byteOffset % 2 === 0
        ? new Uint16Array(samples.buffer, samples.byteOffset, count)
        : new Uint16Array(Uint8Array.from(samples.subarray(0, count * 2)).buffer);
  const out = new Int32Array(count);
  if (pixelRepresentation === 0) {
    for (let i = 0; i < count; i += 1) out[i] = (input[i]! >>> shift) & mask;
  } else {
    // Two's complement in bitsStored bits: (v XOR sign) − sign sign-extends without a branch.
    for (let i = 0; i < count; i += 1) out[i] = (((input[i]! >>> shift) & mask) ^ signBit) - signBit;
  }
  return out;
}

/** The range of values Bits Stored and Pixel Representation allow: the domain of the pipeline's LUTs. */
export function storedValueRange(layout: Pick<StoredValueLayout, 'bitsStored' | 'pixelRepresentation'>): { min: number; max: number } {
  const levels = 2 ** layout.bitsStored;
  return layout.pixelRepresentation === 1 ? { min: -levels / 2, max: levels / 2 - 1 } : { min: 0, max: levels - 1 };
}
