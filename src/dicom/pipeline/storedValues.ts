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

/** The range of values Bits Stored and Pixel Representation allow: the domain of the pipeline's LUTs. */
export function storedValueRange(layout: Pick<StoredValueLayout, 'bitsStored' | 'pixelRepresentation'>): { min: number; max: number } {
  const levels = 2 ** layout.bitsStored;
  return layout.pixelRepresentation === 1 ? { min: -levels / 2, max: levels / 2 - 1 } : { min: 0, max: levels - 1 };
}

/**
 * The samples as one number each (Bits Allocated 8 or 16, 16-bit little endian), without a copy when the bytes
 * are 2-aligned (an aligned copy otherwise).
 */
export function sampleWords(samples: Uint8Array, layout: Pick<StoredValueLayout, 'bitsAllocated'>): Uint16Array | Uint8Array {
  if (layout.bitsAllocated !== 16) return samples;
  const count = samples.length >>> 1;
  return samples.byteOffset % 2 === 0 ? new Uint16Array(samples.buffer, samples.byteOffset, count) : new Uint16Array(samples.slice(0, count * 2).buffer);
}

/**
 * How a sample word becomes its index into tables over the stored-value domain, `((word >>> shift) & mask) ^ flip`
 * = stored value − storedValueRange().min: for signed values (two's complement in bitsStored bits) flipping the
 * sign bit maps −2^(b−1)…2^(b−1)−1 to 0…2^b−1 in order.
 */
export function sampleDecoding(layout: StoredValueLayout): { shift: number; mask: number; flip: number } {
  const { bitsStored, highBit, pixelRepresentation } = layout;
  return {
    shift: highBit - bitsStored + 1,
    mask: 2 ** bitsStored - 1, // bitsStored ≤ 16 (checked when the Image Pixel Module is read)
    flip: pixelRepresentation === 1 ? 2 ** (bitsStored - 1) : 0,
  };
}

/** The stored pixel values themselves (signed when Pixel Representation is 1). */
export function storedValues(samples: Uint8Array, layout: StoredValueLayout): Int32Array {
  const words = sampleWords(samples, layout);
  const { shift, mask, flip } = sampleDecoding(layout);
  const min = storedValueRange(layout).min;
  const out = new Int32Array(words.length);
  for (let i = 0; i < words.length; i += 1) out[i] = (((words[i]! >>> shift) & mask) ^ flip) + min;
  return out;
}
