import type { Roc } from './stats/roc.js';
import type { OperatingPoint, OperatingPointsReport } from './Report.js';

function pointAt(curve: Roc, index: number): OperatingPoint {
  const sensitivity = curve.sensitivities[index] as number;
  const specificity = curve.specificities[index] as number;
  return { threshold: curve.thresholds[index] as number, sensitivity, specificity, youdenIndex: sensitivity + specificity - 1 };
}

/** The ROC point of "positive when score ≥ threshold": the strictest curve threshold at or below it. */
export function pointAtThreshold(curve: Roc, threshold: number): OperatingPoint {
  let index = 0;
  for (let i = 1; i < curve.thresholds.length; i += 1) if ((curve.thresholds[i] as number) >= threshold) index = i;
  return { ...pointAt(curve, index), threshold };
}

// Youden's J = sensitivity + specificity − 1, maximised over the curve's thresholds (Youden 1950, Cancer 3:32).
export function operatingPoints(curve: Roc, threshold: number, targetSensitivity?: number): OperatingPointsReport {
  let best = -1;
  let bestJ = -Infinity;
  for (let i = 1; i < curve.thresholds.length; i += 1) {
    const j = (curve.sensitivities[i] as number) + (curve.specificities[i] as number) - 1;
    if (j > bestJ) {
      bestJ = j;
      best = i;
    }
  }
  const report: OperatingPointsReport = { given: pointAtThreshold(curve, threshold), youden: best >= 0 ? pointAt(curve, best) : null };
  if (targetSensitivity !== undefined) {
    // The strictest threshold whose sensitivity reaches the target: the best specificity at that sensitivity.
    const index = curve.sensitivities.findIndex((s, i) => i > 0 && s >= targetSensitivity);
    report.targetSensitivity = index >= 0 ? { ...pointAt(curve, index), target: targetSensitivity } : null;
  }
  return report;
}
