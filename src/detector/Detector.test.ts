import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { repositoryRoot } from '../cli/packageVersion.js';
import { createDetector } from './Detector.js';
import { detectFile } from './detectFile.js';

// End to end on the trainer's tiny random-initialised package (fixtures/models/tiny-random): real graph, real
// images; the assertions are the runtime's contract, not the (meaningless) values of an untrained model.
const root = repositoryRoot();
const fixture = join(root, 'fixtures', 'models', 'tiny-random');
const shared = join(root, '..', 'shared');
const jpeg = join(shared, 'data', 'fracatlas', 'images', 'IMG0002337.jpg');
const dicom = join(shared, 'dicom', 'hip', 'RG2_JPLL.dcm');

test('detect on a real FracAtlas JPEG and a real CR DICOM: boxes in original pixels, probability and decision consistent', async () => {
  const detector = await createDetector(fixture, { intraOpNumThreads: 1 });
  try {
    const sha = execFileSync('sha256sum', [join(fixture, 'model.onnx')], { encoding: 'utf8' }).split(' ')[0];
    for (const [path, source, size] of [[jpeg, 'jpeg', [819, 1024]], [dicom, 'dicom', [1760, 2140]]] as const) {
      const { result, candidates, input } = await detectFile(detector, path);
      assert.equal(result.file, path);
      assert.deepEqual([result.image.width, result.image.height, result.image.source], [...size, source]);
      assert.deepEqual(result.model, { name: 'tiny-random', version: '0.0.1', sha256: sha, trained: false });
      assert.ok(result.warnings.some((w) => w.includes('UNTRAINED')));
      assert.ok(candidates.length > 0 && candidates.length <= 100, `${candidates.length} candidates`);
      // Best first, every score at or above the package's score threshold, boxes inside the original image.
      for (const [i, c] of candidates.entries()) {
        assert.ok(c.score >= 0.05 && c.score <= 1);
        if (i > 0) assert.ok(c.score <= candidates[i - 1]!.score);
        assert.ok(c.box.x1 >= 0 && c.box.y1 >= 0 && c.box.x2 <= size[0] && c.box.y2 <= size[1] && c.box.x2 > c.box.x1 && c.box.y2 > c.box.y1);
      }
      assert.equal(result.probability, candidates[0]!.score);
      const expectedDecision = result.probability >= 0.6 ? 'fracture' : result.probability >= 0.3 ? 'doubt' : 'no fracture';
      assert.equal(result.decision, expectedDecision);
      // Findings: exactly the candidates at or above the high-sensitivity point, each with its strictest point.
      assert.equal(result.findings.length, candidates.filter((c) => c.score >= 0.3).length);
      for (const f of result.findings) assert.equal(f.operatingPoint, f.score >= 0.6 ? 'high-specificity' : 'high-sensitivity');
      if (source === 'dicom') {
        assert.ok(input.metadata?.pixelSpacing);
        const f = result.findings[0]!;
        assert.ok(f.boxMm, 'DICOM with pixel spacing gives mm sizes');
        assert.ok(Math.abs(f.boxMm.width - f.box.width * input.metadata.pixelSpacing.columnSpacingMm) < 0.02);
      } else {
        assert.ok(result.findings.every((f) => f.boxMm === undefined));
      }
      for (const key of ['read', 'preprocess', 'inference', 'postprocess', 'total'] as const) assert.ok(result.timingsMs[key] >= 0);
      // Deterministic: the same image gives the same boxes.
      const again = await detector.detect(input.image);
      assert.deepEqual(again.candidates, candidates);
    }
  } finally {
    await detector.release();
  }
});

test('a PNG holding the same pixels as a JPEG gives the same boxes (the format only changes the decoder)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-png-'));
  const detector = await createDetector(fixture, { intraOpNumThreads: 1 });
  try {
    const fromJpeg = await detectFile(detector, jpeg);
    const png = join(dir, 'same.png');
    const { data, info } = await sharp(readFileSync(jpeg)).greyscale().raw().toBuffer({ resolveWithObject: true });
    writeFileSync(png, await sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } }).png().toBuffer());
    const fromPng = await detectFile(detector, png);
    assert.equal(fromPng.result.image.source, 'png');
    assert.deepEqual(fromPng.input.image.data, fromJpeg.input.image.data);
    assert.deepEqual(fromPng.candidates, fromJpeg.candidates);
  } finally {
    await detector.release();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the reused model-input memory changes nothing: same image → same boxes, before and after a larger image and alongside a concurrent detect', async () => {
  const detector = await createDetector(fixture, { intraOpNumThreads: 1 });
  const alone = await createDetector(fixture, { intraOpNumThreads: 1 });
  try {
    const first = await detectFile(detector, jpeg); // fresh memory
    await detectFile(detector, dicom); // a different (taller) tensor in the same memory
    const again = await detectFile(detector, jpeg); // reused memory, larger than this tensor
    assert.deepEqual(again.candidates, first.candidates);
    const [a, b] = await Promise.all([detectFile(detector, jpeg), detectFile(detector, dicom)]);
    assert.deepEqual(a.candidates, first.candidates);
    assert.deepEqual(b.candidates, (await detectFile(alone, dicom)).candidates);
  } finally {
    await detector.release();
    await alone.release();
  }
});
