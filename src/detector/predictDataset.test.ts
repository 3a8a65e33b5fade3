import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from '../cli/packageVersion.js';
import { isDrfdsError } from '../errors/DrfdsError.js';
import { journalPath, predictDataset } from './predictDataset.js';

const root = repositoryRoot();
const fixture = join(root, 'fixtures', 'models', 'tiny-random');
const images = join(root, '..', 'shared', 'data', 'fracatlas', 'images');

test('predictDataset: a missing image fails alone, no results file until a rerun has done it, then complete', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-predict-'));
  try {
    const imageDir = join(dir, 'images');
    mkdirSync(imageDir);
    copyFileSync(join(images, 'IMG0002180.jpg'), join(imageDir, 'a.jpg'));
    const dataset = join(dir, 'coco.json');
    writeFileSync(dataset, JSON.stringify({ images: [{ id: 5, file_name: 'a.jpg' }, { id: 9, file_name: 'b.jpg' }], annotations: [], categories: [{ id: 3, name: 'fracture' }] }));
    const out = join(dir, 'results.json');
    const errors: string[] = [];
    const first = await predictDataset({ datasetPath: dataset, imagesDir: imageDir, outPath: out, modelDir: fixture, workers: 2, onImageError: (m) => errors.push(m) });
    assert.equal(first.failed, 1);
    assert.equal(first.complete, false);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /b\.jpg/);
    assert.ok(!existsSync(out));
    assert.ok(existsSync(journalPath(out)));
    copyFileSync(join(images, 'IMG0002544.jpg'), join(imageDir, 'b.jpg'));
    const second = await predictDataset({ datasetPath: dataset, imagesDir: imageDir, outPath: out, modelDir: fixture, workers: 1 });
    assert.equal(second.resumed, 1);
    assert.equal(second.complete, true);
    const results = JSON.parse(readFileSync(out, 'utf8')) as Array<{ image_id: number; category_id: number }>;
    assert.deepEqual([...new Set(results.map((r) => r.image_id))], [5, 9]);
    assert.ok(results.every((r) => r.category_id === 3));
    assert.ok(!existsSync(journalPath(out)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('predictDataset refuses a data set without the model\'s category, and a journal from another model', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-predict-'));
  try {
    const dataset = join(dir, 'coco.json');
    writeFileSync(dataset, JSON.stringify({ images: [], annotations: [], categories: [{ id: 1, name: 'tumour' }] }));
    await assert.rejects(predictDataset({ datasetPath: dataset, imagesDir: dir, outPath: join(dir, 'r.json'), modelDir: fixture }), (e) => isDrfdsError(e) && e.code === 'predict/no-category');
    writeFileSync(dataset, JSON.stringify({ images: [{ id: 1, file_name: 'x.jpg' }], annotations: [], categories: [{ id: 1, name: 'fracture' }] }));
    writeFileSync(journalPath(join(dir, 'r.json')), `${JSON.stringify({ journal: 'drfds-predict/1', dataset, model: { name: 'other', version: '1', sha256: '0'.repeat(64) } })}\n`);
    await assert.rejects(predictDataset({ datasetPath: dataset, imagesDir: dir, outPath: join(dir, 'r.json'), modelDir: fixture }), (e) => isDrfdsError(e) && e.code === 'predict/journal-mismatch');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
