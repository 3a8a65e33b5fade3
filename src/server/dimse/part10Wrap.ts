import { IMPLEMENTATION_CLASS_UID } from '../../dicom/write/index.js';

/** One explicit-VR little-endian element of the File Meta Information (PS3.10 7.1, PS3.5 7.1.2). */
function element(element: number, vr: string, value: Buffer): Buffer {
  const long = vr === 'OB';
  const header = Buffer.alloc(long ? 12 : 8);
  header.writeUInt16LE(0x0002, 0);
  header.writeUInt16LE(element, 2);
  header.write(vr, 4, 'ascii');
  if (long) header.writeUInt32LE(value.length, 8);
  else header.writeUInt16LE(value.length, 6);
  return Buffer.concat([header, value]);
}

/** UI values are padded with NUL to even length, AE/SH with a space (PS3.5 6.2). */
function text(value: string, pad: '\0' | ' '): Buffer {
  return Buffer.from(value.length % 2 === 0 ? value : value + pad, 'ascii');
}

/**
 * Turns a data set received over the network (the bytes of the C-STORE data set, in the accepted transfer syntax)
 * into a Part 10 file: 128-byte preamble, "DICM", File Meta Information, then the data set bytes unchanged — so what
 * the modality sent is what is stored, bit for bit.
 */
export function wrapPart10(dataSet: Uint8Array, meta: { readonly sopClassUid: string; readonly sopInstanceUid: string; readonly transferSyntaxUid: string; readonly sourceAeTitle?: string }): Buffer {
  const elements = [
    element(0x0001, 'OB', Buffer.from([0x00, 0x01])),
    element(0x0002, 'UI', text(meta.sopClassUid, '\0')),
    element(0x0003, 'UI', text(meta.sopInstanceUid, '\0')),
    element(0x0010, 'UI', text(meta.transferSyntaxUid, '\0')),
    element(0x0012, 'UI', text(IMPLEMENTATION_CLASS_UID, '\0')),
    element(0x0013, 'SH', text('DRFDS_1', ' ')),
    ...(meta.sourceAeTitle === undefined ? [] : [element(0x0016, 'AE', text(meta.sourceAeTitle.trim(), ' '))]),
  ];
  const body = Buffer.concat(elements);
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt16LE(0x0002, 0);
  groupLength.writeUInt16LE(0x0000, 2);
  groupLength.write('UL', 4, 'ascii');
  groupLength.writeUInt16LE(4, 6);
  groupLength.writeUInt32LE(body.length, 8);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'ascii'), groupLength, body, dataSet]);
}
