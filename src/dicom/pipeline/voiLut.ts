import { lookUp, type LookupTable } from './LookupTable.js';

/** VOI LUT Function (0028,1056), PS3.3 C.11.2.1.3; LINEAR when absent. */
export type VoiLutFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

/**
 * Step 3: modality values → values of interest, normalised here to [0, 1] (0 = the display's minimum).
 * Either a window (Window Center (0028,1050) / Width (0028,1051) and a VOI LUT Function) or a VOI LUT
 * Sequence (0028,3010) item.
 */
export type VoiTransform =
  | { readonly kind: 'window'; readonly center: number; readonly width: number; readonly function: VoiLutFunction }
  | { readonly kind: 'lut'; readonly table: LookupTable };

/** C.11.2.1.2.1, the LINEAR function (width ≥ 1), output scaled to [0, 1]. */
export function windowLinear(x: number, center: number, width: number): number {
  if (width <= 1) return x <= center - 0.5 ? 0 : 1; // the width-1 limit of the formula: a threshold
  const c = center - 0.5;
  const w = width - 1;
  if (x <= c - w / 2) return 0;
  if (x > c + w / 2) return 1;
  return (x - c) / w + 0.5;
}

/** C.11.2.1.3.2, LINEAR_EXACT (width > 0). */
export function windowLinearExact(x: number, center: number, width: number): number {
  if (x <= center - width / 2) return 0;
  if (x > center + width / 2) return 1;
  return (x - center) / width + 0.5;
}

/** C.11.2.1.3.1, SIGMOID. */
export function windowSigmoid(x: number, center: number, width: number): number {
  return 1 / (1 + Math.exp((-4 * (x - center)) / width));
}

export function applyVoiLut(values: ArrayLike<number>, transform: VoiTransform): Float64Array {
  const out = new Float64Array(values.length);
  if (transform.kind === 'lut') {
    // C.11.2.1.1: entries span 0 … 2^bits − 1.
    const scale = 1 / (2 ** transform.table.bitsPerEntry - 1);
    for (let i = 0; i < values.length; i += 1) out[i] = Math.min(1, Math.max(0, lookUp(transform.table, values[i] ?? 0) * scale));
    return out;
  }
  const { center, width } = transform;
  const f = transform.function === 'LINEAR' ? windowLinear : transform.function === 'LINEAR_EXACT' ? windowLinearExact : windowSigmoid;
  for (let i = 0; i < values.length; i += 1) out[i] = f(values[i] ?? 0, center, width);
  return out;
}
