/**
 * `model.json` of a DR-FDS model package (format `drfds-model/1`, docs/model-package.md). Only the fields the runtime
 * uses are typed strictly; the rest (architecture, training, metrics) is carried through as JSON.
 */
export interface PreprocessingSpec {
  /** Resize so the short side is `shortSide`, unless the long side would then exceed `maxSide`. */
  readonly resize: { readonly shortSide: number; readonly maxSide: number };
  readonly interpolation: 'bilinear';
  /** Multiplies the 8-bit value (1/255 maps to 0–1). */
  readonly scale: number;
  /** Per channel, subtracted after scaling. */
  readonly mean: readonly number[];
  /** Per channel, divides after subtracting the mean. */
  readonly std: readonly number[];
  /** Pad bottom/right to a multiple of this (1 = no padding). */
  readonly padToMultipleOf: number;
  /** The value of padded pixels, in the normalized space. */
  readonly padValue: number;
}

export interface PostprocessingSpec {
  readonly scoreThreshold: number;
  readonly nmsIouThreshold: number;
  readonly maxDetectionsPerImage: number;
}

export interface OperatingPoints {
  /** The model's default threshold (the paper's 0.4). */
  readonly threshold: number;
  readonly highSensitivity: number;
  readonly highSpecificity: number;
}

export interface ModelManifest {
  readonly format: 'drfds-model/1';
  readonly name: string;
  readonly version: string;
  readonly classes: readonly string[];
  readonly input: { readonly name: string; readonly channels: number; readonly dtype: 'float32'; readonly layout: 'NCHW' };
  readonly preprocessing: PreprocessingSpec;
  readonly outputs: { readonly boxes: string; readonly scores: string; readonly labels: string };
  readonly postprocessing: PostprocessingSpec;
  readonly operatingPoints: OperatingPoints;
  readonly files: Readonly<Record<string, { readonly sha256: string; readonly bytes: number }>>;
  readonly training: { readonly trained: boolean; readonly [key: string]: unknown };
  readonly metrics: unknown;
  readonly [key: string]: unknown;
}
