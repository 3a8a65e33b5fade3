import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from './packageVersion.js';

const root = repositoryRoot();
const fixture = join(root, 'fixtures', 'models', 'tiny-random');
const fracatlas = join(root, '..', 'shared', 'data', 'fracatlas');
const cli = join(root, 'src', 'detector', 'testing', 'runCli.ts');

/** A COCO subset of 8 real FracAtlas images (4 hip images with fractures among them). */
function writeSubset(dir: string): string {
  const coco = JSON.parse(readFileSync(join(fracatlas, 'annotations.coco.json'), 'utf8')) as { images: Array<{ id: number; file_name: string }>; categories: unknown[] };
  const wanted = ['IMG0002180.jpg', 'IMG0002544.jpg', 'IMG0003341.jpg', 'IMG0002701.jpg', 'IMG0000001.jpg', 'IMG0000002.jpg', 'IMG0000003.jpg', 'IMG0000004.jpg'];
  const images = coco.images.filter((image) => wanted.includes(image.file_name));
  const path = join(dir, 'subset.json');
  writeFileSync(path, JSON.stringify({ images, annotations: [], categories: coco.categories }));
  return path;
}

const args = (dataset: string, out: string, workers: number): string[] =>
  ['predict', '--dataset', dataset, '--images', join(fracatlas, 'images'), '--out', out, '--model', fixture, '--workers', String(workers)];

test('drfds predict writes COCO results; killed mid-run, it resumes from its journal and gives the same results', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-predict-'));
  try {
    const dataset = writeSubset(dir);
    // Uninterrupted reference run, one worker.
    const reference = join(dir, 'reference.json');
    const full = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args(dataset, reference, 1)], { encoding: 'utf8' });
    assert.equal(full.status, 0, full.stderr);
    const expected = JSON.parse(readFileSync(reference, 'utf8')) as Array<{ image_id: number; category_id: number; bbox: number[]; score: number }>;
    assert.equal(new Set(expected.map((r) => r.image_id)).size, 8);
    for (const r of expected) {
      assert.equal(r.category_id, 1);
      assert.equal(r.bbox.length, 4);
      assert.ok(r.bbox[2]! > 0 && r.bbox[3]! > 0 && r.score >= 0.05 && r.score <= 1);
    }
    // Interrupted run, two workers: SIGKILL once the journal holds at least 3 images.
    const out = join(dir, 'results.json');
    const journal = `${out}.journal.jsonl`;
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args(dataset, out, 2)], { stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const lines = existsSync(journal) ? readFileSync(journal, 'utf8').split('\n').filter(Boolean).length : 0;
        if (lines >= 4) { // header + 3 images
          clearInterval(timer);
          child.kill('SIGKILL');
        }
      }, 20);
      child.on('exit', () => { clearInterval(timer); resolve(); });
      child.on('error', reject);
    });
    assert.ok(!existsSync(out), 'an interrupted run writes no results file');
    const doneBefore = readFileSync(journal, 'utf8').split('\n').filter(Boolean).length - 1;
    assert.ok(doneBefore >= 3 && doneBefore < 8, `${doneBefore} images in the journal`);
    const resumed = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args(dataset, out, 2)], { encoding: 'utf8' });
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`resuming from .*: ${doneBefore} of 8 images already done`));
    assert.ok(!existsSync(journal), 'the journal is removed once the results are written');
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
