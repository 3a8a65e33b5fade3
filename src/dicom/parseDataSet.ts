import dicomParser from 'dicom-parser';
import type { DataSet } from 'dicom-parser';
import { describeThrown } from '../errors/DrfdsError.js';
import { dicomError } from './dicomError.js';
import { detectRawDataSet, hasPart10Preamble } from './isProbablyDicom.js';
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from './transferSyntax.js';

export interface ParsedDataSet {
  readonly dataSet: DataSet;
  readonly transferSyntaxUid: string;
  /** False for a raw data set without preamble and File Meta Information. */
  readonly part10: boolean;
}

/** dicom-parser needs a Node Buffer (its deflate path calls Buffer methods); wrap without copying. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function classifyParseFailure(thrown: unknown, source: string): Error {
  const reason = describeThrown(thrown);
  if (/buffer overrun|beyond|end of (the )?buffer|eof|missing sequence delimiter|readFixedString|position/i.test(reason)) {
    return dicomError(
      'dicom/truncated',
      source,
      `the file ends inside a data element (truncated transfer or a corrupt element length): ${reason}`,
      thrown,
    );
  }
  return dicomError('dicom/malformed', source, `the DICOM data set cannot be parsed: ${reason}`, thrown);
}

/**
 * Parses a Part 10 file (PS3.10 §7) or a raw data set (no preamble and no meta; its transfer syntax is
 * detected as implicit or explicit VR little endian from the first element). Pixel Data is not decoded here.
 */
export function parseDataSet(bytes: Uint8Array, source: string): ParsedDataSet {
  const buffer = asBuffer(bytes);
  const part10 = hasPart10Preamble(bytes);
  let rawTransferSyntax: string | undefined;
  if (!part10) {
    const raw = detectRawDataSet(bytes);
    if (raw === undefined) {
      throw dicomError(
        'dicom/not-dicom',
        source,
        'not a DICOM file: no "DICM" marker at byte 128 and the bytes do not start like a DICOM data set',
      );
    }
    rawTransferSyntax = raw === 'implicit-little' ? IMPLICIT_VR_LITTLE_ENDIAN : EXPLICIT_VR_LITTLE_ENDIAN;
  }
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(buffer, rawTransferSyntax === undefined ? {} : { TransferSyntaxUID: rawTransferSyntax });
  } catch (thrown) {
    throw classifyParseFailure(thrown, source);
  }
  let transferSyntaxUid = rawTransferSyntax;
  if (transferSyntaxUid === undefined) {
    try {
      transferSyntaxUid = dataSet.string('x00020010')?.replace(/\0/g, '').trim();
    } catch (thrown) {
      throw classifyParseFailure(thrown, source);
    }
  }
  if (transferSyntaxUid === undefined || transferSyntaxUid === '') {
    throw dicomError('dicom/missing-attribute', source, 'the file meta information has no Transfer Syntax UID (0002,0010)');
  }
  return { dataSet, transferSyntaxUid, part10 };
}
