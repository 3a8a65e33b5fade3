import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuthStore } from '../../auth/index.js';
import { repositoryRoot } from '../../cli/packageVersion.js';
import { SqliteDeliveryQueue } from '../../queue/DeliveryQueue.js';
import { SqliteJobQueue } from '../../queue/JobQueue.js';
import { openSqlite } from '../../storage/sqlite.js';
import { SqliteAuditLog } from '../AuditLog.js';
import { Intake } from '../intake/Intake.js';
import { memoryLogger } from '../logger.js';
import { sharedDir, tempDataDir } from '../testing/testService.js';
import { SqliteTokenStore } from '../tokens.js';
import { createApp } from './createApp.js';

const shared = sharedDir();
const hip = (name: string): Buffer => readFileSync(join(shared, 'dicom', 'hip', name));
const fracatlas = (name: string): Buffer => readFileSync(join(shared, 'data', 'fracatlas', 'images', name));

async function setup(maxUploadBytes = 20 * 1024 * 1024) {
  const data = tempDataDir('drfds-app-');
  const db = openSqlite(join(data.dir, 'drfds.sqlite'));
  const queue = new SqliteJobQueue(db);
  const deliveries = new SqliteDeliveryQueue(db);
  const tokens = new SqliteTokenStore(db);
  const audit = new SqliteAuditLog(db);
  const auth = new AuthStore(db, { scrypt: { N: 1024, r: 8, p: 1 } });
  const logger = memoryLogger();
  const events = new EventEmitter();
  const intake = new Intake({ dataDir: data.dir, queue, maxBytes: maxUploadBytes, logger, onAccepted: (job) => events.emit('change', { type: 'job', id: job.id, status: job.status }) });
  const app = createApp({
    queue, deliveries, intake, tokens, audit, auth, events, logger, dataDir: data.dir, maxUploadBytes, secureCookies: false,
    webDir: join(repositoryRoot(), 'web', 'worklist'),
    runtime: () => ({ startedAt: Date.now(), workerId: 'test', workers: 0, busyWorkers: 0, model: undefined, dicom: undefined }),
  });
  const token = await tokens.create('tests');
  const bearer = { authorization: `Bearer ${token}` };
  after(() => {
    db.close();
    data.remove();
  });
  return { app, queue, deliveries, tokens, audit, auth, logger, token, bearer, dataDir: data.dir };
}

test('without a token, or with a revoked one, the API answers 401 with a reason', async () => {
  const s = await setup();
  const anonymous = await s.app.request('/api/v1/worklist');
  assert.equal(anonymous.status, 401);
  assert.match(((await anonymous.json()) as { error: { message: string } }).error.message, /drfds token create/);
  assert.equal((await s.app.request('/api/v1/worklist', { headers: s.bearer })).status, 200);
  await s.tokens.revoke('tests');
  assert.equal((await s.app.request('/api/v1/worklist', { headers: s.bearer })).status, 401);
  assert.equal((await s.app.request('/healthz')).status, 200, 'the health check needs no token');
});

test('POST /api/v1/images stores the image durably and queues it before answering 202', async () => {
  const s = await setup();
  const bytes = fracatlas('IMG0000020.jpg');
  const response = await s.app.request('/api/v1/images', { method: 'POST', headers: { ...s.bearer, 'content-type': 'image/jpeg' }, body: bytes });
  assert.equal(response.status, 202);
  const { id, status } = (await response.json()) as { id: string; status: string };
  assert.equal(status, 'queued');
  assert.equal(response.headers.get('location'), `/api/v1/images/${id}`);
  const job = await s.queue.get(id);
  assert.equal(job?.status, 'queued');
  assert.equal(job?.sourceFormat, 'jpeg');
  assert.deepEqual(readFileSync(join(s.dataDir, job!.imagePath)), bytes);
  const view = (await (await s.app.request(`/api/v1/images/${id}`, { headers: s.bearer })).json()) as Record<string, unknown>;
  assert.equal(view.status, 'queued');
  assert.equal(view.result, undefined);
  const again = (await (await s.app.request('/api/v1/images', { method: 'POST', headers: { ...s.bearer, 'content-type': 'image/jpeg' }, body: bytes })).json()) as { id: string; duplicate: boolean };
  assert.deepEqual(again, { id, status: 'queued', duplicate: true });
  // After a failure, the same bytes get a fresh job (the sender retries).
  await s.queue.claim('w');
  await s.queue.fail(id, 'w', { code: 'processing/error', message: 'test' });
  const retry = (await (await s.app.request('/api/v1/images', { method: 'POST', headers: { ...s.bearer, 'content-type': 'image/jpeg' }, body: bytes })).json()) as { id: string; duplicate: boolean };
  assert.notEqual(retry.id, id);
  assert.equal(retry.duplicate, false);
  const third = (await (await s.app.request('/api/v1/images', { method: 'POST', headers: { ...s.bearer, 'content-type': 'image/jpeg' }, body: bytes })).json()) as { id: string; duplicate: boolean };
  assert.deepEqual([third.id, third.duplicate], [retry.id, true]);
});

