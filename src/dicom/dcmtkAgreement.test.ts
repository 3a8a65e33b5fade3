/**
 * The rendering agrees with DCMTK's (the reference implementation of PS3.3 C.11 in most PACS viewers) to a mean
 * absolute difference ≤ 1 gray level, on every radiograph of shared/dicom in every transfer syntax, with the
 * file's own window / VOI LUT, with min–max, and with a given window. DCMTK is run here, by the test.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readRadiographFile, readRadiographMetadata, type WindowChoice } from './index.js';
import {
  compareImages,
  hasTool,
  JPEG_2000_SYNTAXES,
  renderWithDcmtk,
  sharedDicomDir,
  toBigEndian,
  type DcmtkWindow,
} from './testing/dcmtkOracle.js';

const shared = sharedDicomDir();
const haveDcmtk = hasTool('dcmj2pnm') && hasTool('dcml2pnm') && hasTool('dcmconv');
const haveGdcm = hasTool('gdcmconv');
const tempDir = mkdtempSync(join(tmpdir(), 'drfds-dicom-be-'));
after(() => rmSync(tempDir, { recursive: true, force: true }));

const FILES = [
  'hip/RG2_JPLL.dcm',
  'hip/RG2_JPEGLL14.dcm',
  'hip/RG2_JLSL.dcm',
  'hip/RG2_JLSN.dcm',
  'hip/RG2_JPLY.dcm',
  'hip/RG2_JPEGBase.dcm',
  'hip/RG2_RLE.dcm',
  'hip/RG2_ExplLE.dcm',
  'hip/RG2_ImplLE.dcm',
  'hip/RG2_Deflate.dcm',
  'mono1/RG1_J2KI.dcm',
  'mono1/RG3_J2KR.dcm',
  'mono1/966_fixed.dcm',
  'mono1/CR-MONO1-10-chest.dcm',
  'dx/JPEG2KLossless_1s_1f_u_16_16.dcm',
  'dx/NM_Kakadu44_SOTmarkerincons.dcm',
  'lut/vlut_04.dcm',
  'lut/mlut_18.dcm',
];

/** Files converted to Explicit VR Big Endian by DCMTK in the test (the retired syntax hospitals still send). */
const BIG_ENDIAN_SOURCES = ['mono1/CR-MONO1-10-chest.dcm', 'lut/mlut_18.dcm', 'lut/vlut_04.dcm', 'hip/RG2_ExplLE.dcm'];

/** A few files also with min–max and a given linear window (one per pipeline branch, not every file). */
const EXTRA_WINDOWS: Record<string, Array<{ ours: WindowChoice; dcmtk: DcmtkWindow }>> = {
  'hip/RG2_JPLL.dcm': [
    { ours: { kind: 'minmax' }, dcmtk: { kind: 'minmax' } },
    { ours: { kind: 'linear', center: 300.5, width: 401 }, dcmtk: { kind: 'linear', center: 300.5, width: 401 } },
  ],
  'mono1/CR-MONO1-10-chest.dcm': [
    { ours: { kind: 'minmax' }, dcmtk: { kind: 'minmax' } },
    { ours: { kind: 'linear', center: 600, width: 700 }, dcmtk: { kind: 'linear', center: 600, width: 700 } },
  ],
  'lut/mlut_18.dcm': [{ ours: { kind: 'linear', center: 0, width: 2000 }, dcmtk: { kind: 'linear', center: 0, width: 2000 } }],
  'mono1/966_fixed.dcm': [{ ours: { kind: 'minmax' }, dcmtk: { kind: 'minmax' } }],
};

