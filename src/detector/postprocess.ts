import { DrfdsError } from '../errors/DrfdsError.js';
import { toOriginalPixels, type BoxInModelInput, type CornersInOriginalPixels, type ResizeFactors } from './boxes.js';
import { nonMaximumSuppression } from './nms.js';
import type { PostprocessingSpec } from './ModelManifest.js';

/** The graph's three outputs as plain arrays: boxes [N,4] (x1,y1,x2,y2, model-input pixels), scores [N], labels [N]. */
export interface RawDetections {
  readonly boxes: Float32Array;
  readonly scores: Float32Array;
  readonly labels: BigInt64Array | Int32Array | Float32Array;
}

/** One detection after post-processing, in original pixels. */
export interface Candidate {
  readonly box: CornersInOriginalPixels;
  readonly score: number;
  /** Index into the package's `classes`. */
  readonly label: number;
}

/** Checks the graph's outputs before they are trusted: shapes agree, scores in [0, 1], boxes finite. */
export function validateRawDetections(raw: RawDetections, modelName: string): number {
  const n = raw.scores.length;
  if (raw.boxes.length !== n * 4 || raw.labels.length !== n) {
    throw new DrfdsError('model/bad-output', `model ${modelName} returned ${raw.boxes.length / 4} boxes, ${n} scores and ${raw.labels.length} labels; they must agree`, { httpStatus: 500 });
  }
  for (let i = 0; i < n; i += 1) {
    const s = raw.scores[i]!;
    if (!(s >= 0 && s <= 1)) throw new DrfdsError('model/bad-output', `model ${modelName} returned a score of ${s}; scores must lie in [0, 1]`, { httpStatus: 500 });
  }
  for (let i = 0; i < raw.boxes.length; i += 1) {
    if (!Number.isFinite(raw.boxes[i]!)) throw new DrfdsError('model/bad-output', `model ${modelName} returned a non-finite box coordinate`, { httpStatus: 500 });
  }
  return n;
}

/**
 * Score filter (≥ scoreThreshold, foreground labels only) → class-agnostic NMS → at most maxDetectionsPerImage →
 * mapped back to original pixels and clipped. Boxes that become empty after clipping are dropped. Best first.
 */
export function postprocess(
  raw: RawDetections,
  spec: PostprocessingSpec,
  mapping: { readonly factors: ResizeFactors; readonly width: number; readonly height: number },
  modelName = 'the model',
): Candidate[] {
  const n = validateRawDetections(raw, modelName);
  const boxes: BoxInModelInput[] = [];
  const scores: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const score = raw.scores[i]!;
    const label = Number(raw.labels[i]!);
    if (score < spec.scoreThreshold || label < 1) continue; // label 0 is background
    const b = i * 4;
    const x1 = raw.boxes[b]!;
    const y1 = raw.boxes[b + 1]!;
    const x2 = raw.boxes[b + 2]!;
    const y2 = raw.boxes[b + 3]!;
    if (!(x2 > x1 && y2 > y1)) continue;
    boxes.push({ space: 'model-input', x1, y1, x2, y2 });
    scores.push(score);
    labels.push(label);
  }
  const kept = nonMaximumSuppression(boxes, scores, spec.nmsIouThreshold);
  const out: Candidate[] = [];
  for (const index of kept) {
    if (out.length >= spec.maxDetectionsPerImage) break;
    const box = toOriginalPixels(boxes[index]!, mapping.factors, mapping.width, mapping.height);
    if (!(box.x2 > box.x1 && box.y2 > box.y1)) continue;
    out.push({ box, score: scores[index]!, label: labels[index]! });
  }
  return out;
}
