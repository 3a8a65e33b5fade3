import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { repositoryRoot } from '../cli/packageVersion.js';
import { isDrfdsError } from '../errors/DrfdsError.js';
import { cohortTable, parseTruth } from '../eval/index.js';
import { buildDataset, DATASET_ANNOTATIONS_FILE, type DatasetCoco } from './buildDataset.js';
import { ageStringToYears, yearsBetween } from './cohortFields.js';
import { parseCocoAnnotations, parseCsvAnnotations } from './readReferenceAnnotations.js';

const hipDir = join(repositoryRoot(), '..', 'shared', 'dicom', 'hip');
/** SOP Instance UID as DCMTK reads it (the oracle for the UID index). */
function sopInstanceUid(path: string): string {
  const out = execFileSync('dcmdump', ['-q', '+P', 'SOPInstanceUID', path], { encoding: 'utf8' });
  const match = /\[([0-9.]+)\]/.exec(out);
  assert.ok(match?.[1], `dcmdump found no SOP Instance UID in ${path}`);
  return match[1];
}
const SOP_UID = sopInstanceUid(join(hipDir, 'RG2_ExplLE.dcm'));
/** The RG2 encodings share UIDs in part (the lossless re-encodings keep the original's). */
const filesWithSopUid = readdirSync(hipDir).filter((name) => sopInstanceUid(join(hipDir, name)) === SOP_UID).length;

function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-dataset-'));
  return run(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

function readCoco(outDir: string): DatasetCoco {
  return JSON.parse(readFileSync(join(outDir, DATASET_ANNOTATIONS_FILE), 'utf8')) as DatasetCoco;
}

async function grayPixels(path: string): Promise<{ width: number; height: number; data: Buffer }> {
  const { data, info } = await sharp(path).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 1);
  return { width: info.width, height: info.height, data };
}

