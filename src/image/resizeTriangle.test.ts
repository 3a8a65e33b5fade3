import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGrayImage8 } from './GrayImage.js';
import { ResizeHelper } from './ResizeHelper.js';
import { resizeTriangle } from './resizeTriangle.js';
import { runPython, syntheticPixels } from './testing/pythonOracle.js';

// The oracle: Pillow's own Image.resize(..., Image.BILINEAR) on the same pixels (the trainer's resize).
const cases: Array<[number, number, number, number]> = [
  [1760, 2140, 512, 623], // RG2_JPLL-sized radiograph → the model's short side (shrink ×3.4, antialiased)
  [373, 454, 512, 623], // small FracAtlas image → enlarged
  [37, 23, 101, 7], // enlarged in x, shrunk in y
  [64, 40, 64, 17], // vertical pass only
  [1, 9, 3, 2], // a one-pixel-wide column
  [2140, 1760, 623, 512], // radiograph-sized, shrunk more across than down (shared between two threads below)
];

test("resizeTriangle is bit-identical to Pillow's BILINEAR resize (shrink, enlarge, mixed, one axis, one column), alone and on two threads", async () => {
  const inputs = cases.map(([w, h]) => syntheticPixels(w, h, w * 31 + h));
  const pil = runPython(
    `from PIL import Image\nsizes = ${JSON.stringify(cases)}\n` +
      `for i, (w, h, ow, oh) in enumerate(sizes):\n` +
      `    g = np.fromfile(IN[i], dtype=np.float32).astype(np.uint8).reshape(h, w)\n` +
      `    np.asarray(Image.fromarray(g).resize((ow, oh), Image.BILINEAR), dtype=np.uint8).astype(np.float32).tofile(OUT[i])`,
    inputs.map((pixels) => Float32Array.from(pixels)),
  );
  const helper = ResizeHelper.start();
  try {
    // each case on one thread, then with the second thread (used from 1 Mpx up): the same bytes either way
    for (const shared of [undefined, helper]) {
      for (const [i, [inW, inH, outW, outH]] of cases.entries()) {
        const ours = resizeTriangle(createGrayImage8(inW, inH, inputs[i]), outW, outH, shared);
        assert.deepEqual([ours.width, ours.height], [outW, outH]);
        const expected = pil[i]!;
        let differing = 0;
        for (let j = 0; j < expected.length; j += 1) if (ours.data[j] !== expected[j]) differing += 1;
        assert.equal(differing, 0, `${inW}×${inH} → ${outW}×${outH}${shared ? ' on two threads' : ''}: ${differing} of ${expected.length} pixels differ from Pillow`);
      }
    }
    assert.ok(helper.available, 'the helper thread did its halves (it was not retired)');
  } finally {
    await helper.close();
  }
});

test('a helper whose thread is gone: the resize does all rows itself, same bytes', async () => {
  const image = createGrayImage8(1760, 2140, syntheticPixels(1760, 2140, 5));
  const alone = resizeTriangle(image, 512, 623);
  const helper = ResizeHelper.start();
  await helper.close();
  assert.equal(helper.available, false);
  assert.deepEqual(resizeTriangle(image, 512, 623, helper).data, alone.data);
});

test('resizeTriangle keeps a constant image constant and refuses a bad target size', () => {
  const flat = resizeTriangle(createGrayImage8(50, 30, new Uint8Array(1500).fill(77)), 13, 91);
  assert.ok(flat.data.every((v) => v === 77));
  assert.throws(() => resizeTriangle(createGrayImage8(2, 2), 0, 3), RangeError);
  assert.throws(() => resizeTriangle(createGrayImage8(2, 2), 2.5, 3), RangeError);
});

test('a half pass that fails on the helper thread: share() says so, and the helper is not used again', () => {
  const helper = ResizeHelper.start();
  const broken = { pass: 'horizontal', src: new SharedArrayBuffer(4), inWidth: 2, first: 0, from: 0, to: 1, out: new SharedArrayBuffer(4), coefficients: undefined } as unknown as Parameters<ResizeHelper['share']>[0];
  let ownPartRan = false;
  assert.equal(helper.share(broken, () => { ownPartRan = true; }), false);
  assert.ok(ownPartRan);
  assert.equal(helper.available, false);
});
