import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuthStore } from '../../auth/index.js';
import { backends, reopen, useTestDatabases } from '../../auth/testing/testDatabases.js';
import { StudyStore } from '../store/StudyStore.js';
import { createStudyApp } from './createStudyApp.js';
import { client, fracatlas, smallSelection, studyService, testClock } from '../testing/studyFixture.js';

const databases = useTestDatabases();

/** Creates the 6-case study through the admin API with predictions imported (two operating points). */
async function setUpStudy(service: Awaited<ReturnType<typeof studyService>>) {
  const admin = client(service.app);
  await admin.login('admin', 'admin-password');
  const created = await admin.post('/api/admin/studies', { name: 'hip pilot', annotations: fracatlas.annotations, images: fracatlas.images, selection: smallSelection, subgroupFields: ['hardware'], seed: 'fixed-seed' });
  assert.equal(created.status, 201, created.text);
  const studyId = created.json.study.id as number;
  const caseIds = (await service.studies.cases(studyId)).map((c) => c.id);
  // One model box per case, on its first reference box for fracture cases; scores alternate between the points.
  const predictions = (await service.studies.cases(studyId)).map((c, i) => ({ image_id: c.fields.image_id, category_id: 1, bbox: c.referenceBoxes[0] ? [c.referenceBoxes[0].x, c.referenceBoxes[0].y, c.referenceBoxes[0].width, c.referenceBoxes[0].height] : [10, 10, 30, 30], score: i % 2 === 0 ? 0.9 : 0.45 }));
  const model = await admin.post(`/api/admin/studies/${studyId}/model`, { predictions, thresholds: { highSensitivity: 0.3, highSpecificity: 0.6 }, modelName: 'test predictions' });
  assert.equal(model.status, 200, model.text);
  return { admin, studyId, caseIds };
}