function problemsOf(error: unknown, code: string): string {
  assert.ok(isDrfdsError(error), `expected a DrfdsError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error.message;
}

test('dataset build from CSV: PNGs render like DCMTK, boxes keep their pixels, cohort fields come from the headers', async () => {
  await withTempDir(async (dir) => {
    const csv = join(dir, 'reference.csv');
    writeFileSync(
      csv,
      [
        'file,x,y,width,height,subgroup',
        'RG2_ExplLE.dcm,400.5,600,200,150,displaced',
        '"RG2_ExplLE.dcm",1100,620,180,160,displaced',
        'RG2_JPLL.dcm,,,,,',
        'RG2_RLE.dcm,10,20,30,40,undisplaced',
        '',
      ].join('\r\n'),
    );
    const out = join(dir, 'out');
    const report = await buildDataset({ dicomDir: hipDir, annotationsPath: csv, outDir: out });
    assert.equal(report.images, 3);
    assert.equal(report.fractureImages, 2);
    assert.equal(report.boxes, 3);
    const coco = readCoco(out);
    assert.deepEqual(coco.categories, [{ id: 1, name: 'fracture', supercategory: 'fracture' }]);
    assert.deepEqual(coco.images.map((image) => [image.id, image.file_name, image.dicom.file, image['subgroup']]), [
      [1, 'RG2_ExplLE.png', 'RG2_ExplLE.dcm', 'displaced'],
      [2, 'RG2_JPLL.png', 'RG2_JPLL.dcm', undefined],
      [3, 'RG2_RLE.png', 'RG2_RLE.dcm', 'undisplaced'],
    ]);
    assert.deepEqual(coco.annotations.map((a) => [a.id, a.image_id, a.bbox, a.area]), [
      [1, 1, [400.5, 600, 200, 150], 30000],
      [2, 1, [1100, 620, 180, 160], 28800],
      [3, 3, [10, 20, 30, 40], 1200],
    ]);
    const first = coco.images[0]!;
    assert.equal(first.width, 1760);
    assert.equal(first.height, 2140);
    assert.equal(first.dicom.sop_instance_uid, SOP_UID);
    assert.equal(first.dicom.transfer_syntax_uid, '1.2.840.10008.1.2.1');
    assert.equal(first.dicom.pixel_spacing_source, 'PixelSpacing');
    assert.equal(first.patient_sex, 'M');
    assert.equal(first.manufacturer, 'Fuji Photo Film Co.,Ltd.');
    assert.equal(first.site, 'HUP CR ER01');
    assert.equal(first.body_part, 'HIP');
    assert.equal(first.hip, 1);
    assert.equal(first.frontal, undefined);
    assert.deepEqual(first.pixel_spacing_mm, [0.2, 0.2]);
    assert.equal(first.pixel_spacing_calibrated, false);
    assert.equal(first.view, undefined, 'ViewPosition is empty in RG2: the field is absent, not ""');
    // The evaluator reads the dataset as ground truth; its cohort table lists the header fields, not the provenance.
    const truth = parseTruth(coco, 'built dataset');
    assert.deepEqual(truth.isFracture, [true, false, true]);
    const cohortFieldsListed = new Set(cohortTable(truth).rows.map((row) => row.field));
    for (const field of ['site', 'patient_sex', 'manufacturer', 'subgroup', 'pixel_spacing_calibrated']) assert.ok(cohortFieldsListed.has(field), field);
    assert.ok(!cohortFieldsListed.has('dicom'));

    // The PNG is the image as the model sees it: DCMTK's rendering with the file's first window is the oracle.
    const dcmtkPng = join(dir, 'dcmtk.png');
    const run = spawnSync('dcmj2pnm', ['+on', '+Wi', '1', join(hipDir, 'RG2_ExplLE.dcm'), dcmtkPng], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const ours = await grayPixels(join(out, 'images', 'RG2_ExplLE.png'));
    const theirs = await grayPixels(dcmtkPng);
    assert.deepEqual([ours.width, ours.height], [theirs.width, theirs.height]);
    let sum = 0;
    for (let i = 0; i < ours.data.length; i += 1) sum += Math.abs((ours.data[i] ?? 0) - (theirs.data[i] ?? 0));
    assert.ok(sum / ours.data.length <= 1, `mean absolute difference to dcmj2pnm is ${sum / ours.data.length}`);
    // Lossless encodings give the same PNG pixels.
    assert.deepEqual((await grayPixels(join(out, 'images', 'RG2_RLE.png'))).data, ours.data);

    await assert.rejects(buildDataset({ dicomDir: hipDir, annotationsPath: csv, outDir: out }), (error: unknown) => /--force/.test(problemsOf(error, 'dataset/output-exists')));
  });
});

test('dataset build from COCO with a SOP Instance UID and --max-side: boxes and pixel spacing follow the resize', async () => {
  await withTempDir(async (dir) => {
    const dicomDir = join(dir, 'dicom');
    mkdirSync(join(dicomDir, 'hips'), { recursive: true });
    symlinkSync(join(hipDir, 'RG2_JLSL.dcm'), join(dicomDir, 'hips', 'one.dcm'));
    const cocoIn = join(dir, 'reference.json');
    writeFileSync(
      cocoIn,
      JSON.stringify({
        images: [{ id: 17, file_name: sopInstanceUid(join(hipDir, 'RG2_JLSL.dcm')), width: 1760, height: 2140, subgroup: 'displaced', reader: 'R1' }],
        annotations: [{ id: 5, image_id: 17, category_id: 3, bbox: [880, 1070, 176, 214], displacement: 'Garden III' }],
        categories: [{ id: 3, name: 'fracture' }],
      }),
    );
    const out = join(dir, 'out');
    await buildDataset({ dicomDir, annotationsPath: cocoIn, outDir: out, maxSide: 1024 });
    const coco = readCoco(out);
    const image = coco.images[0]!;
    // 1760×2140 → longer side 1024: 842×1024, as the FracAtlas copy was downscaled.
    assert.deepEqual([image.id, image.file_name, image.width, image.height, image.original_width, image.original_height], [17, 'hips__one.png', 842, 1024, 1760, 2140]);
    assert.equal(image.dicom.file, 'hips/one.dcm');
    assert.equal(image['subgroup'], 'displaced');
    assert.equal(image['reader'], 'R1');
    const sx = 842 / 1760;
    const sy = 1024 / 2140;
    const round3 = (value: number): number => Math.round(value * 1000) / 1000;
    assert.deepEqual(coco.annotations, [
      { displacement: 'Garden III', id: 5, image_id: 17, category_id: 1, bbox: [round3(880 * sx), round3(1070 * sy), round3(176 * sx), round3(214 * sy)], area: round3(round3(176 * sx) * round3(214 * sy)), iscrowd: 0 },
    ]);
    assert.deepEqual(image.pixel_spacing_mm, [Math.round((0.2 / sy) * 1e6) / 1e6, Math.round((0.2 / sx) * 1e6) / 1e6]);
    const png = await grayPixels(join(out, 'images', 'hips__one.png'));
    assert.deepEqual([png.width, png.height], [842, 1024]);
  });
});

test('dataset build: unknown files and UIDs, duplicate UIDs, boxes outside the image and size mismatches are named', async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, 'out');
    const csv = join(dir, 'bad-refs.csv');
    writeFileSync(csv, 'file,x,y,width,height\nmissing.dcm,1,1,5,5\nRG2_ExplLE.dcm,1,1,5,5\n../secret.dcm,,,,\n');
    await assert.rejects(buildDataset({ dicomDir: hipDir, annotationsPath: csv, outDir: out }), (error: unknown) => {
      const message = problemsOf(error, 'dataset/unknown-reference');
      assert.match(message, /2 problems/);
      assert.match(message, /CSV line 2 \("missing\.dcm"\): no file "missing\.dcm"/);
      assert.match(message, /CSV line 4 \("\.\.\/secret\.dcm"\): "\.\.\/secret\.dcm" is outside the DICOM folder/);
      return true;
    });

    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, 'file,x,y,width,height\n');
    await assert.rejects(buildDataset({ dicomDir: hipDir, annotationsPath: empty, outDir: out }), (error: unknown) => /lists no images/.test(problemsOf(error, 'dataset/empty')));

    const byUid = join(dir, 'uids.csv');
    writeFileSync(byUid, `uid,x,y,width,height\n${SOP_UID},1,1,5,5\n1.2.3.4.5,1,1,5,5\n`);
    await assert.rejects(buildDataset({ dicomDir: hipDir, annotationsPath: byUid, outDir: out }), (error: unknown) => {
      const message = problemsOf(error, 'dataset/unknown-reference');
      assert.ok(filesWithSopUid > 1);
      assert.ok(message.includes(`SOP Instance UID ${SOP_UID} is in ${filesWithSopUid} files`), message);
      assert.match(message, /no DICOM file under .* has SOP Instance UID 1\.2\.3\.4\.5/);
      return true;
    });

    const outside = join(dir, 'outside.json');
    writeFileSync(
      outside,
      JSON.stringify({
        images: [
          { id: 1, file_name: 'RG2_ExplLE.dcm' },
          { id: 2, file_name: 'RG2_RLE.dcm', width: 1024, height: 1024 },
        ],
        annotations: [{ id: 9, image_id: 1, category_id: 1, bbox: [1700, 100, 100, 50] }],
        categories: [{ id: 1, name: 'fracture' }],
      }),
    );
    await assert.rejects(buildDataset({ dicomDir: hipDir, annotationsPath: outside, outDir: out }), (error: unknown) => {
      const message = problemsOf(error, 'dataset/bad-annotations');
      assert.match(message, /COCO annotation id 9: box \[1700, 100, 100, 50\] lies outside RG2_ExplLE\.dcm \(1760×2140 pixels\)/);
      assert.match(message, /COCO image id 2 \("RG2_RLE\.dcm"\) declares 1024×1024 pixels but RG2_RLE\.dcm is 1760×2140/);
      return true;
    });
  });
});

test('CSV annotations: bad rows are named by line; COCO categories other than fracture are refused', () => {
  const problems = (text: string): string => {
    try {
      parseCsvAnnotations(text, 'ref.csv');
    } catch (error) {
      return problemsOf(error, 'dataset/bad-csv');
    }
    assert.fail('expected the CSV to be refused');
  };
  const rows = problems('file,x,y,width,height,subgroup\na.dcm,1,2,3\nb.dcm,1,2,abc,4,\nc.dcm,1,2,3,-4,\nd.dcm,1,2,3,4,displaced\nd.dcm,5,6,7,8,undisplaced\ne.dcm,,,,,\ne.dcm,1,1,1,1,\n,1,1,1,1,\n');
  assert.match(rows, /line 2: 4 fields, the header has 6/);
  assert.match(rows, /line 3: x, y, width, height must be numbers .* got "1", "2", "abc", "4"/);
  assert.match(rows, /line 4: x, y, width, height must be numbers/);
  assert.match(rows, /line 6: subgroup "undisplaced" for "d\.dcm" contradicts "displaced" on line 5/);
  assert.match(rows, /line 8: "e\.dcm" is listed fracture-free on line 7 but has a box on line 8/);
  assert.match(rows, /line 9: the "file" field is empty/);
  assert.match(problems('name,x,y,width,height\n'), /unknown column "name".*\n.*exactly one of the columns "file"/);
  assert.match(problems('file,uid,x,y\n'), /found 2[\s\S]*missing columns width, height/);
  assert.match(problems('file,x,y,width,height\n"a.dcm,1,1,1,1\n'), /line 2: a quoted field is not closed/);
  const parsed = parseCsvAnnotations('\ufeffFILE,X,Y,Width,Height\n"dir/a, b.dcm",1,2,3,4\n', 'ref.csv');
  assert.deepEqual(parsed.images.map((image) => image.reference), ['dir/a, b.dcm']);
  assert.deepEqual(parsed.boxes.map((box) => box.bbox), [[1, 2, 3, 4]]);

  let cocoMessage = '';
  try {
    parseCocoAnnotations(
      JSON.stringify({
        images: [{ id: 1, file_name: 'a.dcm' }, { id: 1, file_name: 'b.dcm' }, { id: 2 }],
        annotations: [
          { id: 1, image_id: 1, category_id: 2, bbox: [1, 1, 1, 1] },
          { id: 2, image_id: 7, category_id: 1, bbox: [1, 1, 1, 1] },
          { id: 3, image_id: 1, category_id: 1, bbox: [1, 1, 0, 1] },
          { id: 3, image_id: 1, category_id: 1, bbox: [1, 1, 1, 1] },
        ],
        categories: [{ id: 1, name: 'fracture' }, { id: 2, name: 'hardware' }],
      }),
      'ref.json',
    );
  } catch (error) {
    cocoMessage = problemsOf(error, 'dataset/bad-coco');
  }
  assert.match(cocoMessage, /images\[1\]: image id 1 is used twice/);
  assert.match(cocoMessage, /COCO image id 2 has no "file_name"/);
  assert.match(cocoMessage, /annotation id 1 has category_id 2; only a category named "fracture"/);
  assert.match(cocoMessage, /annotation id 2 refers to image_id 7/);
  assert.match(cocoMessage, /annotation id 3 has bbox \[1,1,0,1\]/);
  assert.match(cocoMessage, /annotation id 3 is used twice/);
});

test('cohort fields: DICOM ages and birth dates become years', () => {
  assert.equal(ageStringToYears('071Y'), 71);
  assert.equal(ageStringToYears('006M'), 0.5);
  assert.equal(ageStringToYears('7Y'), undefined);
  assert.equal(yearsBetween('19500315', '20200314'), 69);
  assert.equal(yearsBetween('19500315', '20200315'), 70);
  assert.equal(yearsBetween('2021', '20200315'), undefined);
});
