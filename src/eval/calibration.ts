import type { CalibrationReport, CalibrationBin } from './Report.js';

// Reliability diagram with equal-width bins, Brier score and expected calibration error
// (Brier 1950, Mon Weather Rev 78:1; Naeini et al. 2015, AAAI, for ECE).
export function calibration(scores: ArrayLike<number>, isFracture: ArrayLike<boolean>, binCount = 10): CalibrationReport {
  const counts = new Array<number>(binCount).fill(0);
  const scoreSums = new Array<number>(binCount).fill(0);
  const positives = new Array<number>(binCount).fill(0);
  let brier = 0;
  for (let i = 0; i < scores.length; i += 1) {
    const s = scores[i] as number;
    const y = isFracture[i] ? 1 : 0;
    brier += (s - y) ** 2;
    const bin = Math.min(binCount - 1, Math.floor(s * binCount));
    counts[bin] = (counts[bin] as number) + 1;
    scoreSums[bin] = (scoreSums[bin] as number) + s;
    positives[bin] = (positives[bin] as number) + y;
  }
  const n = scores.length;
  let ece = 0;
  const bins: CalibrationBin[] = counts.map((count, b) => {
    const meanScore = count > 0 ? (scoreSums[b] as number) / count : null;
    const observedRate = count > 0 ? (positives[b] as number) / count : null;
    if (meanScore !== null && observedRate !== null) ece += (count / n) * Math.abs(observedRate - meanScore);
    return { lower: b / binCount, upper: (b + 1) / binCount, count, meanScore, observedRate };
  });
  return { bins, brierScore: n > 0 ? brier / n : NaN, expectedCalibrationError: ece };
}
