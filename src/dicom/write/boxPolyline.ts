import type { BoxInOriginalPixels } from '../../detector/DetectionResult.js';
import { DrfdsError } from '../../errors/DrfdsError.js';

/**
 * A box as a closed POLYLINE of 5 points (column\row pairs, first point repeated last), the way SR SCOORD
 * (PS3.3 C.18.6) and presentation-state graphics (C.10.5) draw a rectangle. Both use the same pixel space as
 * DR-FDS boxes: (0,0) is the top-left corner of the top-left pixel, so no half-pixel shift is applied.
 */
export function boxPolyline(box: BoxInOriginalPixels, image: { readonly columns: number; readonly rows: number }, label: string): number[] {
  const { x, y, width, height } = box;
  const finite = [x, y, width, height].every(Number.isFinite);
  const tolerance = 1e-3;
  if (!finite || width <= 0 || height <= 0 || x < -tolerance || y < -tolerance || x + width > image.columns + tolerance || y + height > image.rows + tolerance) {
    throw new DrfdsError(
      'dicom-box-invalid',
      `${label} (x=${x}, y=${y}, width=${width}, height=${height}) is not a box inside the ${image.columns}×${image.rows} source image.`,
      { httpStatus: 422 },
    );
  }
  const right = x + width;
  const bottom = y + height;
  return [x, y, right, y, right, bottom, x, bottom, x, y];
}
