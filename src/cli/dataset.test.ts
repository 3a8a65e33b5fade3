import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './main.js';
import { repositoryRoot } from './packageVersion.js';

const hipDir = join(repositoryRoot(), '..', 'shared', 'dicom', 'hip');

/** Runs the CLI in process, capturing stdout and stderr; resets process.exitCode afterwards. */
async function runCli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const originalOut = process.stdout.write.bind(process.stdout);
  const originalError = console.error;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  console.error = (...values: unknown[]) => {
    err.push(values.map(String).join(' '));
  };
  try {
    const status = await main(args);
    // Under `node --test` the runner itself writes to stdout too: keep only text chunks.
    return { status, stdout: out.filter((chunk) => chunk.startsWith('{')).join(''), stderr: err.join('\n') };
  } finally {
    process.stdout.write = originalOut;
    console.error = originalError;
    process.exitCode = 0;
  }
}

test('drfds dataset build: a summary line on success, exit status 1 naming the bad CSV row on failure', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-cli-dataset-'));
  try {
    const good = join(dir, 'good.csv');
    writeFileSync(good, 'file,x,y,width,height\nRG2_RLE.dcm,100,200,50,60\n');
    const ok = await runCli(['dataset', 'build', '--dicom', hipDir, '--annotations', good, '--out', join(dir, 'out'), '--quiet']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(
      (({ images, fractureImages, boxes }) => ({ images, fractureImages, boxes }))(JSON.parse(ok.stdout) as { images: number; fractureImages: number; boxes: number }),
      { images: 1, fractureImages: 1, boxes: 1 },
    );
    const coco = JSON.parse(readFileSync(join(dir, 'out', 'annotations.coco.json'), 'utf8')) as { annotations: Array<{ bbox: number[] }> };
    assert.deepEqual(coco.annotations.map((a) => a.bbox), [[100, 200, 50, 60]]);

    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'file,x,y,width,height\nRG2_RLE.dcm,100,200,fifty,60\n');
    const failed = await runCli(['dataset', 'build', '--dicom', hipDir, '--annotations', bad, '--out', join(dir, 'out2'), '--quiet']);
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /^drfds: .*bad\.csv: 1 problem:\n\s+CSV line 2: x, y, width, height must be numbers/);

    const badSide = await runCli(['dataset', 'build', '--dicom', hipDir, '--annotations', good, '--out', join(dir, 'out3'), '--max-side', 'big']);
    assert.equal(badSide.status, 1);
    assert.match(badSide.stderr, /--max-side must be a whole number/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
