/**
 * DCMTK (and GDCM for JPEG 2000, which DCMTK 3.6 cannot decode) as the reference renderer for tests and
 * benchmarks. Renders with `dcmj2pnm` (`dcml2pnm` for JPEG-LS) to 8-bit binary PGM and reads the pixels back.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from '../../cli/packageVersion.js';

export const JPEG_LS_SYNTAXES = new Set(['1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.81']);
export const JPEG_2000_SYNTAXES = new Set(['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91']);

export function sharedDicomDir(): string {
  return join(repositoryRoot(), '..', 'shared', 'dicom');
}

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

export type DcmtkWindow =
  | { kind: 'file-window' } // +Wi 1
  | { kind: 'file-voi-lut' } // +Wl 1
  | { kind: 'minmax' } // +Wm
  | { kind: 'linear'; center: number; width: number }; // +Ww C W

function windowArgs(window: DcmtkWindow): string[] {
  switch (window.kind) {
    case 'file-window':
      return ['+Wi', '1'];
    case 'file-voi-lut':
      return ['+Wl', '1'];
    case 'minmax':
      return ['+Wm'];
    case 'linear':
      return ['+Ww', String(window.center), String(window.width)];
  }
}

export interface PgmImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export function parsePgm(bytes: Uint8Array): PgmImage {
  const header = Buffer.from(bytes.subarray(0, 64)).toString('latin1');
  const match = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(header);
  if (match === null || match[3] !== '255') throw new Error('not an 8-bit binary PGM');
  const width = Number(match[1]);
  const height = Number(match[2]);
  return { width, height, data: bytes.subarray(match[0].length, match[0].length + width * height) };
}

/** The command DCMTK needs for a transfer syntax: dcml2pnm for JPEG-LS, dcmj2pnm for everything else. */
export function dcmtkRenderer(transferSyntaxUid: string): string {
  return JPEG_LS_SYNTAXES.has(transferSyntaxUid) ? 'dcml2pnm' : 'dcmj2pnm';
}

/**
 * Renders `file` with DCMTK. JPEG 2000 files are first decompressed by GDCM (`gdcmconv --raw`, OpenJPEG) into
 * a temporary uncompressed file, since DCMTK has no JPEG 2000 decoder.
 */
export function renderWithDcmtk(file: string, transferSyntaxUid: string, window: DcmtkWindow): PgmImage {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-dcmtk-'));
  try {
    let input = file;
    if (JPEG_2000_SYNTAXES.has(transferSyntaxUid)) {
      input = join(dir, 'raw.dcm');
      execFileSync('gdcmconv', ['--raw', file, input], { stdio: 'pipe' });
    }
    const out = join(dir, 'out.pgm');
    execFileSync(dcmtkRenderer(transferSyntaxUid), ['-q', ...windowArgs(window), '+op', input, out], { stdio: 'pipe' });
    return parsePgm(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Mean absolute difference in gray levels, and the largest difference. */
export function compareImages(a: Uint8Array, b: Uint8Array): { meanAbsoluteDifference: number; maxDifference: number } {
  if (a.length !== b.length) throw new Error(`images differ in size: ${a.length} vs ${b.length} pixels`);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i += 1) {
    const d = Math.abs((a[i] ?? 0) - (b[i] ?? 0));
    sum += d;
    if (d > max) max = d;
  }
  return { meanAbsoluteDifference: sum / a.length, maxDifference: max };
}

/** Writes an Explicit VR Big Endian copy of `file` with DCMTK (`dcmconv +tb`) into `dir`. */
export function toBigEndian(file: string, dir: string, name: string): string {
  const out = join(dir, name);
  execFileSync('dcmconv', ['-q', '+tb', file, out], { stdio: 'pipe' });
  return out;
}
