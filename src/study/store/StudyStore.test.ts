import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthStore } from '../../auth/index.js';
import { backends, useTestDatabases } from '../../auth/testing/testDatabases.js';
import type { ModelOutput } from '../domain/types.js';
import { testClock } from '../testing/studyFixture.js';
import { StudyStore, type NewStudyCase } from './StudyStore.js';

const databases = useTestDatabases();

const syntheticCases: NewStudyCase[] = [1, 2, 3].map((i) => ({
  key: `case-${i}.png`, imagePath: `/nonexistent/case-${i}.png`, width: 200, height: 100, truth: (i % 2) as 0 | 1,
  referenceBoxes: i % 2 ? [{ x: 10, y: 10, width: 20, height: 20 }] : [], fields: { image_id: i, displaced: i === 1 ? 1 : 0 },
}));

for (const backend of backends) {
  test(`${backend}: the store's rules hold on this backend: one read per reader, session and case, even when submitted concurrently; changes and audit entries commit together`, { skip: databases.skip(backend) }, async () => {
    const clock = testClock();
    const db = await databases.open(backend);
    const auth = new AuthStore(db, { scrypt: { N: 1024, r: 8, p: 1 }, now: () => clock.now });
    const studies = new StudyStore(db, { now: () => clock.now });
    const admin = await auth.createUser({ username: 'admin', password: 'admin-password', role: 'admin' });
    const reader = await auth.createUser({ username: 'reader', password: 'reader-password', role: 'reader' });
    const study = await studies.createStudy({ name: 'store', source: { annotations: 'a.json', images: 'img' }, cases: syntheticCases, seed: 'seed', washoutDays: 0.5 }, admin.id);
    await assert.rejects(studies.createStudy({ name: 'store', source: { annotations: 'a.json', images: 'img' }, cases: syntheticCases }, admin.id), /already exists/);
    const cases = await studies.cases(study.id);
    assert.deepEqual(cases.map((c) => c.fields), syntheticCases.map((c) => c.fields));
    const outputs = new Map<number, ModelOutput>(cases.map((c) => [c.id, { score: 0.25, boxes: [{ x: 1.5, y: 2.25, width: 30, height: 40, score: 0.25, operatingPoint: 'high-sensitivity' }] }] as [number, ModelOutput]));
    await studies.setModelOutputs(study.id, { name: 'm', version: '1', thresholds: { highSensitivity: 0.2, highSpecificity: 0.6 } }, outputs, admin.id);
    await studies.addReader(study.id, reader.id, admin.id);
    await studies.addReader(study.id, reader.id, admin.id); // again: no second row, no second audit entry
    assert.deepEqual(await studies.readerIds(study.id), [reader.id]);
    await studies.start(study.id, admin.id);
    // Two tabs open the session at once: one session, one order.
    const [s1, s1again] = await Promise.all([studies.startSession(study.id, reader.id, 1), studies.startSession(study.id, reader.id, 1)]);
    assert.deepEqual(s1.caseOrder, s1again.caseOrder);
    assert.equal(s1.seed, (await studies.getSession(study.id, reader.id, 1))?.seed, 'the 32-bit seed round-trips');

    const first = s1.caseOrder[0] as number;
    await studies.reportTime(study.id, reader.id, 1, first, 0);
    clock.now = new Date(clock.now.getTime() + 1500);
    assert.equal((await studies.reportTime(study.id, reader.id, 1, first, 1234.5)).accumulatedMs, 1234.5, 'fractional milliseconds survive (not a 4-byte REAL)');
    // The same read submitted twice at once (a double click): exactly one is stored.
    const submission = { boxes: [{ x: 10, y: 10, width: 20, height: 20 }], confidence: 62.5, noFracture: false, unreportedMs: 0 };
    const results = await Promise.allSettled([studies.submitRead(study.id, reader.id, 1, first, submission), studies.submitRead(study.id, reader.id, 1, first, submission)]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.equal((refused.reason as { httpStatus?: number }).httpStatus, 409);
    const reads = await studies.reads(study.id);
    assert.equal(reads.length, 1);
    assert.equal(reads[0]?.confidence, 62.5);
    assert.equal(reads[0]?.readingMs, 1235);
    const audit = (await studies.auditLog(study.id)).map((e) => e.action);
    assert.equal(audit.filter((a) => a === 'read.submit').length, 1, 'the refused submission left no audit entry');
    assert.equal(audit.filter((a) => a === 'reader.add').length, 1);
    // A wrong case is refused before anything is written.
    await assert.rejects(studies.submitRead(study.id, reader.id, 1, s1.caseOrder[2] as number, submission), /not your current case/);
    assert.equal((await studies.reads(study.id)).length, 1);

    for (const caseId of s1.caseOrder.slice(1)) await studies.submitRead(study.id, reader.id, 1, caseId, { boxes: [], confidence: null, noFracture: true, unreportedMs: 0 });
    assert.ok((await studies.getSession(study.id, reader.id, 1))?.completedAt, 'the last read completes the session');
    assert.match((await studies.availability(study.id, reader.id, 2)).reason ?? '', /washout/);
    await studies.overrideWashout(study.id, reader.id, 'first reason', admin.id);
    await studies.overrideWashout(study.id, reader.id, 'second reason', admin.id); // replaces the first
    assert.equal((await studies.overrideOf(study.id, reader.id))?.reason, 'second reason');
    assert.equal((await studies.availability(study.id, reader.id, 2)).overridden, true);
    await studies.saveConsensus(study.id, first, [{ x: 1, y: 1, width: 5, height: 5 }], admin.id);
    await studies.saveConsensus(study.id, first, [], admin.id); // an admin changes the decision
    assert.deepEqual((await studies.consensusDecisions(study.id)).get(first)?.boxes, []);
    assert.deepEqual((await studies.getCase(study.id, first)).model, outputs.get(first));
    assert.equal((await studies.findStudy('store')).id, study.id);
    assert.equal((await studies.findStudy(String(study.id))).name, 'store');
  });
}
