import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../cli/main.js';
import type { Read, StudyBox } from '../domain/types.js';
import { loadStudyCases } from '../setup/loadStudyCases.js';
import { modelOutputsFromPredictions } from '../setup/modelOutputs.js';
import { client, fracatlas, studyService } from '../testing/studyFixture.js';
import { caseAgreement } from './consensus.js';

const read = (boxes: StudyBox[], noFracture = false): Read => ({ id: 0, studyId: 1, caseId: 1, userId: 1, session: 1, boxes, confidence: noFracture ? 0 : 80, noFracture, readingMs: 1, firstShownAt: '', submittedAt: '', acceptedModelBoxes: [] });

test('agreement: all "no fracture"; same boxes at IoU ≥ 0.5 (mean box); anything else is disputed', () => {
  assert.deepEqual(caseAgreement([read([], true), read([], true)]), { status: 'agreed', boxes: [] });
  assert.equal(caseAgreement([read([], true)]).status, 'unread');
  const a = { x: 100, y: 100, width: 40, height: 40 };
  const b = { x: 104, y: 102, width: 40, height: 44 }; // IoU with a = 1368/1992 ≈ 0.69
  const far = { x: 300, y: 300, width: 40, height: 40 };
  assert.deepEqual(caseAgreement([read([a, far]), read([far, b])]), { status: 'agreed', boxes: [{ x: 102, y: 101, width: 40, height: 42 }, far] });
  assert.equal(caseAgreement([read([a]), read([], true)]).status, 'disputed');
  assert.equal(caseAgreement([read([a]), read([far])]).status, 'disputed');
  assert.equal(caseAgreement([read([a]), read([a, far])]).status, 'disputed');
  const c = { x: 118, y: 118, width: 40, height: 40 }; // IoU with a = 484/2716 < 0.5
  assert.equal(caseAgreement([read([a]), read([c])]).status, 'disputed');
});

test('consensus view: two readers annotate, agreed cases are automatic, the admin decides the rest, COCO export round-trips', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-consensus-'));
  try {
    const dbPath = join(dir, 'drfds.sqlite');
    const service = await studyService({ dbPath });
    const { studies, users } = service;
    const cases = loadStudyCases(fracatlas.annotations, fracatlas.images, { selection: { where: { hip: 1 }, maxPositive: 2, maxNegative: 1 }, subgroupFields: ['hardware'] });
    const study = await studies.createStudy({ name: 'reference', source: fracatlas, subgroupFields: ['hardware'], cases }, users.admin.id);
    const stored = await studies.cases(study.id);
    await studies.setModelOutputs(study.id, { name: 'none', version: '0', thresholds: { highSensitivity: 0.3, highSpecificity: 0.6 } }, modelOutputsFromPredictions([], stored, { highSensitivity: 0.3, highSpecificity: 0.6 }), users.admin.id);
    await studies.addReader(study.id, users.alice.id, users.admin.id);
    await studies.addReader(study.id, users.bob.id, users.admin.id);
    await studies.start(study.id, users.admin.id);
    const [p1, p2, n1] = [...stored.filter((c) => c.truth === 1), ...stored.filter((c) => c.truth === 0)];
    assert.ok(p1 && p2 && n1);
    const ref = p1.referenceBoxes[0] as StudyBox;
    const shifted = { ...ref, x: ref.x + 2 };
    // p1: both box the fracture (agreed); p2: Alice boxes, Bob says no fracture (disputed); n1: both "no fracture".
    const plan = new Map<number, Record<'alice' | 'bob', StudyBox[] | null>>([[p1.id, { alice: [ref], bob: [shifted] }], [p2.id, { alice: [p2.referenceBoxes[0] as StudyBox], bob: null }], [n1.id, { alice: null, bob: null }]]);
    for (const name of ['alice', 'bob'] as const) {
      const session = await studies.startSession(study.id, users[name].id, 1);
      for (const caseId of session.caseOrder) {
        const boxes = plan.get(caseId)?.[name] ?? null;
        await studies.submitRead(study.id, users[name].id, 1, caseId, { boxes: boxes ?? [], confidence: boxes ? 90 : null, noFracture: boxes === null, unreportedMs: 0 });
      }
    }
    const admin = client(service.app);
    await admin.login('admin', 'admin-password');
    const alice = client(service.app);
    await alice.login('alice', 'alice-password');
    assert.equal((await alice.get(`/api/admin/studies/${study.id}/consensus`)).status, 403);
    const overview = await admin.get(`/api/admin/studies/${study.id}/consensus`);
    const status = (id: number) => (overview.json.cases as Array<{ caseId: number; agreement: { status: string } }>).find((c) => c.caseId === id)?.agreement.status;
    assert.deepEqual([status(p1.id), status(p2.id), status(n1.id)], ['agreed', 'disputed', 'agreed']);
    const early = await admin.get(`/api/admin/studies/${study.id}/consensus/coco`);
    assert.equal(early.status, 409);
    assert.match(early.json.error.message, new RegExp(p2.key));
    assert.equal((await admin.post(`/api/admin/studies/${study.id}/consensus/${p2.id}`, { boxes: [{ x: -5, y: 0, width: 10, height: 10 }] })).status, 400);
    const decided = p2.referenceBoxes[0] as StudyBox;
    assert.equal((await admin.post(`/api/admin/studies/${study.id}/consensus/${p2.id}`, { boxes: [decided] })).status, 200);
    assert.ok((await studies.auditLog(study.id)).some((e) => e.action === 'consensus.decide'));
    const pixels = await admin.raw(`/api/admin/studies/${study.id}/cases/${p2.id}/pixels`);
    assert.equal(pixels.status, 200);

    // Export through the CLI and read it back as a data set.
    await service.db.close();
    const out = join(dir, 'consensus.coco.json');
    assert.equal(await main(['study', 'consensus', 'reference', '--db', dbPath, '--coco', out]), 0);
    const coco = JSON.parse(readFileSync(out, 'utf8')) as { images: Array<{ file_name: string; hardware: number }>; annotations: Array<{ bbox: number[] }> };
    assert.equal(coco.images.length, 3);
    assert.equal(coco.annotations.length, 2);
    assert.deepEqual(coco.annotations.map((a) => a.bbox).sort((x, y) => (x[0] as number) - (y[0] as number)), [[ref.x + 1, ref.y, ref.width, ref.height], [decided.x, decided.y, decided.width, decided.height]].sort((x, y) => (x[0] as number) - (y[0] as number)));
    const annotationsPath = join(dir, 'annotations.json');
    writeFileSync(annotationsPath, readFileSync(out));
    const again = loadStudyCases(annotationsPath, fracatlas.images, { subgroupFields: ['hardware'] });
    assert.deepEqual(again.map((c) => [c.key, c.truth]).sort(), [[p1.key, 1], [p2.key, 1], [n1.key, 0]].sort());
    assert.deepEqual(again.map((c) => c.fields.hardware).sort(), [p1, p2, n1].map((c) => c.fields.hardware).sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