test('multipart/form-data uploads and DICOM bodies are accepted; the DICOM keeps its SOP Instance UID', async () => {
  const s = await setup();
  const form = new FormData();
  form.append('file', new Blob([fracatlas('IMG0000021.jpg')], { type: 'image/jpeg' }), 'x.jpg');
  const multipart = await s.app.request('/api/v1/images', { method: 'POST', headers: s.bearer, body: form });
  assert.equal(multipart.status, 202);
  const dicom = await s.app.request('/api/v1/images', { method: 'POST', headers: { ...s.bearer, 'content-type': 'application/dicom' }, body: hip('RG2_JPLY.dcm') });
  assert.equal(dicom.status, 202);
  const { id } = (await dicom.json()) as { id: string };
  const dump = readFileSync(join(s.dataDir, (await s.queue.get(id))!.imagePath));
  assert.equal(dump.length, hip('RG2_JPLY.dcm').length);
  assert.match((await s.queue.get(id))!.sopInstanceUid ?? '', /^[0-9.]+$/);
});

test('bad inputs get a 4xx with a reason and nothing is queued', async () => {
  const s = await setup(4 * 1024 * 1024);
  const post = (body: Uint8Array | string, type: string) => s.app.request('/api/v1/images', { method: 'POST', headers: { ...s.bearer, 'content-type': type }, body });
  const cases: Array<[string, Response | Promise<Response>, number, RegExp]> = [
    ['random bytes', post(new Uint8Array(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)), 'application/octet-stream'), 415, /neither DICOM, JPEG nor PNG/],
    ['wrong content type', post('{"not": "an image"}', 'application/json'), 415, /content type application\/json is not accepted/],
    ['declared PNG, is JPEG', post(fracatlas('IMG0000020.jpg'), 'image/png'), 415, /declared as image\/png but the bytes are JPEG/],
    ['empty body', post(new Uint8Array(0), 'application/dicom'), 400, /empty/],
    ['CT (not a radiograph)', post(readFileSync(join(shared, 'dicom', 'other', 'CT_small.dcm')), 'application/dicom'), 422, /Modality CT/],
    ['ultrasound, 2 frames', post(readFileSync(join(shared, 'dicom', 'other', 'OBXXXX1A_2frame.dcm')), 'application/dicom'), 422, /multi-frame/],
    ['truncated', post(readFileSync(join(shared, 'dicom', 'bad', 'RG2_truncated.dcm')), 'application/dicom'), 422, /truncated/],
    ['bad sequence', post(readFileSync(join(shared, 'dicom', 'bad', 'bad_sequence.dcm')), 'application/dicom'), 422, /not a single-frame grayscale radiograph/],
    ['too short J2K (MR)', post(readFileSync(join(shared, 'dicom', 'bad', 'emri_small_jpeg_2k_lossless_too_short.dcm')), 'application/dicom'), 422, /Modality MR/],
    ['oversize', post(hip('RG2_ExplLE.dcm'), 'application/dicom'), 413, /exceeds the limit of 4194304 bytes/],
    ['no content type', s.app.request('/api/v1/images', { method: 'POST', headers: s.bearer, body: new Uint8Array([1, 2, 3]) }), 415, /Content-Type/],
  ];
  for (const [name, pending, status, reason] of cases) {
    const response = await pending;
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(response.status, status, `${name}: ${JSON.stringify(body)}`);
    assert.match(body.error.message, reason, name);
  }
  assert.equal((await s.queue.stats()).queued, 0);
  // The service keeps serving after all of these.
  assert.equal((await post(fracatlas('IMG0000022.jpg'), 'image/jpeg')).status, 202);
});

