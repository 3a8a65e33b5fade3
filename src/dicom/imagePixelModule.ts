import type { DataSet } from 'dicom-parser';
import { readNumberString, readString, readUint16 } from './attributes.js';
import { dicomError } from './dicomError.js';

/** Image Pixel Module (PS3.3 C.7.6.3) as the reader uses it, by DICOM keyword. */
export interface ImagePixelModule {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly highBit: number;
  /** 0 = unsigned, 1 = two's complement (0028,0103). */
  readonly pixelRepresentation: 0 | 1;
  /** As stored; only MONOCHROME1/2 get past checkRadiograph. */
  readonly photometricInterpretation: string;
  readonly planarConfiguration: number;
  /** Number of Frames (0028,0008); 1 when absent (single-frame IODs). */
  readonly numberOfFrames: number;
}

function required(value: number | undefined, keyword: string, tag: string, source: string): number {
  if (value === undefined) {
    throw dicomError('dicom/missing-attribute', source, `the required attribute ${keyword} ${tag} is missing or empty`);
  }
  return value;
}

export function readImagePixelModule(dataSet: DataSet, source: string): ImagePixelModule {
  const rows = required(readUint16(dataSet, 'x00280010'), 'Rows', '(0028,0010)', source);
  const columns = required(readUint16(dataSet, 'x00280011'), 'Columns', '(0028,0011)', source);
  const bitsAllocated = required(readUint16(dataSet, 'x00280100'), 'Bits Allocated', '(0028,0100)', source);
  const bitsStored = required(readUint16(dataSet, 'x00280101'), 'Bits Stored', '(0028,0101)', source);
  const photometricInterpretation = readString(dataSet, 'x00280004');
  if (photometricInterpretation === undefined) {
    throw dicomError('dicom/missing-attribute', source, 'the required attribute Photometric Interpretation (0028,0004) is missing or empty');
  }
  // Type 1 in the Image Pixel Module, but ACR-NEMA-era files omit these three: defaults as DCMTK assumes them.
  const samplesPerPixel = readUint16(dataSet, 'x00280002') ?? 1;
  const highBit = readUint16(dataSet, 'x00280102') ?? bitsStored - 1;
  const representation = readUint16(dataSet, 'x00280103') ?? 0;
  const planarConfiguration = readUint16(dataSet, 'x00280006') ?? 0;
  const numberOfFrames = readNumberString(dataSet, 'x00280008') ?? 1;

  if (rows === 0 || columns === 0) {
    throw dicomError('dicom/invalid-attribute', source, `the image has no pixels (Rows ${rows}, Columns ${columns})`);
  }
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw dicomError(
      'dicom/unsupported-pixel-format',
      source,
      `Bits Allocated (0028,0100) is ${bitsAllocated}; radiographs are read with 8 or 16 bits allocated`,
    );
  }
  if (bitsStored < 1 || bitsStored > bitsAllocated) {
    throw dicomError('dicom/invalid-attribute', source, `Bits Stored (0028,0101) ${bitsStored} does not fit Bits Allocated ${bitsAllocated}`);
  }
  if (highBit < bitsStored - 1 || highBit >= bitsAllocated) {
    throw dicomError(
      'dicom/invalid-attribute',
      source,
      `High Bit (0028,0102) ${highBit} is inconsistent with Bits Stored ${bitsStored} and Bits Allocated ${bitsAllocated}`,
    );
  }
  if (representation !== 0 && representation !== 1) {
    throw dicomError('dicom/invalid-attribute', source, `Pixel Representation (0028,0103) must be 0 or 1, got ${representation}`);
  }
  return {
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation: representation,
    photometricInterpretation,
    planarConfiguration,
    numberOfFrames,
  };
}
