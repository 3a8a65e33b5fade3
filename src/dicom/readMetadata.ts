import type { DataSet } from 'dicom-parser';
import { readNumberString, readNumberStrings, readString } from './attributes.js';
import { dicomError } from './dicomError.js';
import type { ImagePixelModule } from './imagePixelModule.js';
import type { PixelSpacingInfo, RadiographMetadata } from './RadiographMetadata.js';
import { readText, textDecoderFor } from './textDecoding.js';

function requiredUid(dataSet: DataSet, tag: string, keyword: string, source: string): string {
  const value = readString(dataSet, tag);
  if (value === undefined) {
    throw dicomError('dicom/missing-attribute', source, `the required attribute ${keyword} (${tag.slice(1, 5)},${tag.slice(5)}) is missing or empty`);
  }
  return value;
}

/** DA (YYYYMMDD); the ACR-NEMA form YYYY.MM.DD is normalised; anything else is kept as stored. */
function readDate(dataSet: DataSet, tag: string): string | undefined {
  const value = readString(dataSet, tag);
  if (value === undefined) return undefined;
  const acrNema = /^(\d{4})\.(\d{2})\.(\d{2})$/.exec(value);
  return acrNema ? `${acrNema[1]}${acrNema[2]}${acrNema[3]}` : value;
}

function readSex(dataSet: DataSet): 'M' | 'F' | 'O' | undefined {
  const value = readString(dataSet, 'x00100040')?.toUpperCase();
  return value === 'M' || value === 'F' || value === 'O' ? value : undefined;
}

function positivePair(values: number[]): [number, number] | undefined {
  const [row, column] = values;
  if (row === undefined || column === undefined || !(row > 0) || !(column > 0)) return undefined;
  return [row, column];
}

/**
 * Pixel Spacing (0028,0030) vs Imager Pixel Spacing (0018,1164), PS3.3 C.8.11.7 / §10.7.1.3. Pixel Spacing is
 * taken as calibrated to the patient when Pixel Spacing Calibration Type (0028,0A02) is present, or when it
 * differs from Imager Pixel Spacing (a magnification / geometry correction was applied). Imager Pixel Spacing
 * alone is at the detector plane: magnified, not calibrated. Zero or malformed spacings count as absent.
 */
export function readPixelSpacing(dataSet: DataSet): PixelSpacingInfo | undefined {
  const pixel = positivePair(readNumberStrings(dataSet, 'x00280030'));
  const imager = positivePair(readNumberStrings(dataSet, 'x00181164'));
  if (pixel !== undefined) {
    const calibrationType = readString(dataSet, 'x00280a02');
    const corrected = imager !== undefined && (Math.abs(imager[0] - pixel[0]) > 1e-9 || Math.abs(imager[1] - pixel[1]) > 1e-9);
    return { rowSpacingMm: pixel[0], columnSpacingMm: pixel[1], source: 'PixelSpacing', calibrated: calibrationType !== undefined || corrected };
  }
  if (imager !== undefined) return { rowSpacingMm: imager[0], columnSpacingMm: imager[1], source: 'ImagerPixelSpacing', calibrated: false };
  return undefined;
}

function defined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined) delete value[key];
  return value;
}

export function readMetadata(
  dataSet: DataSet,
  pixel: ImagePixelModule,
  transferSyntaxUid: string,
  source: string,
): RadiographMetadata {
  const decoder = textDecoderFor(dataSet);
  const photometric = pixel.photometricInterpretation;
  if (photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2') {
    throw dicomError('dicom/not-a-radiograph', source, `Photometric Interpretation ${photometric} is not a grayscale radiograph`);
  }
  const modality = readString(dataSet, 'x00080060');
  if (modality === undefined) throw dicomError('dicom/missing-attribute', source, 'the required attribute Modality (0008,0060) is missing or empty');
  const metadata: RadiographMetadata = {
    sopClassUid: requiredUid(dataSet, 'x00080016', 'SOP Class UID', source),
    sopInstanceUid: requiredUid(dataSet, 'x00080018', 'SOP Instance UID', source),
    studyInstanceUid: requiredUid(dataSet, 'x0020000d', 'Study Instance UID', source),
    seriesInstanceUid: requiredUid(dataSet, 'x0020000e', 'Series Instance UID', source),
    transferSyntaxUid,
    modality,
    bodyPartExamined: readString(dataSet, 'x00180015')?.toUpperCase(),
    viewPosition: readString(dataSet, 'x00185101')?.toUpperCase(),
    // Image Laterality (0020,0062), else the series-level Laterality (0020,0060).
    imageLaterality: readString(dataSet, 'x00200062') ?? readString(dataSet, 'x00200060'),
    rows: pixel.rows,
    columns: pixel.columns,
    bitsAllocated: pixel.bitsAllocated,
    bitsStored: pixel.bitsStored,
    photometricInterpretation: photometric,
    pixelSpacing: readPixelSpacing(dataSet),
    manufacturer: readText(dataSet, 'x00080070', decoder),
    manufacturerModelName: readText(dataSet, 'x00081090', decoder),
    institutionName: readText(dataSet, 'x00080080', decoder),
    acquisitionDate: readDate(dataSet, 'x00080022'),
    seriesNumber: readNumberString(dataSet, 'x00200011'),
    instanceNumber: readNumberString(dataSet, 'x00200013'),
    patientName: readText(dataSet, 'x00100010', decoder),
    patientId: readText(dataSet, 'x00100020', decoder),
    patientBirthDate: readDate(dataSet, 'x00100030'),
    patientSex: readSex(dataSet),
    patientAge: readString(dataSet, 'x00101010'),
    studyDate: readDate(dataSet, 'x00080020'),
    studyTime: readString(dataSet, 'x00080030'),
    studyId: readText(dataSet, 'x00200010', decoder),
    accessionNumber: readText(dataSet, 'x00080050', decoder),
    referringPhysicianName: readText(dataSet, 'x00080090', decoder),
    studyDescription: readText(dataSet, 'x00081030', decoder),
  };
  return defined(metadata);
}
