/**
 * Cheap sniffing, before any parsing: a Part 10 file has "DICM" at byte 128 (PS3.10 §7.1); a raw data set
 * (no preamble, no File Meta Information, as old archives and some modalities write) starts with a group
 * 0x0008 element in little-endian order.
 */
export function hasPart10Preamble(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

export type RawDataSetEncoding = 'implicit-little' | 'explicit-little';

function isUpper(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x41 && byte <= 0x5a;
}

/**
 * For a raw data set: which encoding it is in, or undefined when the bytes do not look like one. The first
 * element must be a group 0x0008 (Identifying) element or (0002,xxxx)…(0008,xxxx) group; in explicit VR the
 * two bytes after the tag are an upper-case VR (PS3.5 §7.1.2), otherwise they are the low half of a 32-bit length.
 */
export function detectRawDataSet(bytes: Uint8Array): RawDataSetEncoding | undefined {
  if (bytes.length < 16) return undefined;
  const group = (bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8);
  if (group !== 0x0008) return undefined;
  if (isUpper(bytes[4]) && isUpper(bytes[5])) return 'explicit-little';
  // Implicit VR: 32-bit length, which for a first header element must be small and even.
  const length = ((bytes[4] ?? 0) | ((bytes[5] ?? 0) << 8) | ((bytes[6] ?? 0) << 16)) + (bytes[7] ?? 0) * 2 ** 24;
  if (length === 0xffffffff || (length < 1024 && length % 2 === 0)) return 'implicit-little';
  return undefined;
}

/** True for a Part 10 file (preamble + "DICM") or a plausible raw little-endian data set. */
export function isProbablyDicom(bytes: Uint8Array): boolean {
  return hasPart10Preamble(bytes) || detectRawDataSet(bytes) !== undefined;
}
