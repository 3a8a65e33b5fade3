import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from './packageVersion.js';

// The real CLI in a child process (tsx), so exit statuses and stderr lines are what a user sees.
const root = repositoryRoot();
const fixture = join(root, 'fixtures', 'models', 'tiny-random');
const jpeg = join(root, '..', 'shared', 'data', 'fracatlas', 'images', 'IMG0002180.jpg');
const dicom = join(root, '..', 'shared', 'dicom', 'hip', 'RG2_JPLY.dcm');
const ct = join(root, '..', 'shared', 'dicom', 'other');

function drfds(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src', 'detector', 'testing', 'runCli.ts'), ...args], { cwd: root, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

test('drfds detect: JSON array on stdout, an unreadable file gives one stderr line and status 1, the others are still done', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-cli-'));
  try {
    const junk = join(dir, 'notes.png');
    writeFileSync(junk, 'this is not an image');
    const run = drfds(['detect', '--model', fixture, '--threads', '1', jpeg, junk, join(dir, 'missing.dcm')]);
    assert.equal(run.status, 1, run.stderr);
    const results = JSON.parse(run.stdout) as Array<{ file: string; decision: string }>;
    assert.deepEqual(results.map((r) => r.file), [jpeg]);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.filter((l) => l.includes('notes.png')).length, 1);
    assert.equal(lines.filter((l) => l.includes('missing.dcm')).length, 1);
    assert.ok(lines.some((l) => l.includes('UNTRAINED')), 'untrained warning');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('drfds detect --out writes JSON + overlay per image and SR + presentation state for DICOM; a CT is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-cli-'));
  try {
    const ctFile = join(ct, readdirSync(ct).filter((f) => f.endsWith('.dcm')).sort()[0]!);
    const run = drfds(['detect', '--model', fixture, '--out', dir, jpeg, dicom, ctFile]);
    assert.equal(run.status, 1, run.stderr);
    assert.equal(run.stdout, '');
    assert.deepEqual(readdirSync(dir).sort(), ['IMG0002180.json', 'IMG0002180.overlay.png', 'RG2_JPLY.gsps.dcm', 'RG2_JPLY.json', 'RG2_JPLY.overlay.png', 'RG2_JPLY.sr.dcm']);
    assert.equal(run.stderr.split('\n').filter((l) => l.includes(ctFile)).length, 1, run.stderr);
    const result = JSON.parse(readFileSync(join(dir, 'RG2_JPLY.json'), 'utf8')) as { image: { source: string } };
    assert.equal(result.image.source, 'dicom');
    const sr = readFileSync(join(dir, 'RG2_JPLY.sr.dcm'));
    assert.equal(sr.subarray(128, 132).toString('latin1'), 'DICM');
    assert.deepEqual([...readFileSync(join(dir, 'IMG0002180.overlay.png')).subarray(1, 4)], [0x50, 0x4e, 0x47]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('drfds detect refuses a tampered model package with one line and status 2, and a missing one likewise', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-cli-'));
  try {
    cpSync(fixture, dir, { recursive: true });
    const onnx = join(dir, 'model.onnx');
    const bytes = readFileSync(onnx);
    bytes[100] = bytes[100]! ^ 1;
    writeFileSync(onnx, bytes);
    const tampered = drfds(['detect', '--model', dir, jpeg]);
    assert.equal(tampered.status, 2);
    assert.match(tampered.stderr, /sha256 of model\.onnx does not match/);
    assert.equal(tampered.stderr.trim().split('\n').length, 1);
    assert.equal(tampered.stdout, '');
    const missing = drfds(['detect', '--model', join(dir, 'nope'), jpeg]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no model package at .*nope/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('drfds detect --help documents the options and exit statuses', () => {
  const run = drfds(['detect', '--help']);
  assert.equal(run.status, 0);
  for (const text of ['--model', '--out', '--threads', 'Exit status', 'docs/detect-output.md']) assert.ok(run.stdout.includes(text), text);
});
