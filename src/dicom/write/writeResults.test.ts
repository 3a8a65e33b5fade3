import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from '../../cli/packageVersion.js';
import type { DetectionResult } from '../../detector/DetectionResult.js';
import { isDrfdsError } from '../../errors/DrfdsError.js';
import type { RadiographMetadata } from '../RadiographMetadata.js';
import { readRadiographFile } from '../index.js';
import {
  buildPresentationStateDataset,
  deriveUid,
  isValidUid,
  presentationStateOptionsFromRendering,
  writePresentationState,
  writeDicomResults,
  writeResultSr,
} from './index.js';

const sharedDicom = join(repositoryRoot(), '..', 'shared', 'dicom');
const hipDir = join(sharedDicom, 'hip');
// The source image as the service sees it: metadata and rendering from the project's DICOM reader.
const radiograph = await readRadiographFile(join(hipDir, 'RG2_ExplLE.dcm'));
const source = { metadata: radiograph.metadata, rendering: presentationStateOptionsFromRendering(radiograph.rendering) };
const fixedNow = new Date('2026-03-04T05:06:07Z');

function resultFor(metadata: RadiographMetadata, overrides: Partial<DetectionResult> = {}): DetectionResult {
  return {
    file: 'RG2_ExplLE.dcm',
    probability: 0.8731,
    decision: 'fracture',
    thresholds: { highSensitivity: 0.2, highSpecificity: 0.4 },
    findings: [
      { box: { x: 412.3, y: 603.7, width: 211.9, height: 148.6 }, score: 0.8731, operatingPoint: 'high-specificity' },
      { box: { x: 1101, y: 618.5, width: 180.25, height: 160 }, score: 0.3125, operatingPoint: 'high-sensitivity' },
    ],
    image: { width: metadata.columns, height: metadata.rows, source: 'dicom' },
    model: { name: 'drfds-test-model', version: '1.2.3', sha256: 'ab'.repeat(32), trained: true },
    timingsMs: { read: 1, preprocess: 1, inference: 1, postprocess: 1, total: 4 },
    warnings: [],
    ...overrides,
  };
}

function withTempDir<T>(run: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-write-'));
  let result: T;
  try {
    result = run(dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => rmSync(dir, { recursive: true, force: true })) as T;
  rmSync(dir, { recursive: true, force: true });
  return result;
}

/** dciodvfy (dicom3tools) prints "Error - …" for every IOD violation; warnings are returned for inspection. */
function dciodvfy(file: string): { errors: string[]; warnings: string[]; iod: string } {
  const run = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
  assert.equal(run.error, undefined, 'dciodvfy (Debian dicom3tools) must be installed');
  const lines = `${run.stdout}\n${run.stderr}`.split('\n').filter((line) => line.trim() !== '');
  return {
    errors: lines.filter((line) => line.startsWith('Error')),
    warnings: lines.filter((line) => line.startsWith('Warning')),
    iod: lines.find((line) => !line.startsWith('Error') && !line.startsWith('Warning')) ?? '',
  };
}

/** Values of an attribute as DCMTK's dcmdump decodes them, at any nesting level (or only the top level). */
function dcmdumpValues(file: string, keyword: string, options: { topLevelOnly?: boolean } = {}): string[] {
  const out = options.topLevelOnly
    ? execFileSync('dcmdump', ['-q', '+L', file], { encoding: 'utf8' })
    : execFileSync('dcmdump', ['-q', '+L', '+P', keyword, file], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.trim() !== '' && (!options.topLevelOnly || (line.startsWith('(') && line.trimEnd().endsWith(` ${keyword}`))))
    .map((line) => {
      const match = /^\s*\([0-9a-f]{4},[0-9a-f]{4}\) \w\w (\[([^\]]*)\]|(\S+))/.exec(line);
      return match?.[2] ?? match?.[3] ?? '';
    });
}

