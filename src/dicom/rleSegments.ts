/**
 * A structural check of an RLE Lossless frame (PS3.5 Annex G) before decoding: the RLE decoder, like the
 * others, zero-fills a segment that ends early, so a truncated frame would become a silently wrong image. This
 * walks each segment's PackBits control bytes (G.3.1) and counts the bytes they would produce, without
 * producing them; decoding itself is dcmjs-codecs'.
 */
export function checkRleFrame(encoded: Uint8Array, segmentsExpected: number, bytesPerSegment: number): string | undefined {
  if (encoded.length < 64) return `the RLE header is ${encoded.length} bytes long; it needs 64`;
  const view = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== segmentsExpected) return `the RLE header lists ${segments} segments; this image needs ${segmentsExpected}`;
  const offsets: number[] = [];
  for (let s = 0; s < segments; s += 1) offsets.push(view.getUint32(4 + 4 * s, true));
  for (let s = 0; s < segments; s += 1) {
    const start = offsets[s] ?? 0;
    const end = s + 1 < segments ? (offsets[s + 1] ?? 0) : encoded.length;
    if (start < 64 || end > encoded.length || end < start) return `RLE segment ${s + 1} lies outside the frame (offset ${start})`;
    let produced = 0;
    let at = start;
    while (produced < bytesPerSegment && at < end) {
      const control = encoded[at]!;
      at += 1;
      if (control < 128) {
        produced += control + 1; // literal run of n + 1 bytes
        at += control + 1;
      } else if (control > 128) {
        produced += 257 - control; // replicate the next byte 1 − n times (n = control − 256)
        at += 1;
      } // 128 (−128): no operation
    }
    if (at > end || produced < bytesPerSegment) {
      return `RLE segment ${s + 1} of ${segments} ends after ${Math.min(produced, bytesPerSegment)} of its ${bytesPerSegment} bytes: the frame is truncated`;
    }
  }
  return undefined;
}
