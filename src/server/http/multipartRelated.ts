import { DrfdsError } from '../../errors/DrfdsError.js';

export interface RelatedPart {
  readonly contentType: string | undefined;
  readonly body: Uint8Array;
}

/** The boundary parameter of a multipart Content-Type (quoted or not), or undefined. */
export function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/**
 * Splits a multipart/related body (RFC 2387, as STOW-RS sends it, PS3.18 8.6.1.2) into its parts: headers parsed
 * for Content-Type, bodies kept as bytes (DICOM is binary; nothing is decoded as text).
 */
export function parseMultipartRelated(body: Uint8Array, boundary: string): RelatedPart[] {
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: RelatedPart[] = [];
  let position = buffer.indexOf(delimiter);
  if (position < 0) throw new DrfdsError('stow/bad-multipart', `the body has no part delimited by the boundary "${boundary}"`, { httpStatus: 400 });
  for (let guard = 0; guard < 100_000; guard += 1) {
    let start = position + delimiter.length;
    if (buffer[start] === 0x2d && buffer[start + 1] === 0x2d) break; // closing delimiter "--"
    if (buffer[start] === 0x0d && buffer[start + 1] === 0x0a) start += 2;
    const headerEnd = buffer.indexOf('\r\n\r\n', start);
    if (headerEnd < 0) throw new DrfdsError('stow/bad-multipart', 'a part has no header/body separator (CRLF CRLF)', { httpStatus: 400 });
    const headers = buffer.subarray(start, headerEnd).toString('latin1');
    const next = buffer.indexOf(Buffer.from(`\r\n--${boundary}`), headerEnd + 4);
    if (next < 0) throw new DrfdsError('stow/bad-multipart', 'the body ends without its closing boundary (truncated upload?)', { httpStatus: 400 });
    const contentType = /^content-type:\s*(.+)$/im.exec(headers)?.[1]?.trim();
    parts.push({ contentType, body: buffer.subarray(headerEnd + 4, next) });
    position = next + 2;
  }
  return parts;
}
