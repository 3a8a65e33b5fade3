import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './main.js';
import { syntheticPredictions, syntheticTruth } from '../eval/testing/synthetic.js';
import type { EvaluationReport } from '../eval/Report.js';

/** Runs the CLI in-process, capturing stdout and stderr; restores the exit status the runner sees. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => { out.push(String(chunk)); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { err.push(String(chunk)); return true; }) as typeof process.stderr.write;
  const previous = process.exitCode;
  try {
    process.exitCode = undefined;
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
    process.exitCode = previous;
  }
}

test('drfds evaluate writes report.json, a self-contained report.html and report.md for two models', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-cli-eval-'));
  try {
    const truth = syntheticTruth(120, 3);
    writeFileSync(join(dir, 'truth.json'), JSON.stringify(truth));
    writeFileSync(join(dir, 'frcnn.json'), JSON.stringify(syntheticPredictions(truth, 1, { hit: 0.85, separation: 1.5, fpPerImage: 0.4 })));
    writeFileSync(join(dir, 'baseline.v1.json'), JSON.stringify(syntheticPredictions(truth, 2, { hit: 0.6, separation: 0.5, fpPerImage: 0.8 })));
    const outDir = join(dir, 'report');
    const result = await run(['evaluate', '--truth', join(dir, 'truth.json'), '--predictions', join(dir, 'frcnn.json'), '--predictions', join(dir, 'baseline.v1.json'),
      '--by', 'hip', '--by', 'hardware', '--threshold', '0.5', '--out', outDir]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^frcnn: AUC 0\.\d{4} \(/m);
    for (const file of ['report.json', 'report.html', 'report.md', 'roc.svg', 'froc.svg', 'calibration.svg']) assert.ok(existsSync(join(outDir, file)), file);
    const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as EvaluationReport;
    assert.equal(report.threshold, 0.5);
    assert.equal(report.iouThreshold, 0.5);
    assert.deepEqual(report.models.map((m) => m.name), ['frcnn', 'baseline.v1']);
    assert.deepEqual(Object.keys(report.models[0]?.subgroups ?? {}), ['hip', 'hardware']);
    assert.deepEqual(report.comparisons[0]?.models, ['frcnn', 'baseline.v1']);
    for (const key of ['n', 'positives', 'negatives', 'auc', 'sensitivity', 'specificity', 'accuracy', 'ppv', 'npv']) assert.ok(key in (report.models[0]?.perImage ?? {}), key);
    assert.ok(Array.isArray(report.models[0]?.perImage.sensitivity.ci95));
    const html = readFileSync(join(outDir, 'report.html'), 'utf8');
    assert.equal((html.match(/<svg /g) ?? []).length, 3);
    assert.ok(!/<script|<link|src=["']http|url\(http/i.test(html), 'report.html must load nothing from elsewhere');
    assert.match(html, /<td>frcnn vs baseline\.v1<\/td>/);
    const md = readFileSync(join(outDir, 'report.md'), 'utf8');
    assert.match(md, /^\| Model \| n \| Pos \/ neg \| AUC \(95% CI\)/m);
    assert.match(md, /!\[ROC[^\]]*\]\(roc\.svg\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('drfds evaluate: bad predictions print one line naming the entry and exit non-zero', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-cli-eval-'));
  try {
    const truth = syntheticTruth(10, 4);
    writeFileSync(join(dir, 'truth.json'), JSON.stringify(truth));
    const predictions = syntheticPredictions(truth, 1, { hit: 1, separation: 1, fpPerImage: 0.2 });
    predictions.push({ image_id: 123456, category_id: 1, bbox: [0, 0, 5, 5], score: 0.5 });
    writeFileSync(join(dir, 'p.json'), JSON.stringify(predictions));
    writeFileSync(join(dir, 'empty.json'), '');
    const bad = await run(['evaluate', '--truth', join(dir, 'truth.json'), '--predictions', join(dir, 'p.json'), '--out', join(dir, 'r')]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.match(bad.stderr, new RegExp(`entry \\[${predictions.length - 1}\\] has image_id 123456`));
    assert.ok(!existsSync(join(dir, 'r', 'report.json')));
    const empty = await run(['evaluate', '--truth', join(dir, 'empty.json'), '--predictions', join(dir, 'p.json'), '--out', join(dir, 'r')]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /empty\.json is empty/);
    const threshold = await run(['evaluate', '--truth', join(dir, 'truth.json'), '--predictions', join(dir, 'p.json'), '--threshold', '1.5', '--out', join(dir, 'r')]);
    assert.equal(threshold.code, 1);
    assert.match(threshold.stderr, /--threshold must be a number between 0 and 1 \(got "1\.5"\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
