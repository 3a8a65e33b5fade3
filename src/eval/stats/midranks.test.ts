import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argsort, midranks } from './midranks.js';
import { createRandom } from './random.js';

function bruteForceMidranks(values: Float64Array): number[] {
  return Array.from(values, (v) => {
    let below = 0;
    let equal = 0;
    for (const w of values) {
      if (w < v) below += 1;
      else if (w === v) equal += 1;
    }
    return below + (equal + 1) / 2;
  });
}

test('radix argsort orders negative, positive, tiny, huge, ±0 and tied doubles like a comparison sort', () => {
  const r = createRandom(3);
  const values = Float64Array.from({ length: 5000 }, (_, i) => {
    const kind = i % 7;
    if (kind === 0) return Math.round(r.normal() * 10) / 10; // ties
    if (kind === 1) return -r.next() * 1e-300;
    if (kind === 2) return r.normal() * 1e300;
    if (kind === 3) return i % 2 === 0 ? 0 : -0;
    if (kind === 4) return -Infinity;
    return r.normal();
  });
  const order = argsort(values);
  assert.equal(new Set(order).size, values.length);
  for (let k = 1; k < order.length; k += 1) assert.ok((values[order[k - 1] as number] as number) <= (values[order[k] as number] as number), `position ${k}`);
});

test('midranks equal the brute-force mean rank of each tie group', () => {
  const r = createRandom(4);
  for (const n of [1, 2, 17, 400]) {
    const values = Float64Array.from({ length: n }, () => Math.round(r.normal() * 3) / 2);
    assert.deepEqual(Array.from(midranks(values)), bruteForceMidranks(values));
  }
  assert.deepEqual(Array.from(midranks(Float64Array.from([0.5, 0.5, 0.5]))), [2, 2, 2]);
  assert.deepEqual(Array.from(midranks(Float64Array.from([0, -0, 1]))), [1.5, 1.5, 3]);
});
