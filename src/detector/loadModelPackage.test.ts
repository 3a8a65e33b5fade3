import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from '../cli/packageVersion.js';
import { isDrfdsError } from '../errors/DrfdsError.js';
import { loadModelPackage } from './loadModelPackage.js';

const fixture = join(repositoryRoot(), 'fixtures', 'models', 'tiny-random');

function copyFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-pkg-'));
  cpSync(fixture, dir, { recursive: true });
  return dir;
}

const withCode = (code: string, fragment: string) => (error: unknown): boolean => {
  assert.ok(isDrfdsError(error), String(error));
  assert.equal(error.code, code);
  assert.ok(error.message.includes(fragment), error.message);
  return true;
};

test('loadModelPackage reads the tiny fixture and reports the sha256 that coreutils sha256sum computes', async () => {
  const pkg = await loadModelPackage(fixture);
  const expected = execFileSync('sha256sum', [join(fixture, 'model.onnx')], { encoding: 'utf8' }).split(' ')[0];
  assert.equal(pkg.onnxSha256, expected);
  assert.equal(pkg.manifest.format, 'drfds-model/1');
  assert.equal(pkg.manifest.training.trained, false);
});

test('a package whose model.onnx has one byte changed is refused as tampered', async () => {
  const dir = copyFixture();
  try {
    const path = join(dir, 'model.onnx');
    const bytes = readFileSync(path);
    const middle = bytes.length >> 1;
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(path, bytes);
    await assert.rejects(loadModelPackage(dir), withCode('model/tampered', 'sha256 of model.onnx does not match'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a truncated or missing model file is refused, as is a manifest with a bad field', async () => {
  const dir = copyFixture();
  try {
    const path = join(dir, 'model.onnx');
    writeFileSync(path, readFileSync(path).subarray(0, 1000));
    await assert.rejects(loadModelPackage(dir), withCode('model/tampered', 'has 1000 bytes'));
    unlinkSync(path);
    await assert.rejects(loadModelPackage(dir), withCode('model/tampered', 'missing'));
    const manifest = JSON.parse(readFileSync(join(fixture, 'model.json'), 'utf8'));
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...manifest, operatingPoints: { threshold: 0.4, highSensitivity: 0.7, highSpecificity: 0.6 } }));
    await assert.rejects(loadModelPackage(dir), withCode('model/invalid-manifest', 'highSensitivity above highSpecificity'));
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...manifest, files: { ...manifest.files, '../weights.bin': manifest.files['model.onnx'] } }));
    await assert.rejects(loadModelPackage(dir), withCode('model/invalid-manifest', 'outside the package'));
    writeFileSync(join(dir, 'model.json'), '{ not json');
    await assert.rejects(loadModelPackage(dir), withCode('model/invalid-manifest', 'not valid JSON'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a folder without model.json is a missing model, with advice', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-empty-'));
  try {
    await assert.rejects(loadModelPackage(dir), withCode('model/missing', '--model'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
