import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import dicomParser from 'dicom-parser';
import { isValidUid } from '../dicom/write/deriveUid.js';
import type { ReferenceKind } from './readReferenceAnnotations.js';

/** The outcome of looking up one annotation reference in the DICOM folder. */
export type Resolution = { readonly ok: true; readonly path: string; readonly relativePath: string } | { readonly ok: false; readonly problem: string };

/**
 * The hospital's DICOM folder: resolves annotation references (paths relative to it, or SOP Instance UIDs) to
 * files. The UID index reads only the headers (up to Pixel Data) and is built on first use.
 */
export class DicomFolder {
  readonly root: string;
  private filesPromise: Promise<string[]> | undefined;
  private uidIndexPromise: Promise<{ byUid: Map<string, string[]>; unreadable: string[] }> | undefined;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /**
   * Every regular file under the root (relative paths with "/", sorted), hidden files and folders excluded; links to
   * files count, links to folders are not followed.
   */
  files(): Promise<string[]> {
    this.filesPromise ??= listFiles(this.root);
    return this.filesPromise;
  }

  async resolve(reference: string, kind: ReferenceKind): Promise<Resolution> {
    if (kind !== 'uid') {
      const candidate = isAbsolute(reference) ? resolve(reference) : resolve(this.root, reference);
      const inside = relative(this.root, candidate);
      if (inside.startsWith('..') || isAbsolute(inside)) {
        if (kind === 'path') return { ok: false, problem: `"${reference}" is outside the DICOM folder ${this.root}.` };
      } else if (await isFile(candidate)) {
        return { ok: true, path: candidate, relativePath: inside.split(sep).join('/') };
      }
    }
    if (kind !== 'path' && isValidUid(reference)) {
      const { byUid } = await this.uidIndex();
      const matches = byUid.get(reference) ?? [];
      if (matches.length === 1) return { ok: true, path: join(this.root, matches[0]!), relativePath: matches[0]! };
      if (matches.length > 1) {
        return { ok: false, problem: `SOP Instance UID ${reference} is in ${matches.length} files (${matches.slice(0, 4).join(', ')}${matches.length > 4 ? ', …' : ''}); keep one copy of each image or name the file instead.` };
      }
      return { ok: false, problem: `no DICOM file under ${this.root} has SOP Instance UID ${reference}.` };
    }
    const sameName = (await this.files()).filter((file) => basename(file) === basename(reference));
    const hint = sameName.length > 0 ? ` (a file of that name is at ${sameName.slice(0, 3).join(', ')}: paths are relative to the DICOM folder)` : '';
    return { ok: false, problem: `no file "${reference}" under ${this.root}${hint}.` };
  }

  private uidIndex(): Promise<{ byUid: Map<string, string[]>; unreadable: string[] }> {
    this.uidIndexPromise ??= (async () => {
      const byUid = new Map<string, string[]>();
      const unreadable: string[] = [];
      for (const file of await this.files()) {
        const uid = await readSopInstanceUid(join(this.root, file));
        if (uid === undefined) {
          unreadable.push(file);
          continue;
        }
        byUid.set(uid, [...(byUid.get(uid) ?? []), file]);
      }
      return { byUid, unreadable };
    })();
    return this.uidIndexPromise;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() || (entry.isSymbolicLink() && (await isFile(full)))) out.push(relative(root, full).split(sep).join('/'));
    }
  };
  await walk(root);
  return out.sort();
}

/** SOP Instance UID (0008,0018) from the header only; undefined when the file is not a readable DICOM data set. */
async function readSopInstanceUid(path: string): Promise<string | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    return undefined;
  }
  const part10 = bytes.length > 132 && bytes.toString('latin1', 128, 132) === 'DICM';
  // Raw data sets (no preamble) are tried as implicit, then explicit VR little endian.
  const attempts: Array<{ TransferSyntaxUID?: string }> = part10 ? [{}] : [{ TransferSyntaxUID: '1.2.840.10008.1.2' }, { TransferSyntaxUID: '1.2.840.10008.1.2.1' }];
  for (const attempt of attempts) {
    try {
      const dataSet = dicomParser.parseDicom(bytes, { ...attempt, untilTag: 'x7fe00010' }); // a Buffer: its Node path inflates deflated files
      const uid = dataSet.string('x00080018')?.trim();
      if (uid !== undefined && isValidUid(uid)) return uid;
    } catch {
      // Not DICOM, or not in this encoding: try the next one or give up.
    }
  }
  return undefined;
}
