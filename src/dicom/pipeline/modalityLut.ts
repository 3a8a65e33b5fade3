import { lookUp, type LookupTable } from './LookupTable.js';

/**
 * Step 2: stored values → modality values (PS3.3 C.11.1). Either Rescale Slope (0028,1053) and Intercept
 * (0028,1052), or a Modality LUT Sequence (0028,3000) item.
 */
export type ModalityTransform =
  | { readonly kind: 'rescale'; readonly slope: number; readonly intercept: number }
  | { readonly kind: 'lut'; readonly table: LookupTable };

/**
 * CR and many DX files carry neither rescale nor LUT: the standard's meaning is "modality values are the stored
 * values", so the missing transform is this explicit identity rather than a special case downstream.
 */
export const IDENTITY_MODALITY: ModalityTransform = { kind: 'rescale', slope: 1, intercept: 0 };

/** Applies the transform to each value; pure, so it runs on the table of all possible stored values. */
export function applyModalityLut(values: ArrayLike<number>, transform: ModalityTransform): Float64Array {
  const out = new Float64Array(values.length);
  if (transform.kind === 'rescale') {
    // C.11.1.1.2: output units = m × SV + b.
    for (let i = 0; i < values.length; i += 1) out[i] = transform.slope * (values[i] ?? 0) + transform.intercept;
  } else {
    for (let i = 0; i < values.length; i += 1) out[i] = lookUp(transform.table, values[i] ?? 0);
  }
  return out;
}
