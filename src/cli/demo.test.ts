import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from './packageVersion.js';

const root = repositoryRoot();

test('drfds demo runs on the bundled samples, writes overlays, SR/GSPS for the DICOM and an HTML page, and warns of an untrained model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-demo-'));
  try {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src', 'detector', 'testing', 'runCli.ts'), 'demo', '--model', join(root, 'fixtures', 'models', 'tiny-random'), '--out', dir], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), `DR-FDS demo written to ${join(dir, 'index.html')}`);
    assert.match(run.stderr, /UNTRAINED placeholder/);
    const files = readdirSync(dir);
    for (const name of ['RG2_JPLY', 'IMG0002180', 'IMG0002337', 'IMG0002544', 'IMG0003341']) {
      assert.ok(files.includes(`${name}.overlay.png`), name);
      assert.ok(files.includes(`${name}.json`), name);
    }
    assert.ok(files.includes('RG2_JPLY.sr.dcm') && files.includes('RG2_JPLY.gsps.dcm'));
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    assert.equal((html.match(/<img /g) ?? []).length, 5);
    assert.match(html, /UNTRAINED placeholder/);
    assert.match(html, /doi:10\.1038\/s41597-023-02432-4/);
    assert.match(html, /reference box/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
