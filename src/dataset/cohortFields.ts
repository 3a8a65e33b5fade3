import type { RadiographMetadata } from '../dicom/RadiographMetadata.js';

/**
 * Per-image fields of the dataset format taken from the DICOM header, for cohort and subgroup tables
 * (docs/dataset-format.md). Absent attributes give absent fields, never empty strings.
 */
export interface CohortFields {
  patient_age_years?: number;
  patient_sex?: 'M' | 'F' | 'O';
  manufacturer?: string;
  manufacturer_model?: string;
  site?: string;
  modality: string;
  body_part?: string;
  view?: string;
  laterality?: string;
  pixel_spacing_mm?: [number, number];
  pixel_spacing_calibrated?: boolean;
  /** FracAtlas-style 0/1 flags (the trainer's body-part strata): hip region (HIP, PELVIS), frontal view (AP, PA). */
  hip?: 0 | 1;
  frontal?: 0 | 1;
}

/**
 * Where the image came from, nested under `dicom` so the evaluator's cohort table (which tabulates the scalar image
 * fields) does not list file names and UIDs as categories.
 */
export interface DicomProvenance {
  file: string;
  sop_instance_uid: string;
  series_instance_uid: string;
  study_instance_uid: string;
  transfer_syntax_uid: string;
  patient_age?: string;
  acquisition_date?: string;
  pixel_spacing_source?: 'PixelSpacing' | 'ImagerPixelSpacing';
}

/** Patient Age (0010,1010) "nnnD|W|M|Y" (PS3.5 AS) in years; undefined when malformed. */
export function ageStringToYears(age: string): number | undefined {
  const match = /^(\d{3})([DWMY])$/.exec(age.trim());
  if (match === null) return undefined;
  const value = Number(match[1]);
  const perYear = { D: 365.25, W: 365.25 / 7, M: 12, Y: 1 }[match[2] as 'D' | 'W' | 'M' | 'Y'];
  return Math.round((value / perYear) * 100) / 100;
}

/** Whole years between a birth date and a later date, both DA (YYYYMMDD). */
export function yearsBetween(birthDate: string, onDate: string): number | undefined {
  const parse = (text: string): [number, number, number] | undefined => {
    const match = /^(\d{4})(\d{2})(\d{2})$/.exec(text.trim());
    return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])];
  };
  const birth = parse(birthDate);
  const on = parse(onDate);
  if (birth === undefined || on === undefined) return undefined;
  let years = on[0] - birth[0];
  if (on[1] < birth[1] || (on[1] === birth[1] && on[2] < birth[2])) years -= 1;
  return years >= 0 && years < 150 ? years : undefined;
}

/**
 * The cohort fields of one image. `scale` is the resize applied to the stored image (columns, rows), so the pixel
 * spacing describes the pixels of the dataset image.
 */
export function cohortFields(metadata: RadiographMetadata, scale: { x: number; y: number } = { x: 1, y: 1 }): CohortFields {
  const fields: CohortFields = { modality: metadata.modality };
  const years =
    metadata.patientAge !== undefined
      ? ageStringToYears(metadata.patientAge)
      : metadata.patientBirthDate !== undefined && (metadata.acquisitionDate ?? metadata.studyDate) !== undefined
        ? yearsBetween(metadata.patientBirthDate, (metadata.acquisitionDate ?? metadata.studyDate)!)
        : undefined;
  if (years !== undefined) fields.patient_age_years = years;
  if (metadata.patientSex !== undefined) fields.patient_sex = metadata.patientSex;
  if (metadata.manufacturer !== undefined) fields.manufacturer = metadata.manufacturer;
  if (metadata.manufacturerModelName !== undefined) fields.manufacturer_model = metadata.manufacturerModelName;
  if (metadata.institutionName !== undefined) fields.site = metadata.institutionName;
  if (metadata.bodyPartExamined !== undefined) fields.body_part = metadata.bodyPartExamined;
  if (metadata.viewPosition !== undefined) fields.view = metadata.viewPosition;
  if (metadata.imageLaterality !== undefined) fields.laterality = metadata.imageLaterality;
  if (metadata.bodyPartExamined !== undefined) fields.hip = ['HIP', 'PELVIS'].includes(metadata.bodyPartExamined.toUpperCase()) ? 1 : 0;
  if (metadata.viewPosition !== undefined) fields.frontal = ['AP', 'PA'].includes(metadata.viewPosition.toUpperCase()) ? 1 : 0;
  if (metadata.pixelSpacing !== undefined) {
    const round = (value: number): number => Math.round(value * 1e6) / 1e6;
    fields.pixel_spacing_mm = [round(metadata.pixelSpacing.rowSpacingMm / scale.y), round(metadata.pixelSpacing.columnSpacingMm / scale.x)];
    fields.pixel_spacing_calibrated = metadata.pixelSpacing.calibrated;
  }
  return fields;
}

/** The `dicom` provenance object of a dataset image. */
export function dicomProvenance(metadata: RadiographMetadata, relativePath: string): DicomProvenance {
  const provenance: DicomProvenance = {
    file: relativePath,
    sop_instance_uid: metadata.sopInstanceUid,
    series_instance_uid: metadata.seriesInstanceUid,
    study_instance_uid: metadata.studyInstanceUid,
    transfer_syntax_uid: metadata.transferSyntaxUid,
  };
  if (metadata.patientAge !== undefined) provenance.patient_age = metadata.patientAge;
  if (metadata.acquisitionDate !== undefined) provenance.acquisition_date = metadata.acquisitionDate;
  if (metadata.pixelSpacing !== undefined) provenance.pixel_spacing_source = metadata.pixelSpacing.source;
  return provenance;
}
