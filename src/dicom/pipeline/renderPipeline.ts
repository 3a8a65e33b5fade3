import { applyModalityLut, type ModalityTransform } from './modalityLut.js';
import { minMaxWindow } from './minMaxWindow.js';
import { applyPresentationLut } from './presentationLut.js';
import { storedValueRange, type StoredValueLayout } from './storedValues.js';
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
 * Composes modality LUT → VOI LUT → presentation LUT (PS3.3 C.11, Figure C.11-1). Each step is a pure function
 * of one value, so they are evaluated once over every value Bits Stored allows (≤ 65 536) and the composed
 * 8-bit table is then applied to the pixels: the same result as per-pixel evaluation, at a table look-up per pixel.
 */
export function renderStoredValues(stored: Int32Array, spec: PipelineSpec): RenderedPixels {
  const range = storedValueRange(spec.layout);
  const size = range.max - range.min + 1;
  const domain = new Float64Array(size);
  for (let i = 0; i < size; i += 1) domain[i] = range.min + i;
  const modalityValues = applyModalityLut(domain, spec.modality);

  const offset = range.min;
  const present = new Uint8Array(size);
  const pixels = new Uint8Array(stored.length);
  let voi: VoiTransform;
  if (spec.voi.kind === 'minmax') {
    // The window depends on the values present: one pass to find them, one to map.
    for (let i = 0; i < stored.length; i += 1) present[stored[i]! - offset] = 1;
    const { min, max } = presentRange(modalityValues, present);
    voi = minMaxWindow(min, max);
    const table = applyPresentationLut(applyVoiLut(modalityValues, voi), spec.invert);
    for (let i = 0; i < stored.length; i += 1) pixels[i] = table[stored[i]! - offset]!;
  } else {
    voi = spec.voi.transform;
    const table = applyPresentationLut(applyVoiLut(modalityValues, voi), spec.invert);
    for (let i = 0; i < stored.length; i += 1) {
      const index = stored[i]! - offset;
      present[index] = 1;
      pixels[i] = table[index]!;
    }
  }
  const { min, max } = presentRange(modalityValues, present);
  return { pixels, voi, modalityRange: { min, max } };
}

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
