import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repositoryRoot } from '../../cli/packageVersion.js';
import { readRadiographFile } from '../../dicom/readRadiograph.js';
import { client, studyService } from '../testing/studyFixture.js';

const hipDir = join(repositoryRoot(), '..', 'shared', 'dicom', 'hip');

test('a DICOM case reaches the viewer at full bit depth with the file\'s window; the detector sees the pipeline\'s 8-bit image', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-dicom-study-'));
  try {
    const annotations = join(dir, 'coco.json');
    writeFileSync(annotations, JSON.stringify({
      categories: [{ id: 1, name: 'fracture' }],
      images: [{ id: 1, file_name: 'RG2_ExplLE.dcm', width: 1760, height: 2140 }],
      annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [700, 900, 120, 90] }],
    }));
    const service = await studyService({ dataRoots: [dir, hipDir] });
    const admin = client(service.app);
    await admin.login('admin', 'admin-password');
    const created = await admin.post('/api/admin/studies', { name: 'dicom', annotations, images: hipDir });
    assert.equal(created.status, 201, created.text);
    const studyId = created.json.study.id as number;
    const model = await admin.post(`/api/admin/studies/${studyId}/model`, {});
    assert.equal(model.status, 200, model.text);
    await admin.post(`/api/admin/studies/${studyId}/readers`, { username: 'alice' });
    await admin.post(`/api/admin/studies/${studyId}/start`);
    const alice = client(service.app);
    await alice.login('alice', 'alice-password');
    await alice.post(`/api/studies/${studyId}/sessions/1/open`);
    const current = await alice.get(`/api/studies/${studyId}/sessions/1/current`);
    const response = await alice.raw(`/api/studies/${studyId}/sessions/1/cases/${current.json.case.id}/pixels`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-bits-stored'), '10', 'CR hip, 16/10 bits');
    assert.equal(response.headers.get('x-invert'), '0');
    const values = new Uint16Array(await response.arrayBuffer());
    assert.equal(values.length, 1760 * 2140);
    const center = Number(response.headers.get('x-window-center'));
    const width = Number(response.headers.get('x-window-width'));
    assert.equal(width, 1024, 'WW 1024 of the file (identity rescale)');
    // Oracle: the DICOM layer's 8-bit rendering (checked against DCMTK in src/dicom). The file's window applied to
    // our full-depth values must give the same gray level wherever that rendering is not clipped.
    const display = (await readRadiographFile(join(hipDir, 'RG2_ExplLE.dcm'))).display.data;
    let compared = 0;
    for (let i = 0; i < values.length; i += 997) {
      const expected = display[i] as number;
      if (expected === 0 || expected === 255) continue;
      // PS3.3 C.11.2.1.2.1 LINEAR: ((x − (c − 0.5)) / (w − 1) + 0.5) · 255.
      const ours = (((values[i] as number) - (center - 0.5)) / (width - 1) + 0.5) * 255;
      assert.ok(Math.abs(ours - expected) <= 1, `pixel ${i}: ${ours.toFixed(2)} vs ${expected}`);
      compared += 1;
    }
    assert.ok(compared > 1000, `compared ${compared} pixels`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
