import type { RadiographMetadata } from '../RadiographMetadata.js';
import type { DetectionResult, Finding } from '../../detector/DetectionResult.js';
import { boxPolyline } from './boxPolyline.js';
import {
  checkSource,
  clip,
  dicomDateTime,
  equipmentModule,
  formatDs,
  patientAndStudyModules,
  resolvedRoot,
  sopCommonModule,
  sourceReference,
  type WriteOptions,
} from './commonModules.js';
import { resultUids } from './resultUids.js';
import { writePart10, type NaturalDataset } from './part10.js';

/** Grayscale Softcopy Presentation State Storage (PS3.4 B.5). */
export const GRAYSCALE_SOFTCOPY_PRESENTATION_STATE_STORAGE = '1.2.840.10008.5.1.4.1.1.11.1';

/** Options of the presentation state on top of the common ones. */
export interface PresentationStateOptions extends WriteOptions {
  /** The source's Rescale Slope/Intercept (0028,1053/1052), when it has them: copied into the Modality LUT module. */
  readonly rescale?: { readonly slope: number; readonly intercept: number; readonly type?: string };
}

/**
 * CIELab in PCS-value encoding (PS3.3 C.10.7.1.1): L* 0..100 → 0..0xFFFF, a* and b* −128..127 → 0..0xFFFF.
 */
function cieLab(l: number, a: number, b: number): number[] {
  return [Math.round((l * 0xffff) / 100), Math.round(((a + 128) * 0xffff) / 255), Math.round(((b + 128) * 0xffff) / 255)];
}

/**
 * The graphic layers (C.10.7): basic GSPS has no line styles, so the two operating points are two layers a viewer
 * can show, hide and colour separately — high specificity (the strict threshold, drawn solid in the DR-FDS viewer)
 * and high sensitivity (the lenient one, drawn dotted) — plus a summary text layer.
 */
export const GRAPHIC_LAYERS = {
  highSpecificity: {
    GraphicLayer: 'HIGH_SPECIFICITY',
    GraphicLayerOrder: 3,
    GraphicLayerRecommendedDisplayGrayscaleValue: 0xffff,
    GraphicLayerRecommendedDisplayCIELabValue: cieLab(53.2, 80.1, 67.2), // red
    GraphicLayerDescription: 'DR-FDS fracture boxes, high-specificity operating point',
  },
  highSensitivity: {
    GraphicLayer: 'HIGH_SENSITIVITY',
    GraphicLayerOrder: 2,
    GraphicLayerRecommendedDisplayGrayscaleValue: 0xc000,
    GraphicLayerRecommendedDisplayCIELabValue: cieLab(97.1, -21.6, 94.5), // yellow
    GraphicLayerDescription: 'DR-FDS fracture boxes, high-sensitivity operating point only',
  },
  summary: {
    GraphicLayer: 'DRFDS_SUMMARY',
    GraphicLayerOrder: 1,
    GraphicLayerRecommendedDisplayGrayscaleValue: 0xffff,
    GraphicLayerRecommendedDisplayCIELabValue: cieLab(100, 0, 0), // white
    GraphicLayerDescription: 'DR-FDS image-level result (AI, unverified)',
  },
} as const;

/** Text objects need a box; size it from the image so labels stay readable on a 2000-pixel radiograph. */
function textBox(anchorX: number, anchorY: number, boxBottom: number, text: string, source: RadiographMetadata): NaturalDataset {
  const height = Math.max(12, Math.round(source.rows * 0.025));
  const width = Math.min(source.columns, Math.round(height * 0.6 * text.length));
  const left = Math.max(0, Math.min(anchorX, source.columns - width));
  // Above the box when there is room, otherwise just below it.
  const top = anchorY - height >= 0 ? anchorY - height : Math.min(boxBottom, source.rows - height);
  return {
    UnformattedTextValue: text,
    BoundingBoxAnnotationUnits: 'PIXEL',
    BoundingBoxTopLeftHandCorner: [left, top],
    BoundingBoxBottomRightHandCorner: [left + width, top + height],
    BoundingBoxTextHorizontalJustification: 'LEFT',
  };
}

