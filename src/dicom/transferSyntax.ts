/**
 * The transfer syntaxes (PS3.5 §10, Annex A) the reader accepts, and how each one's Pixel Data is encoded.
 */
export type PixelEncoding =
  | 'native' // uncompressed, little or big endian (PS3.5 §8.1.1, §8.2)
  | 'rle' // RLE Lossless (PS3.5 Annex G)
  | 'jpeg' // JPEG baseline, extended, lossless process 14 / SV1 (ISO 10918-1, IJG libjpeg 8/12/16-bit)
  | 'jpeg-ls' // ISO 14495-1 (CharLS)
  | 'jpeg-2000'; // ISO 15444-1 (OpenJPEG)

export interface TransferSyntaxInfo {
  readonly uid: string;
  readonly name: string;
  readonly encoding: PixelEncoding;
  readonly explicitVr: boolean;
  readonly bigEndian: boolean;
  readonly deflated: boolean;
}

function entry(
  uid: string,
  name: string,
  encoding: PixelEncoding,
  flags: { explicitVr?: boolean; bigEndian?: boolean; deflated?: boolean } = {},
): TransferSyntaxInfo {
  return {
    uid,
    name,
    encoding,
    explicitVr: flags.explicitVr ?? true,
    bigEndian: flags.bigEndian ?? false,
    deflated: flags.deflated ?? false,
  };
}

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';

const SUPPORTED: readonly TransferSyntaxInfo[] = [
  entry(IMPLICIT_VR_LITTLE_ENDIAN, 'Implicit VR Little Endian', 'native', { explicitVr: false }),
  entry(EXPLICIT_VR_LITTLE_ENDIAN, 'Explicit VR Little Endian', 'native'),
  entry(EXPLICIT_VR_BIG_ENDIAN, 'Explicit VR Big Endian (retired)', 'native', { bigEndian: true }),
  entry('1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian', 'native', { deflated: true }),
  entry('1.2.840.10008.1.2.5', 'RLE Lossless', 'rle'),
  entry('1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', 'jpeg'),
  entry('1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4), 12-bit', 'jpeg'),
  entry('1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)', 'jpeg'),
  entry('1.2.840.10008.1.2.4.70', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 SV1)', 'jpeg'),
  entry('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless', 'jpeg-ls'),
  entry('1.2.840.10008.1.2.4.81', 'JPEG-LS Lossy (Near-Lossless)', 'jpeg-ls'),
  entry('1.2.840.10008.1.2.4.90', 'JPEG 2000 (Lossless Only)', 'jpeg-2000'),
  entry('1.2.840.10008.1.2.4.91', 'JPEG 2000', 'jpeg-2000'),
];

const BY_UID = new Map(SUPPORTED.map((info) => [info.uid, info]));

/** Names of transfer syntaxes we know but cannot decode, for a precise error message. */
const KNOWN_UNSUPPORTED: Readonly<Record<string, string>> = {
  '1.2.840.10008.1.2.4.100': 'MPEG2 Main Profile',
  '1.2.840.10008.1.2.4.101': 'MPEG2 High Profile',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264',
  '1.2.840.10008.1.2.4.103': 'MPEG-4 AVC/H.264 BD-compatible',
  '1.2.840.10008.1.2.4.110': 'JPEG XL Lossless',
  '1.2.840.10008.1.2.4.112': 'JPEG XL',
  '1.2.840.10008.1.2.4.201': 'High-Throughput JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.202': 'High-Throughput JPEG 2000 RPCL Lossless',
  '1.2.840.10008.1.2.4.203': 'High-Throughput JPEG 2000',
  '1.2.840.10008.1.2.4.92': 'JPEG 2000 Part 2 Multi-component Lossless',
  '1.2.840.10008.1.2.4.93': 'JPEG 2000 Part 2 Multi-component',
  '1.2.840.10008.1.2.4.94': 'JPIP Referenced',
  '1.2.840.10008.1.2.4.95': 'JPIP Referenced Deflate',
};

export function transferSyntaxInfo(uid: string): TransferSyntaxInfo | undefined {
  return BY_UID.get(uid);
}

export function transferSyntaxName(uid: string): string {
  return BY_UID.get(uid)?.name ?? KNOWN_UNSUPPORTED[uid] ?? 'unknown transfer syntax';
}

export function supportedTransferSyntaxes(): readonly TransferSyntaxInfo[] {
  return SUPPORTED;
}
