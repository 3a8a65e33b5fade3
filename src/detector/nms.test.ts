import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPython } from '../image/testing/pythonOracle.js';
import { iou } from './boxes.js';
import { nonMaximumSuppression } from './nms.js';

function randomBoxes(n: number, seed: number): { boxes: Array<{ x1: number; y1: number; x2: number; y2: number }>; scores: Float32Array } {
  let state = seed;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const boxes = [];
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i += 1) {
    const x1 = next() * 200;
    const y1 = next() * 200;
    boxes.push({ x1, y1, x2: x1 + 5 + next() * 60, y2: y1 + 5 + next() * 60 });
    scores[i] = next();
  }
  return { boxes, scores };
}

test('nonMaximumSuppression keeps the same boxes, in the same order, as torchvision.ops.nms', () => {
  const cases = [[300, 0.5, 11], [120, 0.3, 5], [50, 0.7, 2]] as const;
  const data = cases.map(([n, , seed]) => {
    const { boxes, scores } = randomBoxes(n, seed);
    const flat = new Float32Array(n * 5);
    boxes.forEach((b, i) => flat.set([b.x1, b.y1, b.x2, b.y2, scores[i]!], i * 5));
    return flat;
  });
  const kept = runPython(
    `import torch, torchvision\nfor i, t in enumerate(${JSON.stringify(cases.map((c) => c[1]))}):\n` +
      `    d = torch.from_numpy(np.fromfile(IN[i], dtype=np.float32).reshape(-1, 5))\n` +
      `    torchvision.ops.nms(d[:, :4], d[:, 4], t).numpy().astype(np.float32).tofile(OUT[i])`,
    data,
  );
  for (const [c, [n, threshold]] of cases.entries()) {
    const flat = data[c]!;
    // Boxes as float32 in both, so IoUs agree bit for bit near the threshold.
    const boxes = Array.from({ length: n }, (_, i) => ({ x1: flat[i * 5]!, y1: flat[i * 5 + 1]!, x2: flat[i * 5 + 2]!, y2: flat[i * 5 + 3]! }));
    const scores = Float32Array.from({ length: n }, (_, i) => flat[i * 5 + 4]!);
    assert.deepEqual(nonMaximumSuppression(boxes, scores, threshold), Array.from(kept[c]!), `n=${n} iou=${threshold}`);
  }
});

test('iou of identical, disjoint, touching and nested boxes', () => {
  const a = { x1: 0, y1: 0, x2: 10, y2: 10 };
  assert.equal(iou(a, a), 1);
  assert.equal(iou(a, { x1: 20, y1: 20, x2: 30, y2: 30 }), 0);
  assert.equal(iou(a, { x1: 10, y1: 0, x2: 20, y2: 10 }), 0);
  assert.equal(iou(a, { x1: 0, y1: 0, x2: 5, y2: 10 }), 0.5);
});

test('nonMaximumSuppression honours maxKept', () => {
  const { boxes, scores } = randomBoxes(100, 9);
  assert.equal(nonMaximumSuppression(boxes, scores, 0.5, 3).length, 3);
});
