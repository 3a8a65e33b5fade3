/**
 * Input checks and metadata of the DICOM reader, on the real files of shared/dicom and on copies changed with
 * DCMTK (dcmodify, dcmconv). Expected header values come from DCMTK's dcmdump, run here.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import dicomParser from 'dicom-parser';
import { DrfdsError } from '../errors/DrfdsError.js';
import { isProbablyDicom, readRadiograph, readRadiographFile, readRadiographMetadata, readRadiographMetadataFile } from './index.js';
import { hasTool, sharedDicomDir } from './testing/dcmtkOracle.js';

const shared = sharedDicomDir();
const haveDcmtk = hasTool('dcmodify') && hasTool('dcmdump');
const tempDir = mkdtempSync(join(tmpdir(), 'drfds-dicom-read-'));
after(() => rmSync(tempDir, { recursive: true, force: true }));

function sharedFile(name: string): string {
  return join(shared, name);
}

/** A writable copy of a shared file, changed by `dcmodify` arguments. */
function modifiedCopy(name: string, args: string[]): string {
  const path = join(tempDir, `${name.replace(/\//g, '_')}-${args.join('_').replace(/[^A-Za-z0-9]+/g, '')}.dcm`);
  copyFileSync(sharedFile(name), path);
  chmodSync(path, 0o644);
  execFileSync('dcmodify', ['-q', '-nb', ...args, path]);
  return path;
}

/** Top-level attribute values as DCMTK prints them (the oracle for metadata), one dcmdump run per file. */
function dcmdumpValues(path: string, tags: string[]): Map<string, string | undefined> {
  const out = execFileSync('dcmdump', ['-q', ...tags.flatMap((tag) => ['+P', tag]), path], { encoding: 'utf8' });
  const values = new Map<string, string | undefined>();
  for (const line of out.split('\n')) {
    const match = /^\(([0-9a-f]{4},[0-9a-f]{4})\) \w\w (.*?)\s+#/.exec(line);
    if (match === null || values.has(match[1] ?? '')) continue;
    const raw = match[2] ?? '';
    const value = raw.startsWith('(no value') ? undefined : raw.startsWith('[') ? raw.slice(1, raw.lastIndexOf(']')) : raw.replace(/^=/, '');
    values.set(match[1] ?? '', value === '' ? undefined : value);
  }
  return values;
}

/** A copy whose last Pixel Data fragment keeps only `fraction` of its bytes, with item length and delimiter rewritten. */
function truncateLastFragment(file: Uint8Array, fraction: number): Uint8Array {
  const dataSet = dicomParser.parseDicom(Buffer.from(file));
  const fragments = dataSet.elements['x7fe00010']?.fragments ?? [];
  const last = fragments[fragments.length - 1];
  assert.ok(last !== undefined);
  const keep = Math.floor((last.length * fraction) / 2) * 2;
  const out = Buffer.alloc(last.position + keep + 8);
  out.set(file.subarray(0, last.position + keep), 0);
  out.writeUInt32LE(keep, last.position - 4); // the item's length
  out.set([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0], last.position + keep); // sequence delimitation item
  return out;
}

