import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryRoot } from '../cli/packageVersion.js';
import { decodeImage } from '../image/decodeImage.js';
import { createGrayImage8 } from '../image/GrayImage.js';
import { runPython, syntheticPixels } from '../image/testing/pythonOracle.js';
import type { PreprocessingSpec } from './ModelManifest.js';
import { preprocess, resizedSize, roundHalfEven } from './preprocess.js';
import { ReusableBuffer } from '../memory/ReusableBuffer.js';

const root = repositoryRoot();
const fracatlas = join(root, '..', 'shared', 'data', 'fracatlas', 'images');

const spec: PreprocessingSpec = {
  resize: { shortSide: 512, maxSide: 853 },
  interpolation: 'bilinear',
  scale: 1 / 255,
  mean: [0.5],
  std: [0.25],
  padToMultipleOf: 32,
  padValue: 0,
};

/** The trainer's own preprocessing (trainer/preprocess.py: Pillow resize + torch normalisation) as the oracle, one Python run for all images. */
function trainerTensors(images: ReadonlyArray<{ pixels: Uint8Array; width: number; height: number }>): Array<{ data: Float32Array; header: number[] }> {
  const outs = runPython(
    `import sys, torch\nsys.path.insert(0, ${JSON.stringify(root)})\nfrom trainer.preprocess import resize_gray, normalize_pad\n` +
      `for i, (w, h) in enumerate(${JSON.stringify(images.map((i) => [i.width, i.height]))}):\n` +
      `    g = np.fromfile(IN[i], dtype=np.float32).astype(np.uint8).reshape(h, w)\n` +
      `    r, sx, sy = resize_gray(g, 512, 853)\n` +
      `    x = normalize_pad(torch.from_numpy(np.ascontiguousarray(r)), 0.5, 0.25, 32)\n` +
      `    np.concatenate([np.array([x.shape[2], x.shape[3], r.shape[0], r.shape[1]], np.float32), x.numpy().ravel()]).astype(np.float32).tofile(OUT[i])`,
    images.map((i) => Float32Array.from(i.pixels)),
  );
  return outs.map((out) => ({ header: Array.from(out.subarray(0, 4)), data: out.subarray(4) }));
}

test('preprocess is bit-identical to trainer/preprocess.py on a real FracAtlas hip JPEG (373×454, enlarged) and a radiograph-sized image (1760×2140, shrunk)', async () => {
  const decoded = await decodeImage(readFileSync(join(fracatlas, 'IMG0002180.jpg')));
  const images = [
    { pixels: decoded.image.data, width: decoded.image.width, height: decoded.image.height },
    { pixels: syntheticPixels(1760, 2140, 7), width: 1760, height: 2140 },
  ];
  const theirs = trainerTensors(images);
  for (const [i, image] of images.entries()) {
    const ours = preprocess(createGrayImage8(image.width, image.height, image.pixels), spec);
    assert.deepEqual([ours.dims[2], ours.dims[3], ours.resizedHeight, ours.resizedWidth], theirs[i]!.header);
    let differing = 0;
    for (let j = 0; j < ours.data.length; j += 1) if (ours.data[j] !== theirs[i]!.data[j]) differing += 1;
    // The same 8-bit resize (Pillow's fixed-point filter) and the same float32 arithmetic.
    assert.equal(differing, 0, `${image.width}×${image.height}: ${differing} of ${ours.data.length} values differ`);
  }
});

test('resizedSize: short side to 512 unless the long side passes 853; rounds half to even like Python', () => {
  assert.deepEqual(resizedSize(1760, 2140, spec.resize), { width: 512, height: 623 });
  assert.deepEqual(resizedSize(373, 454, spec.resize), { width: 512, height: 623 });
  assert.deepEqual(resizedSize(1000, 3000, spec.resize), { width: 284, height: 853 });
  assert.deepEqual(resizedSize(512, 512, spec.resize), { width: 512, height: 512 });
  assert.equal(roundHalfEven(2.5), 2);
  assert.equal(roundHalfEven(3.5), 4);
  assert.equal(roundHalfEven(-1.5), -2);
  assert.equal(roundHalfEven(2.4999), 2);
});

test('preprocess pads bottom/right with padValue to a multiple of 32 and reports the resize factors', () => {
  const input = preprocess(createGrayImage8(100, 50, new Uint8Array(5000).fill(255)), { ...spec, padValue: -7 });
  // 100×50 → short side 512: 1024×512 exceeds 853 → long side 853, 853×426 (50 × 8.53 = 426.4999… in binary floating point, as in Python)
  assert.equal(input.resizedWidth, 853);
  assert.equal(input.resizedHeight, 426);
  assert.deepEqual(input.dims, [1, 1, 448, 864]);
  assert.equal(input.factors.x, 853 / 100);
  const white = (1 - 0.5) / 0.25;
  assert.ok(Math.abs(input.data[0]! - white) < 1e-6);
  assert.equal(input.data[852 + 1], -7); // right padding, first row
  assert.equal(input.data[426 * 864], -7); // bottom padding
});

test('with reused memory the tensor is the same as with fresh memory, whatever the memory held before', () => {
  const memory = new ReusableBuffer();
  const dirty = new Float32Array(memory.lend(4 * 1000 * 1000));
  dirty.fill(123.5); // what a larger earlier image left behind
  memory.giveBack(dirty.buffer);
  const image = createGrayImage8(300, 200, syntheticPixels(300, 200, 3));
  const reused = preprocess(image, spec, memory);
  const fresh = preprocess(image, spec);
  assert.equal(reused.data.buffer, dirty.buffer);
  assert.deepEqual(reused.dims, fresh.dims);
  assert.equal(reused.data.length, fresh.data.length);
  assert.deepEqual(reused.data, fresh.data); // padding included
  // while lent, a second input gets memory of its own
  assert.notEqual(preprocess(image, spec, memory).data.buffer, dirty.buffer);
});
