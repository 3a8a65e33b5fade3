import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDrfdsError } from '../errors/DrfdsError.js';
import { toOriginalPixels } from './boxes.js';
import { decide, operatingPointOf } from './decision.js';
import { postprocess, type RawDetections } from './postprocess.js';

const spec = { scoreThreshold: 0.05, nmsIouThreshold: 0.5, maxDetectionsPerImage: 100 };

function raw(rows: Array<[number, number, number, number, number, number]>): RawDetections {
  return {
    boxes: Float32Array.from(rows.flatMap((r) => r.slice(0, 4))),
    scores: Float32Array.from(rows.map((r) => r[4])),
    labels: BigInt64Array.from(rows.map((r) => BigInt(r[5]))),
  };
}

test('postprocess: score filter, background dropped, class-agnostic NMS, mapped back to original pixels and clipped', () => {
  // Model input 512×623 for an original 1760×2140 image: factors 512/1760 and 623/2140.
  const factors = { x: 512 / 1760, y: 623 / 2140 };
  const out = postprocess(
    raw([
      [100, 100, 200, 200, 0.9, 1],
      [105, 102, 198, 205, 0.8, 1], // overlaps the first (IoU > 0.5): suppressed
      [300, 300, 600, 700, 0.5, 1], // runs past the image: clipped
      [10, 10, 20, 20, 0.04, 1], // below scoreThreshold
      [400, 10, 450, 60, 0.7, 0], // background label
      [50, 50, 50, 80, 0.6, 1], // empty box
    ]),
    spec,
    { factors, width: 1760, height: 2140 },
  );
  assert.equal(out.length, 2);
  assert.equal(out[0]!.score, Math.fround(0.9));
  assert.ok(Math.abs(out[0]!.box.x1 - 100 / factors.x) < 1e-9);
  assert.ok(Math.abs(out[0]!.box.y2 - 200 / factors.y) < 1e-9);
  assert.equal(out[1]!.box.x2, 1760);
  assert.equal(out[1]!.box.y2, 2140);
  assert.equal(out[1]!.box.space, 'original');
});

test('postprocess keeps at most maxDetectionsPerImage, best first', () => {
  const rows: Array<[number, number, number, number, number, number]> = [];
  for (let i = 0; i < 20; i += 1) rows.push([i * 30, 0, i * 30 + 20, 20, 0.1 + i * 0.01, 1]);
  const out = postprocess(raw(rows), { ...spec, maxDetectionsPerImage: 5 }, { factors: { x: 1, y: 1 }, width: 1000, height: 1000 });
  assert.deepEqual(out.map((c) => c.score), rows.slice(-5).reverse().map((r) => Math.fround(r[4])));
});

test('postprocess rejects graph outputs whose shapes disagree or whose scores are not probabilities', () => {
  const bad = { boxes: new Float32Array(8), scores: new Float32Array(3), labels: new BigInt64Array(3) };
  assert.throws(() => postprocess(bad, spec, { factors: { x: 1, y: 1 }, width: 10, height: 10 }), (e) => isDrfdsError(e) && e.code === 'model/bad-output');
  const nan = raw([[0, 0, 1, 1, 1.5, 1]]);
  assert.throws(() => postprocess(nan, spec, { factors: { x: 1, y: 1 }, width: 10, height: 10 }), /scores must lie in \[0, 1\]/);
});

test('toOriginalPixels divides by the resize factors per axis', () => {
  const b = toOriginalPixels({ space: 'model-input', x1: 10, y1: 20, x2: 30, y2: 40 }, { x: 0.5, y: 0.25 }, 1000, 1000);
  assert.deepEqual([b.x1, b.y1, b.x2, b.y2], [20, 80, 60, 160]);
});

test('decide and operatingPointOf: ≥ highSpecificity fracture/solid, ≥ highSensitivity doubt/dotted, else none', () => {
  const points = { highSensitivity: 0.3, highSpecificity: 0.6 };
  assert.equal(decide(0.6, points), 'fracture');
  assert.equal(decide(0.59, points), 'doubt');
  assert.equal(decide(0.3, points), 'doubt');
  assert.equal(decide(0.29, points), 'no fracture');
  assert.equal(decide(0, points), 'no fracture');
  assert.equal(operatingPointOf(0.7, points), 'high-specificity');
  assert.equal(operatingPointOf(0.45, points), 'high-sensitivity');
  assert.equal(operatingPointOf(0.1, points), undefined);
});
