import type { VoiTransform } from './voiLut.js';

/**
 * The VOI fallback when a file has neither a window nor a VOI LUT (and for `--window minmax`): a LINEAR window
 * spanning the smallest to the largest modality value present in the image, so that the minimum maps to black
 * and the maximum to white. Center (min + max + 1) / 2 and width max − min + 1 make C.11.2.1.2.1's formula give
 * exactly 0 at min and 1 at max; it is DCMTK's `--min-max-window` definition.
 */
export function minMaxWindow(min: number, max: number): VoiTransform {
  return { kind: 'window', center: (min + max + 1) / 2, width: max - min + 1, function: 'LINEAR' };
}
