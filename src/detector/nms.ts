import { iou } from './boxes.js';

/**
 * Greedy non-maximum suppression, class-agnostic (as torchvision.ops.nms): visit boxes by descending score, keep
 * one unless it overlaps an already-kept box with IoU > iouThreshold. Returns the kept indices, best first.
 * Ties in score keep the lower index first (a stable sort), so the result is deterministic.
 */
export function nonMaximumSuppression(
  boxes: ReadonlyArray<{ x1: number; y1: number; x2: number; y2: number }>,
  scores: ArrayLike<number>,
  iouThreshold: number,
  maxKept = Number.POSITIVE_INFINITY,
): number[] {
  const order = Array.from(boxes.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const kept: number[] = [];
  for (const index of order) {
    if (kept.length >= maxKept) break;
    const box = boxes[index]!;
    if (kept.every((k) => iou(boxes[k]!, box) <= iouThreshold)) kept.push(index);
  }
  return kept;
}
