import { DrfdsError } from '../errors/DrfdsError.js';

/** Stable error codes of the DICOM reader (docs/dicom.md lists what each means and what to do). */
export type DicomErrorCode =
  | 'dicom/not-dicom'
  | 'dicom/truncated'
  | 'dicom/corrupt-pixel-data'
  | 'dicom/malformed'
  | 'dicom/unsupported-transfer-syntax'
  | 'dicom/unsupported-pixel-format'
  | 'dicom/not-a-radiograph'
  | 'dicom/missing-attribute'
  | 'dicom/invalid-attribute'
  | 'dicom/invalid-window'
  | 'dicom/unreadable-file';

/** 415 when the encoding itself is not supported; 422 when the content is wrong or not a radiograph. */
const HTTP_STATUS: Readonly<Record<DicomErrorCode, number>> = {
  'dicom/not-dicom': 415,
  'dicom/unsupported-transfer-syntax': 415,
  'dicom/unsupported-pixel-format': 415,
  'dicom/truncated': 422,
  'dicom/corrupt-pixel-data': 422,
  'dicom/malformed': 422,
  'dicom/not-a-radiograph': 422,
  'dicom/missing-attribute': 422,
  'dicom/invalid-attribute': 422,
  'dicom/invalid-window': 400,
  'dicom/unreadable-file': 404,
};

export function dicomError(code: DicomErrorCode, source: string, message: string, cause?: unknown): DrfdsError {
  return new DrfdsError(code, `${source}: ${message}`, {
    httpStatus: HTTP_STATUS[code],
    ...(cause === undefined ? {} : { cause }),
  });
}
