import type { CocoBox, ScoredBox } from './coco.js';

/** Intersection over union of two [x, y, width, height] boxes; 0 when both are empty. */
export function iou(a: CocoBox, b: CocoBox): number {
  const x1 = Math.max(a[0], b[0]);
  const y1 = Math.max(a[1], b[1]);
  const x2 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y2 = Math.min(a[1] + a[3], b[1] + b[3]);
  const intersection = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a[2] * a[3] + b[2] * b[3] - intersection;
  return union > 0 ? intersection / union : 0;
}

export interface ImageMatch {
  /** For each predicted box (descending score order): the reference box it matched, or −1 for a false positive. */
  matchedReference: number[];
}

// Greedy matching, highest score first, each prediction to the unmatched reference box of highest IoU ≥ the threshold
// (Everingham et al. 2010, IJCV 88:303, PASCAL VOC; as COCO's evaluation).
export function matchImage(predicted: ScoredBox[], reference: CocoBox[], iouThreshold: number): ImageMatch {
  const taken = new Array<boolean>(reference.length).fill(false);
  const matchedReference = predicted.map((box) => {
    let best = -1;
    let bestIou = iouThreshold;
    reference.forEach((ref, r) => {
      if (taken[r]) return;
      const overlap = iou(box.bbox, ref);
      if (overlap >= bestIou && (best === -1 || overlap > bestIou)) {
        best = r;
        bestIou = overlap;
      }
    });
    if (best >= 0) taken[best] = true;
    return best;
  });
  return { matchedReference };
}
