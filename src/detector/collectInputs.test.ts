import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectInputs, outputNames } from './collectInputs.js';
import { toCocoResults } from './predictDataset.js';

test('collectInputs walks folders (sorted, recursive, image and extensionless files, no hidden ones) and reports missing paths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-collect-'));
  try {
    mkdirSync(join(dir, 'sub'));
    for (const name of ['b.png', 'a.JPG', 'notes.txt', '.hidden.dcm', 'IM0001', join('sub', 'c.dcm')]) writeFileSync(join(dir, name), 'x');
    const { files, errors } = collectInputs([dir, join(dir, 'notes.txt'), join(dir, 'absent.dcm')]);
    assert.deepEqual(files, [join(dir, 'a.JPG'), join(dir, 'b.png'), join(dir, 'IM0001'), join(dir, 'sub', 'c.dcm'), join(dir, 'notes.txt')]);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /absent\.dcm: no such file or folder/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('outputNames are unique within one output folder', () => {
  assert.deepEqual(outputNames(['x/a.png', 'y/a.dcm', 'a-2.jpg', 'z/a']), ['a', 'a-2', 'a-2-2', 'a-3']);
});

test('toCocoResults turns corners into [x, y, width, height] and maps the class to the data set category', () => {
  const results = toCocoResults(7, [{ x1: 10, y1: 20, x2: 40.5, y2: 60.25, score: 0.9, label: 1 }, { x1: 0, y1: 0, x2: 1, y2: 1, score: 0.5, label: 2 }], new Map([[1, 3]]));
  assert.deepEqual(results, [{ image_id: 7, category_id: 3, bbox: [10, 20, 30.5, 40.25], score: 0.9 }]);
});