async function rejects(promise: Promise<unknown>, code: string, pattern?: RegExp): Promise<DrfdsError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DrfdsError, `expected a DrfdsError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (pattern) assert.match(error.message, pattern);
    assert.ok(error.httpStatus === 415 || error.httpStatus === 422 || error.httpStatus === 400, `httpStatus ${error.httpStatus}`);
    return error;
  }
  assert.fail(`expected ${code}`);
}

describe('shared/dicom/bad gives clean errors', () => {
  test('966.dcm (JPEG 2000 with a broken code stream) → corrupt pixel data, naming the file', async () => {
    const error = await rejects(readRadiographFile(sharedFile('bad/966.dcm')), 'dicom/corrupt-pixel-data', /966\.dcm.*JPEG 2000/);
    assert.doesNotMatch(error.message, /\n/);
  });
  test('RG2_truncated.dcm → truncated', async () => {
    await rejects(readRadiographFile(sharedFile('bad/RG2_truncated.dcm')), 'dicom/truncated', /truncated/);
  });
  test('bad_sequence.dcm (a CT slice) → not a radiograph', async () => {
    await rejects(readRadiographFile(sharedFile('bad/bad_sequence.dcm')), 'dicom/not-a-radiograph', /CT/);
  });
  test('emri_small_jpeg_2k_lossless_too_short.dcm (MR, 10 frames) → not a radiograph', async () => {
    await rejects(readRadiographFile(sharedFile('bad/emri_small_jpeg_2k_lossless_too_short.dcm')), 'dicom/not-a-radiograph', /MR.*multi-frame/);
  });
});

describe('shared/dicom/other is rejected with the reason', () => {
  test('CT_small.dcm → Modality CT', async () => {
    await rejects(readRadiographFile(sharedFile('other/CT_small.dcm')), 'dicom/not-a-radiograph', /Modality CT/);
  });
  test('OBXXXX1A_2frame.dcm → ultrasound, palette colour, 2 frames', async () => {
    await rejects(readRadiographFile(sharedFile('other/OBXXXX1A_2frame.dcm')), 'dicom/not-a-radiograph', /US.*PALETTE COLOR.*2 frames/);
  });
});

describe('truncation and corruption of valid radiographs', () => {
  const cases: Array<[string, number]> = [
    ['hip/RG2_JPLL.dcm', 0.6], // encapsulated: cut inside the fragments
    ['hip/RG2_JPEGBase.dcm', 0.9],
    ['mono1/RG3_J2KR.dcm', 0.5],
    ['mono1/CR-MONO1-10-chest.dcm', 0.8], // raw native data set
    ['hip/RG2_RLE.dcm', 0.7],
  ];
  for (const [name, fraction] of cases) {
    test(`${name} cut at ${fraction * 100}% → truncated`, () => {
      const bytes = readFileSync(sharedFile(name));
      assert.throws(
        () => readRadiograph(bytes.subarray(0, Math.floor(bytes.length * fraction)), { source: name }),
        (error: unknown) => error instanceof DrfdsError && error.code === 'dicom/truncated' && error.message.startsWith(name),
      );
    });
  }
  // The container stays consistent (fragment length and delimiter rewritten): only the code stream is short.
  // libjpeg and the RLE decoder would fill the rest of the image without failing.
  for (const name of ['hip/RG2_JPEGBase.dcm', 'hip/RG2_JPLY.dcm', 'hip/RG2_JPLL.dcm', 'hip/RG2_JPEGLL14.dcm', 'hip/RG2_RLE.dcm', 'hip/RG2_JLSN.dcm', 'mono1/RG3_J2KR.dcm']) {
    test(`${name} with its last fragment cut to 97% (a consistent container) → corrupt pixel data`, () => {
      const bytes = truncateLastFragment(readFileSync(sharedFile(name)), 0.97);
      assert.throws(
        () => readRadiograph(bytes, { source: name }),
        (error: unknown) => error instanceof DrfdsError && error.code === 'dicom/corrupt-pixel-data',
      );
    });
  }
  test('a JPEG-LS stream with its middle zeroed → a DrfdsError or an image of the right size, never a crash', () => {
    const bytes = Buffer.from(readFileSync(sharedFile('hip/RG2_JLSN.dcm')));
    bytes.fill(0, 200_000, 260_000);
    try {
      const image = readRadiograph(bytes).display;
      assert.equal(image.data.length, image.width * image.height);
    } catch (error) {
      assert.ok(error instanceof DrfdsError && error.code === 'dicom/corrupt-pixel-data', String(error));
    }
  });
  test('Pixel Data shorter than rows × columns → truncated, before any decoding', { skip: !haveDcmtk && 'DCMTK not installed' }, async () => {
    const path = modifiedCopy('lut/vlut_04.dcm', ['-m', '(0028,0010)=600']);
    await rejects(readRadiographFile(path), 'dicom/truncated', /262144 bytes but 600×512/);
  });
});

describe('other input checks', () => {
  test('a PNG, random bytes and an empty buffer are not DICOM', () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const random = Buffer.alloc(4096, 7);
    for (const bytes of [png, random, Buffer.alloc(0)]) {
      assert.equal(isProbablyDicom(bytes), false);
      assert.throws(() => readRadiograph(bytes, { source: 'upload.bin' }), (e: unknown) => e instanceof DrfdsError && e.code === 'dicom/not-dicom' && e.httpStatus === 415);
    }
  });
  test('every file in shared/dicom is probably DICOM, the raw data set included', () => {
    for (const name of ['mono1/CR-MONO1-10-chest.dcm', 'hip/RG2_ImplLE.dcm', 'other/CT_small.dcm', 'bad/RG2_truncated.dcm']) {
      assert.equal(isProbablyDicom(readFileSync(sharedFile(name))), true, name);
    }
  });
  test('an unsupported transfer syntax is named', () => {
    const bytes = Buffer.from(readFileSync(sharedFile('lut/vlut_04.dcm')));
    const at = bytes.indexOf('1.2.840.10008.1.2.1\0', 132, 'latin1');
    assert.ok(at > 0);
    bytes.write('1.2.840.10008.1.2.9\0', at, 'latin1');
    assert.throws(
      () => readRadiograph(bytes, { source: 'x.dcm' }),
      (e: unknown) => e instanceof DrfdsError && e.code === 'dicom/unsupported-transfer-syntax' && /1\.2\.840\.10008\.1\.2\.9/.test(e.message),
    );
  });
  test('a missing required attribute is named', { skip: !haveDcmtk && 'DCMTK not installed' }, async () => {
    await rejects(readRadiographFile(modifiedCopy('mono1/CR-MONO1-10-chest.dcm', ['-ea', '(0028,0011)'])), 'dicom/missing-attribute', /Columns \(0028,0011\)/);
    await rejects(readRadiographFile(modifiedCopy('lut/vlut_04.dcm', ['-ea', '(0020,000d)'])), 'dicom/missing-attribute', /Study Instance UID/);
    await rejects(readRadiographFile(modifiedCopy('lut/vlut_04.dcm', ['-ea', '(7fe0,0010)'])), 'dicom/missing-attribute', /Pixel Data/);
  });
  test('an invalid linear window is refused', async () => {
    await rejects(readRadiographFile(sharedFile('lut/vlut_04.dcm'), { window: { kind: 'linear', center: 10, width: 0 } }), 'dicom/invalid-window');
  });
  test('a file that cannot be read is a DrfdsError', async () => {
    await assert.rejects(readRadiographFile(join(tempDir, 'absent.dcm')), (e: unknown) => e instanceof DrfdsError && e.code === 'dicom/unreadable-file');
  });
});

describe('warnings for images other than a frontal pelvis or hip', () => {
  test('the RG2 hip (HIP, no view position) has none', async () => {
    assert.deepEqual((await readRadiographMetadataFile(sharedFile('hip/RG2_JPLL.dcm'))).warnings, []);
  });
  test('a chest PA warns about the body part only', async () => {
    const { warnings } = await readRadiographMetadataFile(sharedFile('mono1/CR-MONO1-10-chest.dcm'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /Body Part Examined is CHEST/);
  });
  test('a lateral view warns', { skip: !haveDcmtk && 'DCMTK not installed' }, async () => {
    const { warnings } = await readRadiographMetadataFile(modifiedCopy('hip/RG2_JPEGBase.dcm', ['-m', '(0018,5101)=LL']));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /View Position is LL/);
  });
});

describe('metadata agrees with dcmdump', { skip: !haveDcmtk && 'DCMTK not installed' }, () => {
  const files = ['hip/RG2_JLSL.dcm', 'mono1/CR-MONO1-10-chest.dcm', 'mono1/966_fixed.dcm', 'dx/NM_Kakadu44_SOTmarkerincons.dcm', 'lut/mlut_18.dcm'];
  const fields: Array<[keyof import('./RadiographMetadata.js').RadiographMetadata, string]> = [
    ['sopInstanceUid', '0008,0018'],
    ['studyInstanceUid', '0020,000d'],
    ['seriesInstanceUid', '0020,000e'],
    ['modality', '0008,0060'],
    ['bodyPartExamined', '0018,0015'],
    ['viewPosition', '0018,5101'],
    ['patientSex', '0010,0040'],
    ['patientAge', '0010,1010'],
    ['manufacturer', '0008,0070'],
    ['manufacturerModelName', '0008,1090'],
    ['institutionName', '0008,0080'],
    ['patientId', '0010,0020'],
  ];
  for (const file of files) {
    test(file, async () => {
      const path = sharedFile(file);
      const { metadata } = await readRadiographMetadataFile(path);
      const dumped = dcmdumpValues(path, [...fields.map(([, tag]) => tag), '0028,0010', '0028,0011', '0028,0101']);
      for (const [field, tag] of fields) assert.equal(metadata[field], dumped.get(tag), `${field} (${tag})`);
      assert.equal(metadata.rows, Number(dumped.get('0028,0010')));
      assert.equal(metadata.columns, Number(dumped.get('0028,0011')));
      assert.equal(metadata.bitsStored, Number(dumped.get('0028,0101')));
    });
  }
  test('the ACR-NEMA acquisition date 1993.02.24 is normalised to DA', async () => {
    assert.equal((await readRadiographMetadataFile(sharedFile('mono1/CR-MONO1-10-chest.dcm'))).metadata.acquisitionDate, '19930224');
  });
});

describe('pixel spacing vs imager pixel spacing', () => {
  test('CR with Pixel Spacing only: 0.2 mm, not calibrated', async () => {
    assert.deepEqual((await readRadiographMetadataFile(sharedFile('hip/RG2_JPLL.dcm'))).metadata.pixelSpacing, {
      rowSpacingMm: 0.2,
      columnSpacingMm: 0.2,
      source: 'PixelSpacing',
      calibrated: false,
    });
  });
  test('DX with Imager Pixel Spacing only: at the detector, not calibrated', async () => {
    assert.deepEqual((await readRadiographMetadataFile(sharedFile('dx/JPEG2KLossless_1s_1f_u_16_16.dcm'))).metadata.pixelSpacing, {
      rowSpacingMm: 0.4,
      columnSpacingMm: 0.4,
      source: 'ImagerPixelSpacing',
      calibrated: false,
    });
  });
  test('Pixel Spacing 0\\0 counts as absent', async () => {
    assert.equal((await readRadiographMetadataFile(sharedFile('mono1/RG1_J2KI.dcm'))).metadata.pixelSpacing, undefined);
  });
  test('Pixel Spacing with a calibration type, or different from Imager Pixel Spacing, is calibrated', { skip: !haveDcmtk && 'DCMTK not installed' }, async () => {
    const typed = modifiedCopy('mono1/966_fixed.dcm', ['-i', '(0028,0a02)=GEOMETRY']);
    assert.equal((await readRadiographMetadataFile(typed)).metadata.pixelSpacing?.calibrated, true);
    assert.equal((await readRadiographMetadataFile(sharedFile('mono1/966_fixed.dcm'))).metadata.pixelSpacing?.calibrated, false);
    const corrected = modifiedCopy('mono1/966_fixed.dcm', ['-m', '(0028,0030)=0.148\\0.148']);
    assert.deepEqual((await readRadiographMetadataFile(corrected)).metadata.pixelSpacing, {
      rowSpacingMm: 0.148,
      columnSpacingMm: 0.148,
      source: 'PixelSpacing',
      calibrated: true,
    });
  });
});

test('readRadiograph and readRadiographMetadata agree on the metadata', () => {
  const bytes = readFileSync(sharedFile('hip/RG2_JPEGBase.dcm'));
  assert.deepEqual(readRadiograph(bytes).metadata, readRadiographMetadata(bytes).metadata);
});

test('a Uint8Array (not a Buffer) is accepted, deflate included', () => {
  const buffer = readFileSync(sharedFile('hip/RG2_Deflate.dcm'));
  const plain = new Uint8Array(buffer.byteLength);
  plain.set(buffer);
  const image = readRadiograph(plain).display;
  assert.equal(image.width * image.height, image.data.length);
  writeFileSync(join(tempDir, 'unused'), '');
});
