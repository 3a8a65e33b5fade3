/**
 * The result of running the detector on one radiograph: the JSON `drfds detect` prints, the service returns and the
 * DICOM SR / presentation state encode. Boxes are in the pixels of the image as stored (original pixels).
 * The schema is documented in docs/detect-output.md.
 */
export type Decision = 'fracture' | 'doubt' | 'no fracture';

export interface BoxInOriginalPixels {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface Finding {
  readonly box: BoxInOriginalPixels;
  readonly score: number;
  /** The strictest operating point this box passes: drawn solid (high specificity) or dotted (high sensitivity). */
  readonly operatingPoint: 'high-specificity' | 'high-sensitivity';
  /** The box in millimetres, when the pixel spacing is known. */
  readonly boxMm?: { readonly width: number; readonly height: number; readonly calibrated: boolean };
}

export interface ModelIdentity {
  readonly name: string;
  readonly version: string;
  /** sha256 of model.onnx. */
  readonly sha256: string;
  /** False for an untrained placeholder package; results of such a model mean nothing clinically. */
  readonly trained: boolean;
}

export interface DetectionResult {
  readonly file: string;
  /** Image-level fracture probability = the highest box score (0 when there is no box). */
  readonly probability: number;
  readonly decision: Decision;
  readonly thresholds: { readonly highSensitivity: number; readonly highSpecificity: number };
  readonly findings: readonly Finding[];
  readonly image: { readonly width: number; readonly height: number; readonly source: 'dicom' | 'jpeg' | 'png' };
  readonly model: ModelIdentity;
  readonly timingsMs: { readonly read: number; readonly preprocess: number; readonly inference: number; readonly postprocess: number; readonly total: number };
  readonly warnings: readonly string[];
}
