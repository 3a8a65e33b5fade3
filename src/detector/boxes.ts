/**
 * Boxes in the two coordinate spaces of the pipeline. The graph works in the model input (the resized, padded
 * image); results are reported in original pixels (the image as stored). Corners are `x1,y1` (top-left) and
 * `x2,y2` (bottom-right) in continuous pixel coordinates: a box covering pixel columns 0..9 is x1=0, x2=10.
 */
export interface BoxInModelInput {
  readonly space: 'model-input';
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

export interface CornersInOriginalPixels {
  readonly space: 'original';
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

/** The resize from original pixels to model input, per axis: modelInput = original × factor. */
export interface ResizeFactors {
  readonly x: number;
  readonly y: number;
}

/** Intersection over union of two corner boxes (0 when either is empty). */
export function iou(a: { x1: number; y1: number; x2: number; y2: number }, b: { x1: number; y1: number; x2: number; y2: number }): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/** Maps a model-input box back to the original image: divide by the resize factors, clip to the image. */
export function toOriginalPixels(box: BoxInModelInput, factors: ResizeFactors, width: number, height: number): CornersInOriginalPixels {
  const clip = (value: number, max: number): number => Math.min(Math.max(value, 0), max);
  return {
    space: 'original',
    x1: clip(box.x1 / factors.x, width),
    y1: clip(box.y1 / factors.y, height),
    x2: clip(box.x2 / factors.x, width),
    y2: clip(box.y2 / factors.y, height),
  };
}
