import { createHash } from 'node:crypto';
import { DrfdsError } from '../../errors/DrfdsError.js';

/**
 * The UID root DR-FDS uses when the site configures none: `2.25`, the arc under which any UUID may be written as a
 * decimal integer without registration (PS3.5 B.2, ISO/IEC 9834-8). A site with its own registered root passes it
 * instead; see docs/dicom-results.md.
 */
export const DEFAULT_UID_ROOT = '2.25';

/** Name space mixed into every hash, so DR-FDS UIDs never collide with another tool hashing the same inputs. */
const NAMESPACE = 'org.drfds.uid.v1';

/** PS3.5 9.1: components of digits separated by dots, no leading zero in a component except "0", at most 64 chars. */
const UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

export function isValidUid(uid: string): boolean {
  return uid.length > 0 && uid.length <= 64 && UID_PATTERN.test(uid);
}

/**
 * A deterministic UID from a root and the parts that identify the instance (e.g. the kind of object, the source
 * SOP Instance UID, the model name and version): the same inputs always give the same UID, any change gives another.
 *
 * - Root `2.25`: the SHA-256 of the inputs becomes a name-based UUID (RFC 9562 version 8: version and variant bits
 *   set) and the UID is `2.25.` followed by that 128-bit integer in decimal (PS3.5 B.2) — at most 44 characters.
 * - Any other root (a registered organisation root): `root.` followed by the SHA-256 as a decimal integer cut to
 *   the digits that fit in 64 characters (at least 20 digits, ~66 bits; roots longer than 43 characters are refused).
 */
export function deriveUid(root: string, ...parts: string[]): string {
  if (!isValidUid(root)) {
    throw new DrfdsError('uid-root-invalid', `The UID root "${root}" is not a valid DICOM UID (digits and dots, PS3.5 9.1).`);
  }
  const hash = createHash('sha256');
  hash.update(NAMESPACE);
  for (const part of [root, ...parts]) {
    // Length-prefix each part so ("ab","c") and ("a","bc") hash differently.
    hash.update(`\u0000${part.length}:${part}`);
  }
  const digest = hash.digest();
  if (root === DEFAULT_UID_ROOT) {
    const bytes = Buffer.from(digest.subarray(0, 16));
    bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80; // version 8 (custom, here SHA-256 name-based)
    bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 9562 variant 10xx
    return `${root}.${BigInt(`0x${bytes.toString('hex')}`).toString(10)}`;
  }
  const room = 64 - root.length - 1;
  if (room < 20) {
    throw new DrfdsError('uid-root-too-long', `The UID root "${root}" is ${root.length} characters; at most 43 leave room for a unique suffix.`);
  }
  // A BigInt's decimal digits never start with 0, so the component stays valid (PS3.5 9.1).
  return `${root}.${BigInt(`0x${digest.toString('hex')}`).toString(10).slice(0, room)}`;
}