/** FL (32-bit float) keeps ~7 significant digits: compare coordinates to 1e-3 pixel. */
function assertPointsClose(actual: number[], expected: number[], label: string): void {
  assert.equal(actual.length, expected.length, `${label}: point count`);
  for (let i = 0; i < expected.length; i += 1) {
    assert.ok(Math.abs((actual[i] ?? Number.NaN) - (expected[i] ?? 0)) < 1e-3, `${label}: value ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

function rectangle(box: { x: number; y: number; width: number; height: number }): number[] {
  const r = box.x + box.width;
  const b = box.y + box.height;
  return [box.x, box.y, r, box.y, r, b, box.x, b, box.x, box.y];
}

test('deriveUid: valid UID syntax, at most 64 characters, deterministic, sensitive to every part', () => {
  const a = deriveUid('2.25', 'sr-instance', 'model', '1.0.0', '1.2.3.4');
  assert.equal(a, deriveUid('2.25', 'sr-instance', 'model', '1.0.0', '1.2.3.4'));
  assert.ok(isValidUid(a), a);
  assert.match(a, /^2\.25\.[1-9][0-9]*$/);
  assert.ok(a.length <= 64);
  // The 2.25 form is a UUID (PS3.5 B.2): version nibble 8, RFC 9562 variant bits 10.
  const hex = BigInt(a.slice('2.25.'.length)).toString(16).padStart(32, '0');
  assert.equal(hex[12], '8');
  assert.ok(['8', '9', 'a', 'b'].includes(hex[16] ?? ''), hex);
  assert.notEqual(a, deriveUid('2.25', 'sr-instance', 'model', '1.0.1', '1.2.3.4'));
  assert.notEqual(a, deriveUid('2.25', 'sr-instance', 'model', '1.0.0', '1.2.3.5'));
  assert.notEqual(deriveUid('2.25', 'ab', 'c'), deriveUid('2.25', 'a', 'bc'));
  const registered = deriveUid('1.2.826.0.1.3680043.10.999', 'x');
  assert.ok(isValidUid(registered) && registered.startsWith('1.2.826.0.1.3680043.10.999.'), registered);
  assert.equal(registered.length, 64);
  for (const bad of ['', '1.02', '1..2', 'a.b', '1.2.']) assert.equal(isValidUid(bad), false, bad);
  assert.throws(() => deriveUid('1.02.3', 'x'), (error: unknown) => isDrfdsError(error) && error.code === 'uid-root-invalid');
  assert.throws(() => deriveUid(`1.${'2'.repeat(50)}`, 'x'), (error: unknown) => isDrfdsError(error) && error.code === 'uid-root-too-long');
});

test('SR: passes dciodvfy, dsrdump reads the TID 1500 tree with the finding, probability and boxes', () => {
  withTempDir((dir) => {
    const result = resultFor(source.metadata);
    const file = join(dir, 'sr.dcm');
    writeFileSync(file, writeResultSr(source.metadata, result, { now: fixedNow }));
    const check = dciodvfy(file);
    assert.equal(check.iod, 'ComprehensiveSR');
    assert.deepEqual(check.errors, []);
    // The only warnings allowed: dicom3tools does not know our declared local coding scheme.
    assert.deepEqual(check.warnings.filter((line) => !line.includes('<99DRFDS>')), []);

    const dump = spawnSync('dsrdump', ['+Pl', '+Pc', file], { encoding: 'utf8' });
    assert.equal(dump.status, 0, dump.stderr);
    assert.doesNotMatch(dump.stderr, /^E:/m);
    const tree = dump.stdout;
    assert.match(tree, /Verification Flag\s+: UNVERIFIED/);
    assert.match(tree, /Completion Flag\s+: COMPLETE/);
    assert.match(tree, /<CONTAINER:\(126000,DCM,"Imaging Measurement Report"\)=SEPARATE>/);
    assert.match(tree, /<contains CONTAINER:\(126010,DCM,"Imaging Measurements"\)=SEPARATE>/);
    assert.match(tree, /<contains CODE:\(72704001,SCT,"Fracture"\)=\(52101004,SCT,"Present"\)>/);
    assert.match(tree, /<contains NUM:\(FX-PROBABILITY,99DRFDS,"Fracture probability"\)="0.8731" \(1,UCUM,"no units"\)>/);
    assert.match(tree, /<has concept mod TEXT:\(111001,DCM,"Algorithm Name"\)="drfds-test-model">/);
    assert.match(tree, /<has concept mod TEXT:\(111003,DCM,"Algorithm Version"\)="1.2.3">/);
    assert.equal((tree.match(/<contains SCOORD:\(111030,DCM,"Image Region"\)=\(POLYLINE,/g) ?? []).length, 2);
    assert.equal((tree.match(/<selected from IMAGE:=\(CR image,\)>/g) ?? []).length, 2);
    assert.match(tree, /<contains NUM:\(DETECTION-SCORE,99DRFDS,"Detection score"\)="0.3125"/);

    // Coordinates, as DCMTK decodes them, equal the result's boxes.
    const graphicData = dcmdumpValues(file, 'GraphicData');
    assert.equal(graphicData.length, 2);
    result.findings.forEach((finding, index) => {
      assertPointsClose((graphicData[index] ?? '').split('\\').map(Number), rectangle(finding.box), `SR box ${index + 1}`);
    });
    // Same patient and study as the source, new series, the source in the evidence and the SCOORD reference.
    assert.deepEqual(dcmdumpValues(file, 'StudyInstanceUID'), [source.metadata.studyInstanceUid, source.metadata.studyInstanceUid]);
    assert.deepEqual(dcmdumpValues(file, 'PatientID'), [source.metadata.patientId]);
    assert.ok(dcmdumpValues(file, 'SeriesInstanceUID').includes(source.metadata.seriesInstanceUid), 'evidence names the source series');
    const ownSeries = dcmdumpValues(file, 'SeriesInstanceUID', { topLevelOnly: true });
    assert.equal(ownSeries.length, 1);
    assert.notEqual(ownSeries[0], source.metadata.seriesInstanceUid);
    assert.ok(dcmdumpValues(file, 'ReferencedSOPInstanceUID').every((uid) => uid === source.metadata.sopInstanceUid));
    const equipment = execFileSync('dcmdump', ['-q', '+P', 'ContributingEquipmentSequence', file], { encoding: 'utf8' });
    assert.match(equipment, /\(0008,0100\) SH \[109102\][^\n]*\n[^\n]*\[DCM\][^\n]*\n[^\n]*\[Processing Equipment\]/);
    assert.match(equipment, /\(0008,1090\) LO \[drfds-test-model\]/);
    assert.match(equipment, /\(0018,1020\) LO \[1\.2\.3\]/);
  });
});

test('SR: a result without boxes is valid and records the fracture as absent; doubt as indeterminate', () => {
  withTempDir((dir) => {
    for (const [decision, expected] of [['no fracture', '(2667000,SCT,"Absent")'], ['doubt', '(82334004,SCT,"Indeterminate")']] as const) {
      const file = join(dir, `sr-${decision}.dcm`);
      writeFileSync(file, writeResultSr(source.metadata, resultFor(source.metadata, { decision, probability: 0.05, findings: [] })));
      assert.deepEqual(dciodvfy(file).errors, []);
      const tree = execFileSync('dsrdump', ['+Pc', file], { encoding: 'utf8' });
      assert.ok(tree.includes(`<contains CODE:(72704001,SCT,"Fracture")=${expected}>`), tree);
      assert.doesNotMatch(tree, /SCOORD/);
    }
  });
});

test('GSPS: passes dciodvfy, DCMTK (dcmp2pgm) reads the layers, boxes, labels and window', () => {
  withTempDir((dir) => {
    const result = resultFor(source.metadata);
    const file = join(dir, 'pr.dcm');
    assert.deepEqual(source.rendering, { options: { voiWindow: { center: 511, width: 1024, function: 'LINEAR' } }, notes: [] });
    writeFileSync(file, writePresentationState(source.metadata, result, { now: fixedNow, ...source.rendering.options }));
    const check = dciodvfy(file);
    assert.equal(check.iod, 'GrayscaleSoftcopyPresentationState');
    assert.deepEqual(check.errors, []);
    // Allowed warnings: the local coding scheme, and an empty Laterality (the RG2 source is a HIP of unknown side).
    assert.deepEqual(check.warnings.filter((line) => !line.includes('<99DRFDS>') && !line.includes('<Laterality>')), []);

    const pgm = join(dir, 'out.pgm');
    const run = spawnSync('dcmp2pgm', ['-v', '-p', file, join(hipDir, 'RG2_ExplLE.dcm'), pgm], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const log = `${run.stdout}${run.stderr}`;
    assert.match(log, /Presentation Label: DRFDS_FRACTURE/);
    assert.match(log, /VOI transformation: window center=511 width=1024/);
    assert.match(log, /displayed area TLHC=1\\1 BRHC=1760\\2140/);
    assert.match(log, /Graphic Layer #\d \[HIGH_SPECIFICITY\]/);
    assert.match(log, /Graphic Layer #\d \[HIGH_SENSITIVITY\]/);
    assert.match(log, /text 1: "fracture 0.87"/);
    assert.match(log, /text 1: "fracture\? 0.31"/);
    assert.match(log, /text 1: "DR-FDS AI \(unverified\): fracture, p=0.87"/);
    const coordinates = [...log.matchAll(/coordinates: ([^\n]*)/g)].map((match) =>
      (match[1] ?? '').split(/[\\,]\s*/).filter((value) => value.trim() !== '').map(Number),
    );
    assert.equal(coordinates.length, 2);
    // Layers are listed by GraphicLayerOrder: high sensitivity (2) before high specificity (3).
    assertPointsClose(coordinates[0] ?? [], rectangle(result.findings[1]!.box), 'GSPS high-sensitivity box');
    assertPointsClose(coordinates[1] ?? [], rectangle(result.findings[0]!.box), 'GSPS high-specificity box');
    assert.deepEqual(dcmdumpValues(file, 'PresentationLUTShape'), ['IDENTITY']);
  });
});

test('GSPS and SR for a MONOCHROME1 chest CR (raw data set): INVERSE presentation LUT, no Laterality, valid', async () => {
  const chestFile = join(sharedDicom, 'mono1', 'CR-MONO1-10-chest.dcm');
  const chest = await readRadiographFile(chestFile);
  assert.equal(chest.metadata.photometricInterpretation, 'MONOCHROME1');
  const result = resultFor(chest.metadata, {
    decision: 'doubt',
    probability: 0.3,
    findings: [{ box: { x: 20, y: 30, width: 40, height: 50 }, score: 0.3, operatingPoint: 'high-sensitivity' }],
  });
  await withTempDir(async (dir) => {
    const pr = join(dir, 'pr.dcm');
    writeFileSync(pr, writePresentationState(chest.metadata, result, presentationStateOptionsFromRendering(chest.rendering).options));
    const sr = join(dir, 'sr.dcm');
    writeFileSync(sr, writeResultSr(chest.metadata, result));
    for (const file of [pr, sr]) assert.deepEqual(dciodvfy(file).errors, [], file);
    assert.deepEqual(dcmdumpValues(pr, 'PresentationLUTShape'), ['INVERSE']);
    assert.deepEqual(dcmdumpValues(pr, 'Laterality'), [], 'a chest is not a paired body part');
    const run = spawnSync('dcmp2pgm', ['-v', '-p', pr, chestFile, join(dir, 'out.pgm')], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(`${run.stdout}${run.stderr}`, /coordinates: 20\\30, 60\\30, 60\\80, 20\\80, 20\\30/);
  });
  // Without a known window the presentation state has no Softcopy VOI LUT (the viewer's default applies).
  assert.equal(buildPresentationStateDataset(chest.metadata, result)['SoftcopyVOILUTSequence'], undefined);
});

test('UIDs: a re-run gives identical bytes and instances; another model version gives new ones', () => {
  const result = resultFor(source.metadata);
  const first = writeResultSr(source.metadata, result, { now: fixedNow });
  assert.deepEqual(writeResultSr(source.metadata, result, { now: fixedNow }), first);
  assert.deepEqual(
    writePresentationState(source.metadata, result, { now: fixedNow }),
    writePresentationState(source.metadata, result, { now: fixedNow }),
  );
  withTempDir((dir) => {
    const uidsOf = (bytes: Uint8Array, name: string): { sop: string; series: string } => {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const sop = dcmdumpValues(file, 'SOPInstanceUID', { topLevelOnly: true })[0] ?? '';
      const series = dcmdumpValues(file, 'SeriesInstanceUID', { topLevelOnly: true })[0] ?? '';
      for (const uid of [sop, series]) assert.ok(isValidUid(uid) && uid.length <= 64, uid);
      return { sop, series };
    };
    const a = uidsOf(first, 'a.dcm');
    const rerun = uidsOf(writeResultSr(source.metadata, result), 'b.dcm'); // another time of day: same UIDs
    assert.deepEqual(rerun, a);
    const newVersion = uidsOf(writeResultSr(source.metadata, { ...result, model: { ...result.model, version: '1.2.4' } }), 'c.dcm');
    assert.notEqual(newVersion.sop, a.sop);
    assert.notEqual(newVersion.series, a.series);
    const pr = uidsOf(writePresentationState(source.metadata, result), 'd.dcm');
    assert.notEqual(pr.sop, a.sop);
    assert.notEqual(pr.series, a.series);
  });
});

test('writeDicomResults: both objects, with the reader\'s window, and their SOP Instance UIDs', () => {
  const result = resultFor(source.metadata);
  const both = writeDicomResults(radiograph, result, { now: fixedNow });
  assert.deepEqual(both.sr, writeResultSr(source.metadata, result, { now: fixedNow }));
  assert.deepEqual(both.presentationState, writePresentationState(source.metadata, result, { now: fixedNow, ...source.rendering.options }));
  assert.deepEqual(both.notes, []);
  withTempDir((dir) => {
    for (const [name, bytes, uid] of [['sr.dcm', both.sr, both.srSopInstanceUid], ['pr.dcm', both.presentationState, both.presentationStateSopInstanceUid]] as const) {
      writeFileSync(join(dir, name), bytes);
      assert.deepEqual(dcmdumpValues(join(dir, name), 'SOPInstanceUID', { topLevelOnly: true }), [uid]);
    }
  });
});

test('writers: refuse boxes outside the image and results for another image size, naming the problem', () => {
  const outside = resultFor(source.metadata, {
    findings: [{ box: { x: 1700, y: 100, width: 100, height: 50 }, score: 0.9, operatingPoint: 'high-specificity' }],
  });
  assert.throws(() => writeResultSr(source.metadata, outside), (error: unknown) => isDrfdsError(error) && error.code === 'dicom-box-invalid' && /Finding 1/.test(error.message));
  assert.throws(() => writePresentationState(source.metadata, outside), (error: unknown) => isDrfdsError(error) && error.code === 'dicom-box-invalid');
  const otherSize = resultFor(source.metadata, { image: { width: 1024, height: 1024, source: 'dicom' } });
  assert.throws(() => writeResultSr(source.metadata, otherSize), (error: unknown) => isDrfdsError(error) && error.code === 'dicom-result-mismatch');
  assert.throws(() => writeResultSr({ ...source.metadata, sopInstanceUid: '1.2.03' }, resultFor(source.metadata)), (error: unknown) => isDrfdsError(error) && error.code === 'dicom-source-invalid');
});

test('SR: a non-ASCII patient name is written as UTF-8 with Specific Character Set ISO_IR 192', () => {
  withTempDir((dir) => {
    const file = join(dir, 'sr-utf8.dcm');
    const metadata: RadiographMetadata = { ...source.metadata, patientName: 'Müller^Zoë' };
    writeFileSync(file, writeResultSr(metadata, resultFor(metadata)));
    assert.deepEqual(dcmdumpValues(file, 'SpecificCharacterSet'), ['ISO_IR 192']);
    assert.ok(readFileSync(file).includes(Buffer.from('Müller^Zoë', 'utf8')));
    assert.deepEqual(dciodvfy(file).errors, []);
  });
});
