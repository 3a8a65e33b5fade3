import { readFile } from 'node:fs/promises';
import { readRadiograph } from '../../dicom/readRadiograph.js';
import { isProbablyDicom } from '../../dicom/isProbablyDicom.js';
import { parseDataSet } from '../../dicom/parseDataSet.js';
import { readImagePixelModule } from '../../dicom/imagePixelModule.js';
import { transferSyntaxInfo } from '../../dicom/transferSyntax.js';
import { withFirstFrame } from '../../dicom/pixelData.js';
import { storedValues } from '../../dicom/pipeline/storedValues.js';
import { readFileVoi, readInvert, readModalityTransform } from '../../dicom/pixelTransforms.js';
import { codecsSettled } from '../../dicom/nativeCodecs.js';
import { decodeImage } from '../../image/decodeImage.js';
import type { GrayImage8 } from '../../image/GrayImage.js';

/**
 * What the reader's viewer gets: gray values at the file's own precision and the window to open with.
 * For DICOM with a linear rescale and a linear window, `data` holds the stored values shifted to start at 0
 * (up to 16 bits), and `window` is the file's Window Center/Width (0028,1050/1051) mapped into that scale through
 * Rescale Slope/Intercept (PS3.3 C.11.1, C.11.2.1.2): the viewer then does window/level on the full bit depth.
 * Anything else (JPEG/PNG, modality or VOI LUT sequences, SIGMOID) is the 8-bit display image of the pipeline.
 */
export interface ViewerPixels {
  readonly width: number;
  readonly height: number;
  readonly bitsStored: number;
  readonly data: Uint8Array | Uint16Array;
  readonly window: { readonly center: number; readonly width: number } | null;
  /** MONOCHROME1 or Presentation LUT Shape INVERSE: the viewer starts inverted. */
  readonly invert: boolean;
}

/** The 8-bit image the detector sees (the same as `drfds detect`): DICOM through the pixel pipeline, JPEG/PNG decoded. */
export async function readCaseDisplayImage(path: string): Promise<GrayImage8> {
  const bytes = await readFile(path);
  if (isProbablyDicom(bytes)) {
    await codecsSettled();
    return readRadiograph(bytes, { source: path }).display;
  }
  return (await decodeImage(bytes, path)).image;
}

export async function readCaseViewerPixels(path: string): Promise<ViewerPixels> {
  const bytes = await readFile(path);
  if (!isProbablyDicom(bytes)) {
    const image = (await decodeImage(bytes, path)).image;
    return { width: image.width, height: image.height, bitsStored: 8, data: image.data, window: null, invert: false };
  }
  await codecsSettled();
  const eightBit = (): ViewerPixels => {
    const display = readRadiograph(bytes, { source: path }).display;
    return { width: display.width, height: display.height, bitsStored: 8, data: display.data, window: null, invert: false };
  };
  const { dataSet, transferSyntaxUid } = parseDataSet(bytes, path);
  const syntax = transferSyntaxInfo(transferSyntaxUid);
  if (syntax === undefined) return eightBit(); // readRadiograph names the unsupported syntax
  const pixel = readImagePixelModule(dataSet, path);
  const modality = readModalityTransform(dataSet, pixel, path);
  const voi = readFileVoi(dataSet, pixel, path, []);
  if (modality.kind !== 'rescale' || modality.slope <= 0 || (voi && (voi.transform.kind !== 'window' || voi.transform.function === 'SIGMOID'))) return eightBit();
  const stored = withFirstFrame(dataSet, pixel, syntax, path, (samples) => storedValues(samples, pixel));
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < stored.length; i += 1) {
    const v = stored[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min;
  if (!(range >= 0 && range < 65536)) return eightBit();
  const data = new Uint16Array(stored.length);
  for (let i = 0; i < stored.length; i += 1) data[i] = (stored[i] as number) - min;
  const bitsStored = Math.max(8, Math.ceil(Math.log2(range + 1)));
  const window = voi && voi.transform.kind === 'window'
    ? { center: (voi.transform.center - modality.intercept) / modality.slope - min, width: voi.transform.width / modality.slope }
    : null;
  return { width: pixel.columns, height: pixel.rows, bitsStored, data, window, invert: readInvert(dataSet, pixel) };
}
