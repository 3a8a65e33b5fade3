import type { RadiographMetadata } from '../RadiographMetadata.js';
import type { DetectionResult, Finding } from '../../detector/DetectionResult.js';
import { boxPolyline } from './boxPolyline.js';
import { CODES, type CodedConcept } from './codes.js';
import {
  checkSource,
  dicomDateTime,
  equipmentModule,
  evidenceSequence,
  patientAndStudyModules,
  resolvedRoot,
  sopCommonModule,
  type WriteOptions,
} from './commonModules.js';
import {
  codeContentItem,
  containerItem,
  imageItem,
  numItem,
  scoordItem,
  textItem,
  uidRefItem,
} from './contentItems.js';
import { resultUids } from './resultUids.js';
import { writePart10, type NaturalDataset } from './part10.js';

/** Comprehensive SR Storage (PS3.4 B.5). */
export const COMPREHENSIVE_SR_STORAGE = '1.2.840.10008.5.1.4.1.1.88.33';

const PRESENCE: Record<DetectionResult['decision'], CodedConcept> = {
  fracture: CODES.present,
  'no fracture': CODES.absent,
  doubt: CODES.indeterminate,
};

/**
 * The DR-FDS result for one radiograph as a Comprehensive SR following TID 1500 "Measurement Report" and IHE AI
 * Results: same patient and study as the source, a new series, VerificationFlag UNVERIFIED. The tree (documented in
 * docs/dicom-results.md):
 *
 *   Imaging Measurement Report (TID 1500)
 *   ├ language, device observer context (TID 1004), procedure reported
 *   ├ Image Library (TID 1600) → the source image
 *   └ Imaging Measurements
 *     ├ Measurement Group (TID 1501): finding Fracture, Algorithm Identification (TID 4019),
 *     │   fracture probability (NUM), Fracture = present / absent / indeterminate (CODE)
 *     └ Measurement Group (TID 1410) per box: tracking id/UID, finding Fracture, TID 4019,
 *         Image Region (SCOORD closed POLYLINE, SELECTED FROM the source image), detection score, operating point
 *
 * Returns the Part 10 bytes (explicit VR little endian).
 */
export function writeResultSr(source: RadiographMetadata, result: DetectionResult, options: WriteOptions = {}): Uint8Array {
  return writePart10(buildResultSrDataset(source, result, options));
}

/** The SR data set in dcmjs naturalized form (what writeResultSr encodes). */
export function buildResultSrDataset(source: RadiographMetadata, result: DetectionResult, options: WriteOptions = {}): NaturalDataset {
  checkSource(source, result);
  const now = options.now ?? new Date();
  const { date, time } = dicomDateTime(now);
  const uids = resultUids(resolvedRoot(options), source, result.model);
  const model = result.model;

  const selectedFromSource = imageItem('SELECTED FROM', undefined, source.sopClassUid, source.sopInstanceUid);
  const algorithmIdentification = (): NaturalDataset[] => [
    textItem('HAS CONCEPT MOD', CODES.algorithmName, model.name),
    textItem('HAS CONCEPT MOD', CODES.algorithmVersion, model.version),
  ];

  const imageLevelGroup = containerItem('CONTAINS', CODES.measurementGroup, [
    textItem('HAS OBS CONTEXT', CODES.trackingIdentifier, 'Image-level fracture assessment'),
    uidRefItem('HAS OBS CONTEXT', CODES.trackingUniqueIdentifier, uids.tracking(0)),
    codeContentItem('HAS CONCEPT MOD', CODES.finding, CODES.fracture),
    ...algorithmIdentification(),
    textItem(
      'HAS CONCEPT MOD',
      CODES.algorithmParameters,
      `decision thresholds: high sensitivity ${result.thresholds.highSensitivity}, high specificity ${result.thresholds.highSpecificity}`,
    ),
    imageItem('CONTAINS', CODES.source, source.sopClassUid, source.sopInstanceUid),
    numItem('CONTAINS', CODES.fractureProbability, result.probability, CODES.noUnits),
    codeContentItem('CONTAINS', CODES.fracture, PRESENCE[result.decision]),
  ]);

  const regionGroups = result.findings.map((finding: Finding, index: number) =>
    containerItem('CONTAINS', CODES.measurementGroup, [
      textItem('HAS OBS CONTEXT', CODES.trackingIdentifier, `Fracture region ${index + 1}`),
      uidRefItem('HAS OBS CONTEXT', CODES.trackingUniqueIdentifier, uids.tracking(index + 1)),
      codeContentItem('HAS CONCEPT MOD', CODES.finding, CODES.fracture),
      ...algorithmIdentification(),
      scoordItem('CONTAINS', CODES.imageRegion, 'POLYLINE', boxPolyline(finding.box, source, `Finding ${index + 1}`), selectedFromSource),
      numItem('CONTAINS', CODES.detectionScore, finding.score, CODES.noUnits),
      codeContentItem(
        'CONTAINS',
        CODES.operatingPoint,
        finding.operatingPoint === 'high-specificity' ? CODES.highSpecificity : CODES.highSensitivity,
      ),
    ], '1410'),
  );

  const root = containerItem(undefined, CODES.imagingMeasurementReport, [
    codeContentItem('HAS CONCEPT MOD', CODES.languageOfContent, CODES.englishUs),
    codeContentItem('HAS OBS CONTEXT', CODES.observerType, CODES.device),
    uidRefItem('HAS OBS CONTEXT', CODES.deviceObserverUid, uids.deviceObserver),
    textItem('HAS OBS CONTEXT', CODES.deviceObserverName, `DR-FDS ${model.name}`),
    textItem('HAS OBS CONTEXT', CODES.deviceObserverManufacturer, 'DR-FDS'),
    textItem('HAS OBS CONTEXT', CODES.deviceObserverModelName, model.name),
    codeContentItem('HAS CONCEPT MOD', CODES.procedureReported, CODES.radiographicImagingProcedure),
    containerItem('CONTAINS', CODES.imageLibrary, [
      containerItem('CONTAINS', CODES.imageLibraryGroup, [
        imageItem('CONTAINS', undefined, source.sopClassUid, source.sopInstanceUid),
      ]),
    ]),
    containerItem('CONTAINS', CODES.imagingMeasurements, [imageLevelGroup, ...regionGroups]),
  ], '1500');

  return {
    ...sopCommonModule(COMPREHENSIVE_SR_STORAGE, uids.srInstance, model, now),
    ...patientAndStudyModules(source),
    // SR Document Series (C.17.1).
    Modality: 'SR',
    SeriesInstanceUID: uids.srSeries,
    SeriesNumber: options.seriesNumber ?? 9001,
    SeriesDescription: 'DR-FDS fracture detection (AI result, unverified)',
    ReferencedPerformedProcedureStepSequence: [],
    ...equipmentModule(model, options),
    // SR Document General (C.17.2).
    InstanceNumber: options.instanceNumber ?? 1,
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    ContentDate: date,
    ContentTime: time,
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: evidenceSequence(source),
    // SR Document Content (C.17.3): the root content item.
    ...root,
  };
}
