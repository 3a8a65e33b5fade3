import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { repositoryRoot } from './packageVersion.js';

const cli = join(repositoryRoot(), 'src', 'cli', 'run.ts');

test('drfds study analyze --imrmc writes the MRMC report of the Van Dyke study', () => {
  const out = mkdtempSync(join(tmpdir(), 'drfds-study-'));
  execFileSync(process.execPath, ['--import', 'tsx', cli, 'study', 'analyze', '--imrmc', join(repositoryRoot(), '..', 'shared', 'data', 'mrmc', 'vandyke.imrmc'), '--out', out], { encoding: 'utf8' });
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
    modalities: Record<string, { readers: Record<string, { auc: number }>; readerAveragedAuc: number }>;
    mrmc: { F: number; df2: number; p: number; ci95: [number, number]; difference: number };
  };
  assert.equal(Object.keys(report.modalities).length, 2);
  assert.equal(Object.keys(report.modalities['0']?.readers ?? {}).length, 5);
  assert.equal(report.mrmc.F.toFixed(2), '4.46');
  assert.equal(report.mrmc.p.toFixed(4), '0.0517');
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /F\(1, 15\.26\) = 4\.46, p = 0\.0517/);
});

test('drfds study analyze names a broken input and exits non-zero', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-study-'));
  const file = join(dir, 'broken.imrmc');
  writeFileSync(file, 'BEGIN DATA:\n-1,1,truth,2\n');
  const run = spawnSync(process.execPath, ['--import', 'tsx', cli, 'study', 'analyze', '--imrmc', file, '--out', dir], { encoding: 'utf8' });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /broken\.imrmc line 2: truth must be 0 or 1/);
});