/**
 * Body Part Examined (0018,0015) defined terms that are not paired structures (PS3.16 Annex L): for these,
 * Laterality must be absent. Every other (or a missing) body part may be paired — a hip is — so it gets one.
 */
const UNPAIRED_BODY_PARTS = new Set([
  'ABDOMEN', 'ABDOMENPELVIS', 'BRAIN', 'CHEST', 'CHESTABDOMEN', 'CHESTABDPELVIS', 'COCCYX', 'CSPINE', 'HEAD', 'HEART',
  'LSPINE', 'NECK', 'PELVIS', 'SKULL', 'SPINE', 'SSPINE', 'TSPINE', 'WHOLEBODY',
]);

/**
 * Laterality (0020,0060) is Type 2C in General Series: absent for an unpaired body part (the pelvis), present for a
 * paired one (a hip): the source's Image Laterality when it is R or L, else empty (side unknown or both).
 */
function seriesLaterality(source: RadiographMetadata): string | undefined {
  if (source.bodyPartExamined !== undefined && UNPAIRED_BODY_PARTS.has(source.bodyPartExamined.toUpperCase())) return undefined;
  if (source.imageLaterality === 'R' || source.imageLaterality === 'L') return source.imageLaterality;
  return '';
}

/** "fracture 0.87" at the high-specificity point, "fracture? 0.31" when the box passes only high sensitivity. */
function findingLabel(finding: Finding): string {
  return `${finding.operatingPoint === 'high-specificity' ? 'fracture' : 'fracture?'} ${finding.score.toFixed(2)}`;
}

function summaryText(result: DetectionResult): string {
  const untrained = result.model.trained ? '' : ' UNTRAINED MODEL';
  return `DR-FDS AI (unverified): ${result.decision}, p=${result.probability.toFixed(2)}${untrained}`;
}

/**
 * A Grayscale Softcopy Presentation State (PS3.3 A.33.1) that shows the source radiograph with the DR-FDS boxes
 * (closed POLYLINEs in PIXEL units), a score label per box and an image-level summary line, so any PACS viewer
 * displays the result without DR-FDS-specific support. Same patient and study as the source, new series, UIDs from
 * resultUids. Returns the Part 10 bytes (explicit VR little endian).
 */
export function writePresentationState(source: RadiographMetadata, result: DetectionResult, options: PresentationStateOptions = {}): Uint8Array {
  return writePart10(buildPresentationStateDataset(source, result, options));
}

