import type { DataSet } from 'dicom-parser';
import { readNumberString, readNumberStrings, readSequenceItems, readString } from './attributes.js';
import { dicomError } from './dicomError.js';
import type { ImagePixelModule } from './imagePixelModule.js';
import type { LookupTable } from './pipeline/LookupTable.js';
import { IDENTITY_MODALITY, type ModalityTransform } from './pipeline/modalityLut.js';
import type { VoiLutFunction, VoiTransform } from './pipeline/voiLut.js';

/**
 * Readers of the header attributes that parameterise the pixel pipeline. The pipeline steps themselves
 * (src/dicom/pipeline/) are pure functions; these turn attributes into their parameters and report problems.
 */

/** LUT Descriptor (0028,3002) and LUT Data (0028,3006) of one Modality/VOI LUT Sequence item (C.11.1.1.1). */
export function readLookupTable(item: DataSet, firstMappedSigned: boolean, what: string, source: string): LookupTable {
  const descriptor = item.elements['x00283002'];
  const data = item.elements['x00283006'];
  if (descriptor === undefined || descriptor.length < 6 || data === undefined) {
    throw dicomError('dicom/missing-attribute', source, `the ${what} item lacks its LUT Descriptor (0028,3002) or LUT Data (0028,3006)`);
  }
  const count = item.uint16('x00283002', 0) ?? 0;
  const rawFirst = item.uint16('x00283002', 1) ?? 0;
  const bitsPerEntry = item.uint16('x00283002', 2) ?? 16;
  // The first value mapped is US or SS (signed when the input values can be negative); implicit VR has no VR.
  const firstMapped = descriptor.vr === 'SS' || (descriptor.vr === undefined && firstMappedSigned) ? (rawFirst << 16) >> 16 : rawFirst;
  const entries = count === 0 ? 65536 : count; // C.11.1.1.1: 0 means 2^16 entries
  if (bitsPerEntry < 1 || bitsPerEntry > 16) {
    throw dicomError('dicom/invalid-attribute', source, `the ${what} LUT Descriptor gives ${bitsPerEntry} bits per entry; 1–16 are allowed`);
  }
  const values = new Uint16Array(entries);
  if (data.length >= entries * 2) {
    for (let i = 0; i < entries; i += 1) values[i] = item.uint16('x00283006', i) ?? 0;
  } else if (bitsPerEntry <= 8 && data.length >= entries) {
    // 8-bit entries packed one per byte (seen in OB-encoded tables).
    for (let i = 0; i < entries; i += 1) values[i] = item.byteArray[data.dataOffset + i] ?? 0;
  } else {
    throw dicomError(
      'dicom/invalid-attribute',
      source,
      `the ${what} LUT Data holds ${data.length} bytes but its descriptor announces ${entries} entries`,
    );
  }
  return { firstMapped, entries: values, bitsPerEntry };
}

/** Modality LUT Sequence (0028,3000) if present, else Rescale Slope/Intercept, else the explicit identity. */
export function readModalityTransform(dataSet: DataSet, pixel: ImagePixelModule, source: string): ModalityTransform {
  const [lutItem] = readSequenceItems(dataSet, 'x00283000');
  if (lutItem !== undefined) {
    return { kind: 'lut', table: readLookupTable(lutItem, pixel.pixelRepresentation === 1, 'Modality LUT Sequence', source) };
  }
  const slope = readNumberString(dataSet, 'x00281053');
  const intercept = readNumberString(dataSet, 'x00281052');
  if (slope === undefined && intercept === undefined) return IDENTITY_MODALITY; // C.11.1: no transform stored
  if (slope === 0) {
    throw dicomError('dicom/invalid-attribute', source, 'Rescale Slope (0028,1053) is 0, which would erase the image');
  }
  return { kind: 'rescale', slope: slope ?? 1, intercept: intercept ?? 0 };
}

export type FileVoiSource = 'file-window' | 'file-voi-lut';

/**
 * The file's first VOI: Window Center/Width with its VOI LUT Function, else the first VOI LUT Sequence item.
 * Undefined when the file has neither (or only unusable ones, reported through `warnings`).
 */
export function readFileVoi(
  dataSet: DataSet,
  pixel: ImagePixelModule,
  source: string,
  warnings: string[],
): { transform: VoiTransform; source: FileVoiSource } | undefined {
  const centers = readNumberStrings(dataSet, 'x00281050');
  const widths = readNumberStrings(dataSet, 'x00281051');
  const center = centers[0];
  const width = widths[0];
  if (center !== undefined && width !== undefined) {
    const stored = readString(dataSet, 'x00281056')?.toUpperCase();
    let fn: VoiLutFunction = 'LINEAR';
    if (stored === 'LINEAR_EXACT' || stored === 'SIGMOID') fn = stored;
    else if (stored !== undefined && stored !== 'LINEAR') warnings.push(`unknown VOI LUT Function (0028,1056) "${stored}": LINEAR used`);
    const valid = fn === 'LINEAR' ? width >= 1 : width > 0;
    if (valid) return { transform: { kind: 'window', center, width, function: fn }, source: 'file-window' };
    warnings.push(`Window Width (0028,1051) ${width} is not valid for ${fn}: window ignored`);
  }
  const [lutItem] = readSequenceItems(dataSet, 'x00283010');
  if (lutItem !== undefined) {
    return {
      transform: { kind: 'lut', table: readLookupTable(lutItem, pixel.pixelRepresentation === 1, 'VOI LUT Sequence', source) },
      source: 'file-voi-lut',
    };
  }
  return undefined;
}

/**
 * True when the display must be inverted: MONOCHROME1 (C.7.6.3.1.2, minimum = white) or Presentation LUT Shape
 * (2050,0020) INVERSE. The DX IOD requires INVERSE *with* MONOCHROME1 (C.8.11.7) to state the same thing, so the
 * two do not cancel: DCMTK shows such images (mono1/966_fixed.dcm) inverted once.
 */
export function readInvert(dataSet: DataSet, pixel: ImagePixelModule): boolean {
  const shape = readString(dataSet, 'x20500020')?.toUpperCase();
  return pixel.photometricInterpretation === 'MONOCHROME1' || shape === 'INVERSE';
}
