import { createRequire } from 'node:module';
import { DrfdsError, describeThrown } from '../../errors/DrfdsError.js';
import { DEFAULT_UID_ROOT, deriveUid } from './deriveUid.js';

/** A data set in dcmjs "naturalized" form: DICOM keywords (PS3.6) to values; sequences are arrays of data sets. */
export type NaturalDataset = { [keyword: string]: NaturalValue };
export type NaturalValue = string | number | readonly (string | number)[] | readonly NaturalDataset[] | ArrayBuffer | undefined;

/** The subset of dcmjs 0.51 used here (dcmjs ships no type declarations). */
interface DcmjsData {
  DicomDict: new (meta: unknown) => { dict: unknown; write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer };
  DicomMetaDictionary: { denaturalizeDataset(dataset: NaturalDataset): unknown };
}
const require = createRequire(import.meta.url);
const dcmjs = require('dcmjs') as { data: DcmjsData };

/** Explicit VR Little Endian (PS3.5 A.2): what every object DR-FDS writes uses. */
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** Fixed, derived once from the DR-FDS name space under 2.25 (see docs/dicom-results.md). */
export const IMPLEMENTATION_CLASS_UID = deriveUid(DEFAULT_UID_ROOT, 'implementation-class', 'drfds');
export const IMPLEMENTATION_VERSION_NAME = 'DRFDS_1';

/**
 * Serialises a data set as a DICOM Part 10 file (PS3.10 7.1): 128-byte preamble, "DICM", File Meta Information
 * (group 0002, PS3.10 7.1 Table 7.1-1) and the data set in explicit VR little endian.
 */
export function writePart10(dataset: NaturalDataset): Uint8Array {
  const sopClassUid = dataset['SOPClassUID'];
  const sopInstanceUid = dataset['SOPInstanceUID'];
  if (typeof sopClassUid !== 'string' || typeof sopInstanceUid !== 'string') {
    throw new DrfdsError('dicom-write-failed', 'Internal error: a data set to write has no SOP Class UID or SOP Instance UID.');
  }
  const meta: NaturalDataset = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
  try {
    const { DicomDict, DicomMetaDictionary } = dcmjs.data;
    const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
    dict.dict = DicomMetaDictionary.denaturalizeDataset(withCharacterSet(withoutUndefined(dataset)));
    return new Uint8Array(dict.write());
  } catch (error) {
    throw new DrfdsError('dicom-write-failed', `Could not encode the DICOM object ${sopInstanceUid}: ${describeThrown(error)}`, { cause: error });
  }
}

/** dcmjs writes `undefined` as an empty element; absent Type 3 attributes must not be written at all. */
function withoutUndefined(dataset: NaturalDataset): NaturalDataset {
  const out: NaturalDataset = {};
  for (const [keyword, value] of Object.entries(dataset)) {
    if (value === undefined) continue;
    if (Array.isArray(value) && value.length > 0 && typeof value[0] === 'object') {
      out[keyword] = (value as readonly NaturalDataset[]).map(withoutUndefined);
    } else {
      out[keyword] = value;
    }
  }
  return out;
}

/**
 * Specific Character Set (0008,0005): absent (the default repertoire, ASCII) when every string is ASCII — what most
 * PACS and validators handle best — and ISO_IR 192 (UTF-8, what dcmjs encodes) when any is not (PS3.3 C.12.1.1.2).
 */
function withCharacterSet(dataset: NaturalDataset): NaturalDataset {
  const { SpecificCharacterSet: _ignored, ...rest } = dataset;
  return hasNonAscii(rest) ? { SpecificCharacterSet: 'ISO_IR 192', ...rest } : rest;
}

function hasNonAscii(value: NaturalValue | NaturalDataset): boolean {
  if (typeof value === 'string') return /[^\x00-\x7f]/.test(value);
  if (Array.isArray(value)) return value.some((entry: string | number | NaturalDataset) => hasNonAscii(entry));
  if (value !== null && typeof value === 'object' && !(value instanceof ArrayBuffer)) {
    return Object.values(value as NaturalDataset).some(hasNonAscii);
  }
  return false;
}
