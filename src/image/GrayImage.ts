/**
 * An 8-bit grayscale image as a radiologist sees it (after the DICOM pixel pipeline or JPEG/PNG decoding):
 * row-major, one byte per pixel, 0 = black. The shared currency between src/dicom, src/image and src/detector.
 */
export interface GrayImage8 {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export function createGrayImage8(width: number, height: number, data?: Uint8Array): GrayImage8 {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`image size must be positive integers, got ${width}×${height}`);
  }
  const pixels = data ?? new Uint8Array(width * height);
  if (pixels.length !== width * height) {
    throw new RangeError(`image data holds ${pixels.length} bytes, expected ${width}×${height} = ${width * height}`);
  }
  return { width, height, data: pixels };
}