async function agree(path: string, ours: WindowChoice | undefined, dcmtk: DcmtkWindow | undefined, t: { diagnostic: (m: string) => void }): Promise<void> {
  const radiograph = await readRadiographFile(path, ours === undefined ? {} : { window: ours });
  const oracleWindow: DcmtkWindow =
    dcmtk ?? (radiograph.rendering.voiSource === 'file-window' ? { kind: 'file-window' } : radiograph.rendering.voiSource === 'file-voi-lut' ? { kind: 'file-voi-lut' } : { kind: 'minmax' });
  const reference = renderWithDcmtk(path, radiograph.metadata.transferSyntaxUid, oracleWindow);
  assert.equal(radiograph.display.width, reference.width);
  assert.equal(radiograph.display.height, reference.height);
  const { meanAbsoluteDifference, maxDifference } = compareImages(radiograph.display.data, reference.data);
  t.diagnostic(`${oracleWindow.kind}: mean |Δ| ${meanAbsoluteDifference.toFixed(4)}, max |Δ| ${maxDifference}`);
  assert.ok(meanAbsoluteDifference <= 1, `mean absolute difference ${meanAbsoluteDifference} > 1 gray level vs DCMTK`);
  // Stricter than the quality bar: the quantisation is DCMTK's, so only floating-point ties may differ, by one level.
  assert.ok(maxDifference <= 1, `a pixel differs by ${maxDifference} gray levels from DCMTK`);
  assert.ok(meanAbsoluteDifference <= 0.01, `mean absolute difference ${meanAbsoluteDifference}: more than rounding ties differ from DCMTK`);
}

test('the list covers every file of shared/dicom hip, mono1, dx and lut', () => {
  const present = ['hip', 'mono1', 'dx', 'lut'].flatMap((dir) => readdirSync(join(shared, dir)).filter((f) => f.endsWith('.dcm')).map((f) => `${dir}/${f}`));
  assert.deepEqual([...present].sort(), [...FILES].sort());
});

describe('renderings agree with DCMTK to ≤ 1 gray level', { skip: haveDcmtk ? false : 'DCMTK (dcmj2pnm, dcml2pnm, dcmconv) is not installed' }, () => {
  for (const file of FILES) {
    const path = join(shared, file);
    const { metadata } = readRadiographMetadata(readFileSync(path), { source: path });
    const skip = JPEG_2000_SYNTAXES.has(metadata.transferSyntaxUid) && !haveGdcm ? 'JPEG 2000: DCMTK needs gdcmconv (libgdcm-tools) to decode it' : false;
    test(`${file}, the file's window`, { skip }, async (t) => agree(path, undefined, undefined, t));
    for (const [index, extra] of (EXTRA_WINDOWS[file] ?? []).entries()) {
      test(`${file}, window ${extra.ours.kind} #${index + 1}`, { skip }, async (t) => agree(path, extra.ours, extra.dcmtk, t));
    }
  }
  for (const file of BIG_ENDIAN_SOURCES) {
    test(`${file} as Explicit VR Big Endian (dcmconv +tb)`, async (t) => {
      const path = toBigEndian(join(shared, file), tempDir, file.replace('/', '_'));
      const radiograph = await readRadiographFile(path);
      assert.equal(radiograph.metadata.transferSyntaxUid, '1.2.840.10008.1.2.2');
      await agree(path, undefined, undefined, t);
    });
  }
  test('VOI LUT Function SIGMOID (set with dcmodify on a copy of RG2_JPEGBase)', async (t) => {
    const path = join(tempDir, 'sigmoid.dcm');
    copyFileSync(join(shared, 'hip/RG2_JPEGBase.dcm'), path);
    chmodSync(path, 0o644);
    execFileSync('dcmodify', ['-q', '-nb', '-i', '(0028,1056)=SIGMOID', path]);
    const radiograph = await readRadiographFile(path);
    assert.equal(radiograph.rendering.voi.kind === 'window' && radiograph.rendering.voi.function, 'SIGMOID');
    await agree(path, undefined, { kind: 'file-window' }, t);
  });
  test('a raw Explicit VR Little Endian data set without preamble or meta (dcmconv -F +te)', async (t) => {
    const path = join(tempDir, 'raw-explicit.dcm');
    execFileSync('dcmconv', ['-q', '-F', '+te', join(shared, 'mono1/CR-MONO1-10-chest.dcm'), path]);
    const radiograph = await readRadiographFile(path);
    assert.equal(radiograph.metadata.transferSyntaxUid, '1.2.840.10008.1.2.1');
    await agree(path, undefined, undefined, t);
  });
});