test('STOW-RS stores each instance and reports failures per instance (PS3.18 10.5.3)', async () => {
  const s = await setup();
  const boundary = 'XboundaryX';
  const part = (bytes: Uint8Array): Buffer => Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), bytes, Buffer.from('\r\n')]);
  const body = Buffer.concat([part(hip('RG2_JPLY.dcm')), part(readFileSync(join(shared, 'dicom', 'other', 'CT_small.dcm'))), Buffer.from(`--${boundary}--\r\n`)]);
  const response = await s.app.request('/dicomweb/studies', {
    method: 'POST', headers: { ...s.bearer, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` }, body,
  });
  assert.equal(response.status, 202, 'some stored, some failed');
  assert.equal(response.headers.get('content-type'), 'application/dicom+json');
  const json = (await response.json()) as Record<string, { Value: Array<Record<string, { Value: unknown[] }>> }>;
  const stored = json['00081199']!.Value;
  assert.equal(stored.length, 1);
  assert.equal(stored[0]!['00081150']!.Value[0], '1.2.840.10008.5.1.4.1.1.1');
  assert.equal(json['00081198']!.Value.length, 1);
  assert.match(response.headers.get('warning') ?? '', /part 2: .*Modality CT/);
  assert.equal((await s.queue.stats()).queued, 1);
  const wrongType = await s.app.request('/dicomweb/studies', { method: 'POST', headers: { ...s.bearer, 'content-type': 'application/dicom' }, body: hip('RG2_JPLY.dcm') });
  assert.equal(wrongType.status, 415);
  const allBad = await s.app.request('/dicomweb/studies', {
    method: 'POST', headers: { ...s.bearer, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` },
    body: Buffer.concat([part(new Uint8Array(300)), Buffer.from(`--${boundary}--\r\n`)]),
  });
  assert.equal(allBad.status, 409);
});

