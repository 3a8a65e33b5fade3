import type { DataSet } from 'dicom-parser';
import { TextDecoder } from 'node:util';

/**
 * Specific Character Set (0008,0005) defined terms (PS3.3 C.12.1.1.2) → WHATWG encoding labels for TextDecoder.
 * Only single-byte / non-ISO-2022 sets are mapped; code extensions (ISO 2022 escapes) fall back to Latin-1,
 * which keeps ASCII intact.
 */
const ENCODINGS: Readonly<Record<string, string>> = {
  'ISO_IR 6': 'latin1',
  'ISO_IR 100': 'latin1',
  'ISO_IR 101': 'iso-8859-2',
  'ISO_IR 109': 'iso-8859-3',
  'ISO_IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6',
  'ISO_IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8',
  'ISO_IR 148': 'iso-8859-9',
  'ISO_IR 203': 'iso-8859-15',
  'ISO_IR 166': 'windows-874',
  'ISO_IR 13': 'shift_jis',
  'ISO_IR 192': 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

export function textDecoderFor(dataSet: DataSet): TextDecoder {
  const element = dataSet.elements['x00080005'];
  let term = '';
  if (element !== undefined && element.length > 0) {
    term = (dataSet.string('x00080005') ?? '').split('\\').map((part) => part.trim()).find((part) => part !== '') ?? '';
  }
  const label = ENCODINGS[term] ?? 'latin1';
  try {
    return new TextDecoder(label);
  } catch {
    return new TextDecoder('latin1');
  }
}

/** A text element (PN, LO, SH, ST, LT) decoded with the data set's character set; trailing padding removed. */
export function readText(dataSet: DataSet, tag: string, decoder: TextDecoder): string | undefined {
  const element = dataSet.elements[tag];
  if (element === undefined || element.length === 0) return undefined;
  const end = Math.min(dataSet.byteArray.length, element.dataOffset + element.length);
  const text = decoder.decode(dataSet.byteArray.subarray(element.dataOffset, end)).replace(/[\0 ]+$/g, '').trim();
  return text === '' ? undefined : text;
}
