/**
 * What the rest of DR-FDS needs to know about a DICOM radiograph, by DICOM keyword (PS3.6). Filled by the DICOM
 * reader (src/dicom), consumed by the detector (mm sizes), the SR / presentation-state writers (same patient and
 * study, references to the source image) and the dataset builder (cohort and subgroup fields).
 * Optional fields are absent when the file does not have them (never empty strings).
 */
export interface PixelSpacingInfo {
  /** Row spacing then column spacing in mm, i.e. (0028,0030) order: adjacent rows, adjacent columns. */
  readonly rowSpacingMm: number;
  readonly columnSpacingMm: number;
  /** Which attribute gave it: Pixel Spacing (0028,0030) or Imager Pixel Spacing (0018,1164). */
  readonly source: 'PixelSpacing' | 'ImagerPixelSpacing';
  /**
   * True only when the spacing is calibrated to the patient (Pixel Spacing with a calibration type or a
   * geometry correction); Imager Pixel Spacing is at the detector plane and magnified (PS3.3 C.8.11.7).
   */
  readonly calibrated: boolean;
}

export interface PatientStudyAttributes {
  readonly patientName?: string;
  readonly patientId?: string;
  readonly patientBirthDate?: string;
  readonly patientSex?: 'M' | 'F' | 'O';
  /** (0010,1010) as stored, e.g. "071Y". */
  readonly patientAge?: string;
  readonly studyDate?: string;
  readonly studyTime?: string;
  readonly studyId?: string;
  readonly accessionNumber?: string;
  readonly referringPhysicianName?: string;
  readonly studyDescription?: string;
}

export interface RadiographMetadata extends PatientStudyAttributes {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly transferSyntaxUid: string;
  readonly modality: string;
  readonly bodyPartExamined?: string;
  readonly viewPosition?: string;
  readonly imageLaterality?: string;
  readonly rows: number;
  readonly columns: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly photometricInterpretation: 'MONOCHROME1' | 'MONOCHROME2';
  readonly pixelSpacing?: PixelSpacingInfo;
  readonly manufacturer?: string;
  readonly manufacturerModelName?: string;
  readonly institutionName?: string;
  readonly acquisitionDate?: string;
  readonly seriesNumber?: number;
  readonly instanceNumber?: number;
}
