import { matchImage } from './boxMatching.js';
import type { GroundTruth, ModelPredictions } from './coco.js';
import { proportionReport } from './perImage.js';
import type { FrocPoint, FrocReport, PerBoxReport } from './Report.js';

/** The standard FROC summary rates of false positives per image (as LUNA16's competition performance metric). */
export const FROC_RATES = [0.125, 0.25, 0.5, 1, 2, 4, 8];

/**
 * Per-box recall and precision at a score threshold and IoU, and the FROC curve. Greedy matching in score order
 * makes the matches of the boxes at or above any threshold a prefix of the full matching, so one pass serves all.
 */
export function perBoxMetrics(truth: GroundTruth, predictions: ModelPredictions, threshold: number, iouThreshold: number): PerBoxReport {
  const scored: Array<{ score: number; truePositive: boolean }> = [];
  let referenceBoxes = 0;
  truth.boxesByImage.forEach((reference, i) => {
    referenceBoxes += reference.length;
    const predicted = predictions.boxesByImage[i] ?? [];
    const { matchedReference } = matchImage(predicted, reference, iouThreshold);
    predicted.forEach((box, k) => scored.push({ score: box.score, truePositive: (matchedReference[k] as number) >= 0 }));
  });
  let tpAtThreshold = 0;
  let predictedAtThreshold = 0;
  for (const s of scored) {
    if (s.score >= threshold) {
      predictedAtThreshold += 1;
      if (s.truePositive) tpAtThreshold += 1;
    }
  }
  return {
    referenceBoxes,
    predictedBoxes: predictedAtThreshold,
    iouThreshold,
    // Each true-positive box matched a distinct reference box, so matched references = true-positive boxes.
    recall: proportionReport(tpAtThreshold, referenceBoxes),
    precision: proportionReport(tpAtThreshold, predictedAtThreshold),
    froc: froc(scored, referenceBoxes, truth.images.length),
  };
}

// FROC: lesion sensitivity against false positives per image over all thresholds (Bunch et al. 1978; Chakraborty 1989),
// summarised as the mean sensitivity at 1/8 … 8 FP per image (Setio et al. 2017, Med Image Anal 42:1).
export function froc(scored: Array<{ score: number; truePositive: boolean }>, referenceBoxes: number, images: number): FrocReport {
  const sorted = [...scored].sort((a, b) => b.score - a.score);
  const points: FrocPoint[] = [];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < sorted.length; i += 1) {
    const s = sorted[i] as { score: number; truePositive: boolean };
    if (s.truePositive) tp += 1;
    else fp += 1;
    const next = sorted[i + 1];
    if (next !== undefined && next.score === s.score) continue;
    points.push({ threshold: s.score, sensitivity: referenceBoxes > 0 ? tp / referenceBoxes : 0, fpPerImage: images > 0 ? fp / images : 0 });
  }
  // The best sensitivity reachable without exceeding each rate (0 when even the strictest threshold exceeds it).
  const sensitivity = FROC_RATES.map((rate) => points.reduce((best, p) => (p.fpPerImage <= rate ? Math.max(best, p.sensitivity) : best), 0));
  return { points, summary: { fpPerImage: FROC_RATES, sensitivity, mean: sensitivity.reduce((a, b) => a + b, 0) / sensitivity.length } };
}
