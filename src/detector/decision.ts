import type { Decision } from './DetectionResult.js';
import type { OperatingPoints } from './ModelManifest.js';

/**
 * The image-level call from the image's probability (its highest box score): at or above the high-specificity
 * threshold "fracture", at or above the high-sensitivity threshold "doubt", else "no fracture".
 */
export function decide(probability: number, points: Pick<OperatingPoints, 'highSensitivity' | 'highSpecificity'>): Decision {
  if (probability >= points.highSpecificity) return 'fracture';
  if (probability >= points.highSensitivity) return 'doubt';
  return 'no fracture';
}

/** The strictest operating point a box score passes, or undefined when it passes neither. */
export function operatingPointOf(score: number, points: Pick<OperatingPoints, 'highSensitivity' | 'highSpecificity'>): 'high-specificity' | 'high-sensitivity' | undefined {
  if (score >= points.highSpecificity) return 'high-specificity';
  if (score >= points.highSensitivity) return 'high-sensitivity';
  return undefined;
}
