import type { GrayImage8 } from '../image/GrayImage.js';
import type { ResizeHelper } from '../image/ResizeHelper.js';
import { resizeTriangle } from '../image/resizeTriangle.js';
import type { ReusableBuffer } from '../memory/ReusableBuffer.js';
import type { ResizeFactors } from './boxes.js';
import type { PreprocessingSpec } from './ModelManifest.js';

/** The tensor the graph reads, and what is needed to map its boxes back. */
export interface ModelInput {
  /** float32, [1, 1, paddedHeight, paddedWidth], row-major. */
  readonly data: Float32Array;
  readonly dims: readonly [1, 1, number, number];
  /** Size of the resized image inside the padded tensor. */
  readonly resizedWidth: number;
  readonly resizedHeight: number;
  readonly factors: ResizeFactors;
}

/** Round half to even, as Python's round() and torch.round() do. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The resized size: the short side becomes `shortSide` unless the long side would then exceed `maxSide`, in which
 * case the long side becomes `maxSide`. Sides are rounded half to even, at least 1 (trainer/preprocess.py
 * `resized_size`, Python's round()).
 */
export function resizedSize(width: number, height: number, spec: PreprocessingSpec['resize']): { width: number; height: number } {
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  let scale = spec.shortSide / short;
  if (long * scale > spec.maxSide) scale = spec.maxSide / long;
  return { width: Math.max(1, roundHalfEven(width * scale)), height: Math.max(1, roundHalfEven(height * scale)) };
}

const padUp = (value: number, multiple: number): number => Math.ceil(value / multiple) * multiple;

/**
 * 8-bit display image → model input, exactly as the trainer does it (trainer/preprocess.py, docs/model-package.md):
 * bilinear (triangle filter, antialiased when shrinking) resize to 8 bits as Pillow's BILINEAR does, then
 * × scale, − mean, ÷ std in float32, then pad bottom/right with padValue to a multiple of padToMultipleOf.
 * No I/O; pure apart from borrowing the tensor's memory from `memory` (and a second thread from `helper`).
 */
export function preprocess(image: GrayImage8, spec: PreprocessingSpec, memory?: ReusableBuffer, helper?: ResizeHelper): ModelInput {
  const size = resizedSize(image.width, image.height, spec.resize);
  const resized = resizeTriangle(image, size.width, size.height, helper);
  const paddedWidth = padUp(size.width, spec.padToMultipleOf);
  const paddedHeight = padUp(size.height, spec.padToMultipleOf);
  const count = paddedWidth * paddedHeight;
  // From `memory` when given (the caller gives data.buffer back once the model has run): reused bytes, so fill.
  const data = memory === undefined ? new Float32Array(count) : new Float32Array(memory.lend(count * 4), 0, count);
  if (memory !== undefined || spec.padValue !== 0) data.fill(spec.padValue);
  // float32 arithmetic step by step, as torch does on a float32 tensor: a lookup table of the 256 possible values.
  const f = Math.fround;
  const mean = f(spec.mean[0] ?? 0);
  const std = f(spec.std[0] ?? 1);
  const scale = f(spec.scale);
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v += 1) table[v] = f(f(f(v * scale) - mean) / std);
  const src = resized.data;
  for (let y = 0; y < size.height; y += 1) {
    const s = y * size.width;
    const d = y * paddedWidth;
    for (let x = 0; x < size.width; x += 1) data[d + x] = table[src[s + x]!]!;
  }
  return {
    data,
    dims: [1, 1, paddedHeight, paddedWidth],
    resizedWidth: size.width,
    resizedHeight: size.height,
    factors: { x: size.width / image.width, y: size.height / image.height },
  };
}
