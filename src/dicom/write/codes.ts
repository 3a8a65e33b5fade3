/**
 * Coded concepts used in the DR-FDS SR and presentation state (PS3.3 8.8 Code Sequence Macro). DCM codes are from
 * PS3.16 Annex D, SCT from SNOMED CT, UCUM units, RFC5646 language tags. The few concepts no public terminology
 * has (fracture probability, the detector's box score and operating point) use the local scheme `99DRFDS`,
 * declared in the Coding Scheme Identification Sequence (0008,0110) of every object we write. Code values are SH
 * (at most 16 characters).
 */
export interface CodedConcept {
  readonly value: string;
  readonly scheme: string;
  readonly meaning: string;
}

function code(value: string, scheme: string, meaning: string): CodedConcept {
  return { value, scheme, meaning };
}

export const LOCAL_CODING_SCHEME = {
  designator: '99DRFDS',
  name: 'DR-FDS local codes',
  responsibleOrganization: 'DR-FDS project',
} as const;

export const CODES = {
  // TID 1500 Measurement Report and the templates it includes (PS3.16).
  imagingMeasurementReport: code('126000', 'DCM', 'Imaging Measurement Report'),
  languageOfContent: code('121049', 'DCM', 'Language of Content Item and Descendants'),
  englishUs: code('en-US', 'RFC5646', 'English (United States)'),
  observerType: code('121005', 'DCM', 'Observer Type'),
  device: code('121007', 'DCM', 'Device'),
  deviceObserverUid: code('121012', 'DCM', 'Device Observer UID'),
  deviceObserverName: code('121013', 'DCM', 'Device Observer Name'),
  deviceObserverManufacturer: code('121014', 'DCM', 'Device Observer Manufacturer'),
  deviceObserverModelName: code('121015', 'DCM', 'Device Observer Model Name'),
  procedureReported: code('121058', 'DCM', 'Procedure reported'),
  radiographicImagingProcedure: code('363680008', 'SCT', 'Radiographic imaging procedure'),
  imageLibrary: code('111028', 'DCM', 'Image Library'),
  imageLibraryGroup: code('126200', 'DCM', 'Image Library Group'),
  imagingMeasurements: code('126010', 'DCM', 'Imaging Measurements'),
  measurementGroup: code('125007', 'DCM', 'Measurement Group'),
  trackingIdentifier: code('112039', 'DCM', 'Tracking Identifier'),
  trackingUniqueIdentifier: code('112040', 'DCM', 'Tracking Unique Identifier'),
  finding: code('121071', 'DCM', 'Finding'),
  imageRegion: code('111030', 'DCM', 'Image Region'),
  /** Concept name of a measurement group's source image (as highdicom uses it for TID 1501). */
  source: code('260753009', 'SCT', 'Source'),
  // TID 4019 Algorithm Identification.
  algorithmName: code('111001', 'DCM', 'Algorithm Name'),
  algorithmVersion: code('111003', 'DCM', 'Algorithm Version'),
  algorithmParameters: code('111002', 'DCM', 'Algorithm Parameters'),
  // Findings and qualitative values (SNOMED CT).
  fracture: code('72704001', 'SCT', 'Fracture'),
  present: code('52101004', 'SCT', 'Present'),
  absent: code('2667000', 'SCT', 'Absent'),
  indeterminate: code('82334004', 'SCT', 'Indeterminate'),
  // Units (UCUM): probabilities and scores are dimensionless.
  noUnits: code('1', 'UCUM', 'no units'),
  // Contributing Equipment purpose (CID 7005).
  processingEquipment: code('109102', 'DCM', 'Processing Equipment'),
  // Local concepts (99DRFDS), documented in docs/dicom-results.md.
  fractureProbability: code('FX-PROBABILITY', LOCAL_CODING_SCHEME.designator, 'Fracture probability'),
  detectionScore: code('DETECTION-SCORE', LOCAL_CODING_SCHEME.designator, 'Detection score'),
  operatingPoint: code('OPERATING-POINT', LOCAL_CODING_SCHEME.designator, 'Operating point'),
  highSpecificity: code('HIGH-SPECIFICITY', LOCAL_CODING_SCHEME.designator, 'High specificity operating point'),
  highSensitivity: code('HIGH-SENSITIVITY', LOCAL_CODING_SCHEME.designator, 'High sensitivity operating point'),
} as const;

/** The Code Sequence Macro item for a concept, in dcmjs naturalized form. */
export function codeItem(concept: CodedConcept): Record<string, string> {
  return { CodeValue: concept.value, CodingSchemeDesignator: concept.scheme, CodeMeaning: concept.meaning };
}