test('the worklist orders by arrival or probability, results are audited, status counts the queue', async () => {
  const s = await setup();
  const ids: string[] = [];
  for (const name of ['IMG0000020.jpg', 'IMG0000021.jpg', 'IMG0000022.jpg']) {
    const r = await s.app.request('/api/v1/images', { method: 'POST', headers: { ...s.bearer, 'content-type': 'image/jpeg' }, body: fracatlas(name) });
    ids.push(((await r.json()) as { id: string }).id);
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
  const probabilities = [0.7, 0.1, 0.45];
  for (const [i, p] of probabilities.entries()) {
    const job = await s.queue.claim('w');
    assert.equal(job?.id, ids[i]);
    await s.queue.complete(job!.id, 'w', { resultJson: JSON.stringify({ probability: p, findings: [] }), probability: p, decision: p >= 0.6 ? 'fracture' : p >= 0.3 ? 'doubt' : 'no fracture', deliveries: [] });
  }
  const newest = (await (await s.app.request('/api/v1/worklist', { headers: s.bearer })).json()) as { entries: Array<{ id: string; decision: string }> };
  assert.deepEqual(newest.entries.map((e) => e.id), [...ids].reverse());
  const byProbability = (await (await s.app.request('/api/v1/worklist?order=probability', { headers: s.bearer })).json()) as { entries: Array<{ id: string; decision: string }> };
  assert.deepEqual(byProbability.entries.map((e) => e.id), [ids[0], ids[2], ids[1]]);
  assert.deepEqual(byProbability.entries.map((e) => e.decision), ['fracture', 'doubt', 'no fracture']);
  assert.equal((await s.app.request('/api/v1/worklist?order=alphabetical', { headers: s.bearer })).status, 400);

  const view = (await (await s.app.request(`/api/v1/images/${ids[0]}`, { headers: s.bearer })).json()) as { status: string; result: { probability: number } };
  assert.equal(view.status, 'done');
  assert.equal(view.result.probability, 0.7);
  const audit = await s.audit.forJob(ids[0]!);
  assert.deepEqual(audit.map((a) => [a.actor, a.action]), [['token:tests', 'view-result']]);
  assert.equal((await s.app.request('/api/v1/images/nope', { headers: s.bearer })).status, 404);

  const status = (await (await s.app.request('/api/v1/status', { headers: s.bearer })).json()) as { queue: { done: number; queued: number; ratePerMinute: number } };
  assert.equal(status.queue.done, 3);
  assert.equal(status.queue.queued, 0);
  assert.ok(status.queue.ratePerMinute > 0);
});

test('web users log in with the reader-study accounts (src/auth) and are audited by name', async () => {
  const s = await setup();
  await s.auth.createUser({ username: 'dr.lee', password: 'correct horse battery', role: 'reader' });
  const login = await s.app.request('/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'dr.lee', password: 'correct horse battery' }) });
  assert.equal(login.status, 200);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  assert.match(cookie, /^drfds_session=/);
  const me = (await (await s.app.request('/api/v1/me', { headers: { cookie } })).json()) as { actor: { kind: string; name: string } };
  assert.deepEqual(me.actor, { kind: 'user', name: 'dr.lee' });
  const upload = await s.app.request('/api/v1/images', { method: 'POST', headers: { ...s.bearer, 'content-type': 'image/jpeg' }, body: fracatlas('IMG0000020.jpg') });
  const { id } = (await upload.json()) as { id: string };
  const job = (await s.queue.claim('w'))!;
  await s.queue.complete(job.id, 'w', { resultJson: '{"findings":[]}', probability: 0.2, decision: 'no fracture', deliveries: [] });
  assert.equal((await s.app.request(`/api/v1/images/${id}`, { headers: { cookie } })).status, 200);
  assert.deepEqual((await s.audit.forJob(id)).map((a) => a.actor), ['user:dr.lee']);
  assert.equal((await s.app.request(`/api/v1/audit?job=${id}`, { headers: { cookie } })).status, 403, 'a reader may not read the audit log');
  const audit = (await (await s.app.request(`/api/v1/audit?job=${id}`, { headers: s.bearer })).json()) as { entries: Array<{ actor: string; action: string }> };
  assert.deepEqual(audit.entries.map((e) => `${e.actor} ${e.action}`), ['user:dr.lee view-result']);
  const wrong = await s.app.request('/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'dr.lee', password: 'wrong password!' }) });
  assert.equal(wrong.status, 401);
  // The API-token login of the web form sets an HttpOnly cookie.
  const tokenLogin = await s.app.request('/api/v1/token-session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: s.token }) });
  assert.match(tokenLogin.headers.get('set-cookie') ?? '', /drfds_api_token=.*HttpOnly; SameSite=Strict/);
});

test('the worklist web app is served with a strict content security policy; paths cannot escape its folder', async () => {
  const s = await setup();
  const page = await s.app.request('/worklist/');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  assert.equal((await s.app.request('/worklist/..%2F..%2Fpackage.json')).status, 404);
  assert.ok(existsSync(join(repositoryRoot(), 'web', 'worklist', 'worklist.js')));
});

test('logs carry no patient identifiers', async () => {
  const s = await setup();
  await s.app.request('/api/v1/images', { method: 'POST', headers: { ...s.bearer, 'content-type': 'application/dicom' }, body: hip('RG2_JPLY.dcm') });
  await s.app.request('/api/v1/images', { method: 'POST', headers: { ...s.bearer, 'content-type': 'application/dicom' }, body: readFileSync(join(shared, 'dicom', 'other', 'CT_small.dcm')) });
  const log = s.logger.lines.join('\n');
  assert.match(log, /intake.accepted/);
  for (const identifier of ['CompressedSamples', '10RG2']) assert.ok(!log.includes(identifier), `log mentions ${identifier}`);
});

test('docs/api/openapi.yaml documents every API route the app serves (and nothing it does not)', async () => {
  const s = await setup();
  const yaml = readFileSync(join(repositoryRoot(), 'docs', 'api', 'openapi.yaml'), 'utf8');
  const documented = new Set([...yaml.matchAll(/^ {2}(\/[^:\s]+):$/gm)].map((m) => m[1]!));
  const served = new Set(
    s.app.routes
      .map((r) => r.path.replace(/:([A-Za-z]+)/g, '{$1}'))
      .filter((p) => /^\/(api\/v1|dicomweb|healthz)/.test(p) && !p.includes('*')),
  );
  assert.ok(served.size >= 13, `found only ${served.size} routes`);
  assert.deepEqual([...served].filter((p) => !documented.has(p)), [], 'served but not documented');
  assert.deepEqual([...documented].filter((p) => !served.has(p)), [], 'documented but not served');
});