/** The presentation-state data set in dcmjs naturalized form. */
export function buildPresentationStateDataset(source: RadiographMetadata, result: DetectionResult, options: PresentationStateOptions = {}): NaturalDataset {
  checkSource(source, result);
  const now = options.now ?? new Date();
  const { date, time } = dicomDateTime(now);
  const uids = resultUids(resolvedRoot(options), source, result.model);
  const referencedImage = [sourceReference(source)];

  const annotations: NaturalDataset[] = [];
  for (const [layer, operatingPoint] of [
    [GRAPHIC_LAYERS.highSpecificity.GraphicLayer, 'high-specificity'],
    [GRAPHIC_LAYERS.highSensitivity.GraphicLayer, 'high-sensitivity'],
  ] as const) {
    const findings = result.findings
      .map((finding, index) => ({ finding, index }))
      .filter(({ finding }) => finding.operatingPoint === operatingPoint);
    if (findings.length === 0) continue;
    annotations.push({
      ReferencedImageSequence: referencedImage,
      GraphicLayer: layer,
      GraphicObjectSequence: findings.map(({ finding, index }) => ({
        GraphicAnnotationUnits: 'PIXEL',
        GraphicDimensions: 2,
        NumberOfGraphicPoints: 5,
        GraphicData: boxPolyline(finding.box, source, `Finding ${index + 1}`),
        GraphicType: 'POLYLINE',
        GraphicFilled: 'N',
      })),
      TextObjectSequence: findings.map(({ finding }) =>
        textBox(finding.box.x, finding.box.y, finding.box.y + finding.box.height, findingLabel(finding), source),
      ),
    });
  }
  annotations.push({
    ReferencedImageSequence: referencedImage,
    GraphicLayer: GRAPHIC_LAYERS.summary.GraphicLayer,
    TextObjectSequence: [textBox(0, Math.max(12, Math.round(source.rows * 0.025)), 0, summaryText(result), source)],
  });

  const spacing = source.pixelSpacing;
  const displayedArea: NaturalDataset = {
    DisplayedAreaTopLeftHandCorner: [1, 1],
    DisplayedAreaBottomRightHandCorner: [source.columns, source.rows],
    PresentationSizeMode: 'SCALE TO FIT',
  };
  if (spacing !== undefined && spacing.rowSpacingMm > 0 && spacing.columnSpacingMm > 0) {
    displayedArea['PresentationPixelSpacing'] = [formatDs(spacing.rowSpacingMm), formatDs(spacing.columnSpacingMm)];
  } else {
    displayedArea['PresentationPixelAspectRatio'] = [1, 1];
  }

  const dataset: NaturalDataset = {
    ...sopCommonModule(GRAYSCALE_SOFTCOPY_PRESENTATION_STATE_STORAGE, uids.presentationStateInstance, result.model, now),
    ...patientAndStudyModules(source),
    // General Series (C.7.3.1) and Presentation Series (C.11.9).
    Modality: 'PR',
    SeriesInstanceUID: uids.presentationStateSeries,
    SeriesNumber: options.seriesNumber ?? 9002,
    BodyPartExamined: source.bodyPartExamined,
    Laterality: seriesLaterality(source),
    SeriesDescription: 'DR-FDS fracture boxes (AI result, unverified)',
    ...equipmentModule(result.model, options),
    // Presentation State Identification (C.11.10).
    InstanceNumber: options.instanceNumber ?? 1,
    ContentLabel: 'DRFDS_FRACTURE',
    ContentDescription: clip(`DR-FDS ${result.model.name} ${result.model.version}: fracture boxes`, 64),
    PresentationCreationDate: date,
    PresentationCreationTime: time,
    ContentCreatorName: '',
    // Presentation State Relationship (C.11.11).
    ReferencedSeriesSequence: [{ SeriesInstanceUID: source.seriesInstanceUid, ReferencedImageSequence: referencedImage }],
    // Displayed Area (C.10.4).
    DisplayedAreaSelectionSequence: [displayedArea],
    // Graphic Annotation (C.10.5) and Graphic Layer (C.10.7).
    GraphicAnnotationSequence: annotations,
    GraphicLayerSequence: [GRAPHIC_LAYERS.highSpecificity, GRAPHIC_LAYERS.highSensitivity, GRAPHIC_LAYERS.summary].map((layer) => ({
      ...layer,
      GraphicLayerRecommendedDisplayCIELabValue: [...layer.GraphicLayerRecommendedDisplayCIELabValue],
    })),
    // Softcopy Presentation LUT (C.11.6): MONOCHROME1 sources are shown inverted, as their own photometric says.
    PresentationLUTShape: source.photometricInterpretation === 'MONOCHROME1' ? 'INVERSE' : 'IDENTITY',
  };
  if (options.rescale !== undefined) {
    // Modality LUT (C.11.1): the presentation state's modality transform replaces the image's, so copy it.
    dataset['RescaleIntercept'] = formatDs(options.rescale.intercept);
    dataset['RescaleSlope'] = formatDs(options.rescale.slope);
    dataset['RescaleType'] = options.rescale.type ?? 'US';
  }
  if (options.voiWindow !== undefined) {
    // Softcopy VOI LUT (C.11.8), applying to every referenced image.
    dataset['SoftcopyVOILUTSequence'] = [
      {
        WindowCenter: formatDs(options.voiWindow.center),
        WindowWidth: formatDs(options.voiWindow.width),
        // VOI LUT Function (0028,1056): LINEAR is the default and is left implicit.
        VOILUTFunction: options.voiWindow.function === undefined || options.voiWindow.function === 'LINEAR' ? undefined : options.voiWindow.function,
      },
    ];
  }
  return dataset;
}