for (const backend of backends) {
  test(`${backend}: anonymous requests get 401; readers get 403 on admin routes; data paths outside the data roots are refused`, { skip: databases.skip(backend) }, async () => {
    const service = await studyService({ db: await databases.open(backend) });
    const anonymous = client(service.app);
    for (const path of ['/api/studies', '/api/admin/studies', '/api/studies/1/sessions/1/current', '/api/studies/1/sessions/1/cases/1/pixels', '/api/reads/1', '/api/auth/me']) {
      assert.equal((await anonymous.get(path)).status, 401, path);
    }
    assert.equal((await anonymous.post('/api/studies/1/sessions/1/cases/1/read', { boxes: [], noFracture: true })).status, 401);
    const alice = client(service.app);
    await alice.login('alice', 'alice-password');
    assert.equal((await alice.get('/api/admin/studies')).status, 403);
    assert.equal((await alice.post('/api/admin/studies', { name: 'x', annotations: fracatlas.annotations, images: fracatlas.images })).status, 403);
    assert.equal((await alice.get('/api/no-such-route')).status, 404);
    const page = await alice.raw('/');
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="app.js">/);
    assert.equal((await alice.raw('/app.js')).headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await alice.raw('/..%2Fpackage.json')).status, 404);
    const admin = client(service.app);
    await admin.login('admin', 'admin-password');
    const outside = await admin.post('/api/admin/studies', { name: 'x', annotations: '/etc/passwd', images: '/etc' });
    assert.equal(outside.status, 403);
    assert.match(outside.json.error.message, /outside the data folders/);
  });

  test(`${backend}: set-up rules: start needs model output and readers; the case order is seeded per reader and session and recorded`, { skip: databases.skip(backend) }, async () => {
    const service = await studyService({ db: await databases.open(backend) });
    const admin = client(service.app);
    await admin.login('admin', 'admin-password');
    const created = await admin.post('/api/admin/studies', { name: 'order', annotations: fracatlas.annotations, images: fracatlas.images, selection: smallSelection, seed: 's1' });
    const studyId = created.json.study.id as number;
    assert.deepEqual(created.json.cases, { total: 6, fracture: 3, withModelOutput: 0 });
    assert.equal((await admin.post(`/api/admin/studies/${studyId}/start`)).status, 409);
    // The real detector (tiny untrained test model) over the cases at set-up.
    const ran = await admin.post(`/api/admin/studies/${studyId}/model`, {});
    assert.equal(ran.status, 200, ran.text);
    assert.equal(ran.json.cases.withModelOutput, 6);
    assert.equal(ran.json.study.model.name.length > 0, true);
    const withModel = await service.studies.cases(studyId);
    assert.ok(withModel.every((c) => c.model !== null && c.model.boxes.length <= 10));
    assert.ok(withModel.some((c) => (c.model?.boxes.length ?? 0) > 0), 'the tiny model draws boxes');
    const start = await admin.post(`/api/admin/studies/${studyId}/start`);
    assert.equal(start.status, 409);
    assert.match(start.json.error.message, /no readers/);
    assert.equal((await admin.post(`/api/admin/studies/${studyId}/readers`, { username: 'alice' })).status, 200);
    assert.equal((await admin.post(`/api/admin/studies/${studyId}/readers`, { username: 'bob' })).status, 200);
    assert.equal((await admin.post(`/api/admin/studies/${studyId}/start`)).status, 200);
    const a1 = await service.studies.startSession(studyId, service.users.alice.id, 1);
    const b1 = await service.studies.startSession(studyId, service.users.bob.id, 1);
    assert.deepEqual([...a1.caseOrder].sort(), withModel.map((c) => c.id).sort());
    assert.notDeepEqual(a1.caseOrder, b1.caseOrder, 'different readers get different orders');
    assert.deepEqual((await service.studies.startSession(studyId, service.users.alice.id, 1)).caseOrder, a1.caseOrder, 'reopening keeps the recorded order');
    const audit = (await service.studies.auditLog(studyId)).map((e) => e.action);
    for (const action of ['study.create', 'study.model', 'reader.add', 'study.start', 'session.start']) assert.ok(audit.includes(action), action);
  });

  test(`${backend}: reading: no model output in session 1, own reads only, order and washout enforced, override with reason, durable across restart`, { skip: databases.skip(backend) }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drfds-study-'));
    try {
      const clock = testClock();
      const service = await studyService({ db: await databases.open(backend, join(dir, 'drfds.sqlite')), clock });
      const target = databases.lastTarget();
      const { admin, studyId, caseIds } = await setUpStudy(service);
      await admin.post(`/api/admin/studies/${studyId}/readers`, { username: 'alice' });
      await admin.post(`/api/admin/studies/${studyId}/readers`, { username: 'bob' });
      await admin.post(`/api/admin/studies/${studyId}/start`);
      const alice = client(service.app);
      const bob = client(service.app);
      await alice.login('alice', 'alice-password');
      await bob.login('bob', 'bob-password');

      const second = await alice.post(`/api/studies/${studyId}/sessions/2/open`);
      assert.equal(second.status, 403);
      assert.match(second.json.error.message, /finish the unaided session/);
      assert.equal((await alice.post(`/api/studies/${studyId}/sessions/1/open`)).status, 200);
      assert.equal((await bob.post(`/api/studies/${studyId}/sessions/1/open`)).status, 200);

      const aliceReadIds: number[] = [];
      for (let i = 0; i < caseIds.length; i += 1) {
        const current = await alice.get(`/api/studies/${studyId}/sessions/1/current`);
        assert.equal(current.status, 200);
        // Nothing of the model, the truth or the file name reaches session 1.
        assert.doesNotMatch(current.text, /model|score|truth|reference|IMG0/i);
        const caseId = current.json.case.id as number;
        const pixels = await alice.raw(`/api/studies/${studyId}/sessions/1/cases/${caseId}/pixels`);
        assert.equal(pixels.status, 200);
        const width = Number(pixels.headers.get('x-image-width'));
        const height = Number(pixels.headers.get('x-image-height'));
        assert.equal((await pixels.arrayBuffer()).byteLength, width * height);
        const other = caseIds.find((id) => id !== caseId) as number;
        assert.equal((await alice.raw(`/api/studies/${studyId}/sessions/1/cases/${other}/pixels`)).status, 409, 'only the current case');
        assert.equal((await alice.post(`/api/studies/${studyId}/sessions/1/cases/${caseId}/time`, { visibleMs: 0 })).status, 200);
        clock.now = new Date(clock.now.getTime() + 1000);
        // A report larger than the wall time since the last one is clamped (wall 1 s + 2 s slack).
        const timed = await alice.post(`/api/studies/${studyId}/sessions/1/cases/${caseId}/time`, { visibleMs: 60_000 });
        assert.equal(timed.json.accumulatedMs, 3000);
        clock.now = new Date(clock.now.getTime() + 4000);
        const read = await alice.post(`/api/studies/${studyId}/sessions/1/cases/${caseId}/read`, i % 2 === 0 ? { boxes: [{ x: 10, y: 10, width: 40, height: 40 }], confidence: 70, noFracture: false, unreportedMs: 4000 } : { boxes: [], confidence: null, noFracture: true, unreportedMs: 4000 });
        assert.equal(read.status, 201, read.text);
        assert.equal(read.json.read.readingMs, 7000);
        aliceReadIds.push(read.json.read.id as number);
        // Bob cannot see, nor submit for, Alice's current case unless it is also his current one.
        const bobCurrent = (await bob.get(`/api/studies/${studyId}/sessions/1/current`)).json.case.id as number;
        if (bobCurrent !== caseId) assert.equal((await bob.post(`/api/studies/${studyId}/sessions/1/cases/${caseId}/read`, { boxes: [], noFracture: true })).status, 409);
      }
      assert.equal((await alice.post(`/api/studies/${studyId}/sessions/1/cases/${caseIds[0]}/read`, { boxes: [], noFracture: true })).status, 409, 'a read cannot be changed');
      assert.equal((await alice.get(`/api/reads/${aliceReadIds[0]}`)).status, 200);
      assert.equal((await bob.get(`/api/reads/${aliceReadIds[0]}`)).status, 404, 'Bob cannot read Alice\'s read');
      assert.equal((await bob.get(`/api/studies/${studyId}/my-reads`)).json.reads.length, 0);
      assert.equal((await alice.get(`/api/studies/${studyId}/my-reads`)).json.reads.length, caseIds.length);
      assert.equal((await bob.get(`/api/admin/studies/${studyId}/reads`)).status, 403);
      assert.equal((await bob.get(`/api/admin/studies/${studyId}/report`)).status, 403);
      const report = await admin.get(`/api/admin/studies/${studyId}/report`);
      assert.equal(report.status, 200);
      assert.match(report.text, /Reader study “hip pilot”/);
      assert.equal((await admin.get(`/api/admin/studies/${studyId}/analysis`)).json.all.unaided.reads, caseIds.length);

      const early = await alice.post(`/api/studies/${studyId}/sessions/2/open`);
      assert.equal(early.status, 403);
      assert.match(early.json.error.message, /30-day washout/);
      const noReason = await admin.post(`/api/admin/studies/${studyId}/readers/${service.users.alice.id}/override`, { reason: '' });
      assert.equal(noReason.status, 400);
      assert.equal((await admin.post(`/api/admin/studies/${studyId}/readers/${service.users.alice.id}/override`, { reason: 'reader leaves the hospital next week' })).status, 200);
      const overrideEntry = (await service.studies.auditLog(studyId)).find((e) => e.action === 'session.override-washout');
      assert.deepEqual(overrideEntry?.detail, { userId: service.users.alice.id, reason: 'reader leaves the hospital next week' });
      assert.equal(overrideEntry?.actorUserId, service.users.admin.id);

      // Restart: a new store on the same database (file or server) resumes where Alice was.
      await service.db.close();
      const db2 = reopen(target);
      const restarted = { db: db2, app: createStudyApp({ auth: new AuthStore(db2, { now: () => clock.now }), studies: new StudyStore(db2, { now: () => clock.now }), dataRoots: [] }) };
      const alice2 = client(restarted.app);
      await alice2.login('alice', 'alice-password');
      assert.equal((await alice2.post(`/api/studies/${studyId}/sessions/2/open`)).status, 200);
      const aided = await alice2.get(`/api/studies/${studyId}/sessions/2/current`);
      assert.equal(aided.json.case.modelBoxes.length, 1, 'the aided session shows the model boxes');
      assert.ok(['high-specificity', 'high-sensitivity'].includes(aided.json.case.modelBoxes[0].operatingPoint));
      assert.equal(aided.json.progress.done, 0);
      const bob2 = client(restarted.app);
      await bob2.login('bob', 'bob-password');
      assert.equal((await bob2.get(`/api/studies/${studyId}/sessions/1/current`)).json.progress.done, 0);
      assert.equal((await bob2.post(`/api/studies/${studyId}/sessions/2/open`)).status, 403);
      await restarted.db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
