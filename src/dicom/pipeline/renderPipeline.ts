import { uninitializedBytes } from '../../memory/ReusableBuffer.js';
import { applyModalityLut, type ModalityTransform } from './modalityLut.js';
import { minMaxWindow } from './minMaxWindow.js';
import { applyPresentationLut } from './presentationLut.js';
import { sampleDecoding, sampleWords, storedValueRange, type StoredValueLayout } from './storedValues.js';
import { applyVoiLut, type VoiTransform } from './voiLut.js';

/** How to choose the VOI transform: a given one, or the min–max fallback computed from the image. */
export type VoiSelection = { readonly kind: 'transform'; readonly transform: VoiTransform } | { readonly kind: 'minmax' };

export interface PipelineSpec {
  readonly layout: StoredValueLayout;
  readonly modality: ModalityTransform;
  readonly voi: VoiSelection;
  readonly invert: boolean;
}

export interface RenderedPixels {
  readonly pixels: Uint8Array;
  /** The VOI transform actually applied (the resolved min–max window when that was chosen). */
  readonly voi: VoiTransform;
  /** Smallest and largest modality value present in the image. */
  readonly modalityRange: { readonly min: number; readonly max: number };
}

/**
 * Composes stored values → modality LUT → VOI LUT → presentation LUT (PS3.3 C.11, Figure C.11-1) on the decoded
 * samples. Each step is a pure function of one value, so they are evaluated once over every value Bits Stored allows
 * (≤ 65 536) and the composed 8-bit table is then applied to the pixels: the same result as per-pixel evaluation, at
 * a table look-up per pixel.
 */
export function renderSamples(samples: Uint8Array, spec: PipelineSpec): RenderedPixels {
  const range = storedValueRange(spec.layout);
  const size = range.max - range.min + 1;
  const domain = new Float64Array(size);
  for (let i = 0; i < size; i += 1) domain[i] = range.min + i;
  const modalityValues = applyModalityLut(domain, spec.modality);
  const words = sampleWords(samples, spec.layout);
  const decoding = sampleDecoding(spec.layout);
  // A rescale is monotonic: the extreme stored values give the extreme modality values. A modality LUT need not be:
  // its range over the image comes from which stored values are present (one more pass).
  const rangeOf = (lo: number, hi: number): { min: number; max: number } =>
    spec.modality.kind === 'rescale' ? extremes(modalityValues[lo]!, modalityValues[hi]!) : presentRange(modalityValues, presentIndices(words, decoding, size));

  let voi: VoiTransform;
  let modalityRange: { min: number; max: number } | undefined;
  if (spec.voi.kind === 'minmax') {
    // The window depends on the values present: one pass to find them, one to map.
    modalityRange = presentRange(modalityValues, presentIndices(words, decoding, size));
    voi = minMaxWindow(modalityRange.min, modalityRange.max);
  } else {
    voi = spec.voi.transform;
  }
  const table = applyPresentationLut(applyVoiLut(modalityValues, voi), spec.invert);
  const pixels = uninitializedBytes(words.length); // every byte is written below
  const { lo, hi } = mapIndices(words, decoding, table, pixels);
  return { pixels, voi, modalityRange: modalityRange ?? rangeOf(lo, hi) };
}

type Decoding = ReturnType<typeof sampleDecoding>;

/** The hot loop of reading a radiograph: pixels[i] = table[index of sample i]; returns the smallest and largest index. */
function mapIndices(words: Uint16Array | Uint8Array, { shift, mask, flip }: Decoding, table: Uint8Array, pixels: Uint8Array): { lo: number; hi: number } {
  let lo = mask;
  let hi = 0;
  for (let i = 0; i < words.length; i += 1) {
    const index = ((words[i]! >>> shift) & mask) ^ flip;
    if (index < lo) lo = index;
    if (index > hi) hi = index;
    pixels[i] = table[index]!;
  }
  return { lo, hi };
}

function presentIndices(words: Uint16Array | Uint8Array, { shift, mask, flip }: Decoding, size: number): Uint8Array {
  const present = new Uint8Array(size);
  for (let i = 0; i < words.length; i += 1) present[((words[i]! >>> shift) & mask) ^ flip] = 1;
  return present;
}

const extremes = (a: number, b: number): { min: number; max: number } => ({ min: Math.min(a, b), max: Math.max(a, b) });

/** Smallest and largest modality value among the stored values marked present. */
function presentRange(modalityValues: Float64Array, present: Uint8Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < present.length; i += 1) {
    if (present[i] === 0) continue;
    const value = modalityValues[i]!;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return { min, max };
}
