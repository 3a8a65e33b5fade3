import type { RadiographMetadata } from '../RadiographMetadata.js';
import type { DetectionResult, ModelIdentity } from '../../detector/DetectionResult.js';
import { DrfdsError } from '../../errors/DrfdsError.js';
import { CODES, LOCAL_CODING_SCHEME, codeItem } from './codes.js';
import { DEFAULT_UID_ROOT, isValidUid } from './deriveUid.js';
import type { NaturalDataset } from './part10.js';

/** Options shared by the SR and presentation-state writers. */
export interface WriteOptions {
  /** UID root (default `2.25`, see deriveUid). A site with a registered root sets it here. */
  readonly uidRoot?: string;
  /** Creation date and time of the object, written in UTC (default: now). Fix it for byte-identical re-runs. */
  readonly now?: Date;
  /** Series Number of the new series (defaults: 9001 for the SR, 9002 for the presentation state). */
  readonly seriesNumber?: number;
  /** Instance Number (default 1). */
  readonly instanceNumber?: number;
  /** Presentation state only: the window to apply, normally the source image's first window (0028,1050/1051). */
  readonly voiWindow?: { readonly center: number; readonly width: number; readonly function?: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID' };
  /** Institution running DR-FDS, written in the equipment modules (Type 3; absent when not given). */
  readonly institutionName?: string;
}

export const DRFDS_MANUFACTURER = 'DR-FDS';

export function resolvedRoot(options: WriteOptions): string {
  return options.uidRoot ?? DEFAULT_UID_ROOT;
}

/** DA (YYYYMMDD) and TM (HHMMSS) in UTC, PS3.5 6.2. */
export function dicomDateTime(now: Date): { date: string; time: string; dateTime: string } {
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  const date = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  return { date, time, dateTime: `${date}${time}+0000` };
}

/** Clips a value to the maximum length of its VR (PS3.5 6.2): LO 64, SH 16, CS 16, LT 10240. */
export function clip(value: string, maxLength: number): string {
  return value.length <= maxLength ? value : value.slice(0, maxLength);
}

/** DS (PS3.5 6.2): a decimal string of at most 16 characters. */
export function formatDs(value: number): string {
  if (!Number.isFinite(value)) throw new DrfdsError('dicom-write-failed', `Internal error: cannot write ${value} as a decimal string.`);
  for (let precision = 12; precision >= 1; precision -= 1) {
    const text = String(Number(value.toPrecision(precision)));
    if (text.length <= 16) return text;
  }
  return value.toExponential(6);
}

/** Checks what the writers need from the source before they write anything, naming the attribute at fault. */
export function checkSource(source: RadiographMetadata, result: DetectionResult): void {
  for (const [keyword, uid] of [
    ['SOPClassUID', source.sopClassUid],
    ['SOPInstanceUID', source.sopInstanceUid],
    ['StudyInstanceUID', source.studyInstanceUid],
    ['SeriesInstanceUID', source.seriesInstanceUid],
  ] as const) {
    if (!isValidUid(uid)) {
      throw new DrfdsError('dicom-source-invalid', `The source image's ${keyword} "${uid}" is not a valid UID; cannot reference it from a DICOM result.`, { httpStatus: 422 });
    }
  }
  if (result.image.width !== source.columns || result.image.height !== source.rows) {
    throw new DrfdsError(
      'dicom-result-mismatch',
      `The detection result is for a ${result.image.width}×${result.image.height} image but the DICOM source ${source.sopInstanceUid} is ${source.columns}×${source.rows}; refusing to write boxes on the wrong image.`,
      { httpStatus: 422 },
    );
  }
}

/**
 * Patient (C.7.1.1) and General Study (C.7.2.1) modules copied from the source so the result lands in the same
 * patient and study. Type 2 attributes the source lacks are written empty; Type 3 ones are left out.
 */
export function patientAndStudyModules(source: RadiographMetadata): NaturalDataset {
  return {
    PatientName: source.patientName ?? '',
    PatientID: source.patientId ?? '',
    PatientBirthDate: source.patientBirthDate ?? '',
    PatientSex: source.patientSex ?? '',
    PatientAge: source.patientAge,
    StudyInstanceUID: source.studyInstanceUid,
    StudyDate: source.studyDate ?? '',
    StudyTime: source.studyTime ?? '',
    ReferringPhysicianName: source.referringPhysicianName ?? '',
    StudyID: source.studyId ?? '',
    AccessionNumber: source.accessionNumber ?? '',
    StudyDescription: source.studyDescription,
  };
}

/** General Equipment module (C.7.5.1): DR-FDS is the equipment that created the object. */
export function equipmentModule(model: ModelIdentity, options: WriteOptions): NaturalDataset {
  return {
    Manufacturer: DRFDS_MANUFACTURER,
    InstitutionName: options.institutionName === undefined ? undefined : clip(options.institutionName, 64),
    ManufacturerModelName: clip(model.name, 64),
    SoftwareVersions: clip(model.version, 64),
  };
}

/**
 * SOP Common module (C.12.1) parts shared by both objects (writePart10 adds the character set): creation date, the Contributing Equipment
 * Sequence (0018,A001) naming the algorithm (IHE AIR), and the local coding scheme declaration (0008,0110).
 */
export function sopCommonModule(sopClassUid: string, sopInstanceUid: string, model: ModelIdentity, now: Date): NaturalDataset {
  const { date, time, dateTime } = dicomDateTime(now);
  return {
    SOPClassUID: sopClassUid,
    SOPInstanceUID: sopInstanceUid,
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    TimezoneOffsetFromUTC: '+0000',
    CodingSchemeIdentificationSequence: [
      {
        CodingSchemeDesignator: LOCAL_CODING_SCHEME.designator,
        CodingSchemeName: LOCAL_CODING_SCHEME.name,
        CodingSchemeResponsibleOrganization: LOCAL_CODING_SCHEME.responsibleOrganization,
      },
    ],
    ContributingEquipmentSequence: [
      {
        PurposeOfReferenceCodeSequence: [codeItem(CODES.processingEquipment)],
        Manufacturer: DRFDS_MANUFACTURER,
        ManufacturerModelName: clip(model.name, 64),
        SoftwareVersions: clip(model.version, 64),
        ContributionDateTime: dateTime,
        ContributionDescription: clip(
          `Fracture detection by ${model.name} ${model.version} (model.onnx sha256 ${model.sha256})${model.trained ? '' : '; UNTRAINED placeholder model, not for clinical use'}`,
          1024,
        ),
      },
    ],
  };
}

/** A Referenced SOP Sequence item for the source image (PS3.3 10.8 SOP Instance Reference Macro). */
export function sourceReference(source: RadiographMetadata): NaturalDataset {
  return { ReferencedSOPClassUID: source.sopClassUid, ReferencedSOPInstanceUID: source.sopInstanceUid };
}

/** Hierarchical SOP Instance Reference Macro (C.17.2.1) for the one source image. */
export function evidenceSequence(source: RadiographMetadata): NaturalDataset[] {
  return [
    {
      StudyInstanceUID: source.studyInstanceUid,
      ReferencedSeriesSequence: [
        {
          SeriesInstanceUID: source.seriesInstanceUid,
          ReferencedSOPSequence: [sourceReference(source)],
        },
      ],
    },
  ];
}
