import type { DataSet } from 'dicom-parser';
import { readString } from './attributes.js';
import { dicomError } from './dicomError.js';
import type { ImagePixelModule } from './imagePixelModule.js';

/**
 * Modalities (0008,0060) of projection radiography (PS3.3 C.7.3.1.1.1): computed and digital radiography,
 * film digitised as RG, mammography, intra-oral and panoramic, fluoroscopy and angiography single frames.
 * OT (other) is accepted with a warning, since secondary captures of radiographs are common.
 */
const PROJECTION_MODALITIES = new Set(['CR', 'DX', 'RG', 'MG', 'IO', 'PX', 'RF', 'XA', 'DR', 'OT']);

const MODALITY_NAMES: Readonly<Record<string, string>> = {
  CT: 'computed tomography',
  MR: 'magnetic resonance',
  US: 'ultrasound',
  NM: 'nuclear medicine',
  PT: 'PET',
  OP: 'ophthalmic photography',
  XC: 'external-camera photography',
  ES: 'endoscopy',
  SM: 'slide microscopy',
  SR: 'structured report',
  PR: 'presentation state',
  SEG: 'segmentation',
  RTIMAGE: 'radiotherapy image',
};

/**
 * Rejects valid DICOM that is not a single-frame grayscale projection radiograph, listing every reason at
 * once (e.g. "Modality US (ultrasound); colour (PALETTE COLOR); multi-frame (2 frames)").
 */
export function checkRadiograph(dataSet: DataSet, pixel: ImagePixelModule, source: string): void {
  const reasons: string[] = [];
  const modality = readString(dataSet, 'x00080060')?.toUpperCase();
  if (modality !== undefined && !PROJECTION_MODALITIES.has(modality)) {
    const name = MODALITY_NAMES[modality];
    reasons.push(`Modality ${modality}${name === undefined ? '' : ` (${name})`} is not projection radiography`);
  }
  const photometric = pixel.photometricInterpretation;
  if (photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2') reasons.push(`it is a colour image (${photometric})`);
  else if (pixel.samplesPerPixel !== 1) reasons.push(`it has ${pixel.samplesPerPixel} samples per pixel`);
  if (pixel.numberOfFrames !== 1) reasons.push(`it is multi-frame (${pixel.numberOfFrames} frames)`);
  if (reasons.length > 0) {
    throw dicomError('dicom/not-a-radiograph', source, `not a single-frame grayscale radiograph: ${reasons.join('; ')}`);
  }
}
