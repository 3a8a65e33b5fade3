import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sharedDir, startTestService, tempDataDir, tinyModelDir, waitFor } from './testing/testService.js';
import type { DrfdsService } from './DrfdsService.js';

const run = promisify(execFile);
const shared = sharedDir();
const hip = (name: string): string => join(shared, 'dicom', 'hip', name);
const hipFile = hip('RG2_JPLY.dcm');
const jpeg = (name: string): Buffer => readFileSync(join(shared, 'data', 'fracatlas', 'images', name));

let service: DrfdsService;
let token: string;
let base: string;
let lines: string[];
const data = tempDataDir();

before(async () => {
  const started = await startTestService(data.dir, { dicom: { allowedCallingAeTitles: ['STORESCU', 'ORTHANC'] } });
  service = started.service;
  token = started.token;
  base = started.base;
  lines = started.logger.lines;
});

after(async () => {
  await service?.stop();
  data.remove();
});

const auth = (): Record<string, string> => ({ authorization: `Bearer ${token}` });

async function waitDone(id: string): Promise<Record<string, any>> {
  return waitFor(`job ${id} to finish`, async () => {
    const job = (await (await fetch(`${base}/api/v1/images/${id}`, { headers: auth() })).json()) as Record<string, any>;
    return job.status === 'done' || job.status === 'failed' ? job : undefined;
  }, 60_000, 100);
}

test('an HTTP upload is processed by a worker thread: the result has the shape of drfds detect', async () => {
  const response = await fetch(`${base}/api/v1/images`, { method: 'POST', headers: { ...auth(), 'content-type': 'image/jpeg' }, body: jpeg('IMG0000020.jpg') });
  assert.equal(response.status, 202);
  const { id } = (await response.json()) as { id: string };
  const job = await waitDone(id);
  assert.equal(job.status, 'done', JSON.stringify(job));
  const result = job.result;
  assert.equal(result.image.source, 'jpeg');
  assert.equal(result.model.name, 'tiny-random');
  const manifest = JSON.parse(readFileSync(join(tinyModelDir(), 'model.json'), 'utf8')) as { files: Record<string, { sha256: string }> };
  assert.equal(result.model.sha256, manifest.files['model.onnx']!.sha256);
  assert.ok(result.probability >= 0 && result.probability <= 1);
  assert.ok(['fracture', 'doubt', 'no fracture'].includes(result.decision));
  for (const f of result.findings) assert.ok(f.score >= result.thresholds.highSensitivity);
  assert.deepEqual(job.deliveries, [], 'no DICOM objects for a JPEG');
  const preview = await fetch(`${base}/api/v1/images/${id}/preview.png`, { headers: auth() });
  assert.equal(preview.headers.get('content-type'), 'image/png');
  assert.equal(Buffer.from(await preview.arrayBuffer()).subarray(1, 4).toString(), 'PNG');
});

test('DCMTK storescu sends a radiograph by C-STORE; it is acknowledged only once queued, then processed with SR + GSPS', async () => {
  const { stdout, stderr } = await run('storescu', ['-xx', '-R', '-aet', 'STORESCU', '-aec', 'DRFDS', '127.0.0.1', String(service.scp!.port), hipFile], { timeout: 30_000 });
  assert.doesNotMatch(stdout + stderr, /Failed|Error|Rejected/i);
  // No waiting: the success status was sent only after the image was on disk and its job committed.
  const job = (await service.queue.list({ limit: 10 })).find((j) => j.receivedVia === 'c-store');
  assert.ok(job, 'the job exists as soon as storescu has its success status');
  assert.equal(job.callingAe, 'STORESCU');
  const done = await waitDone(job.id);
  assert.equal(done.status, 'done', JSON.stringify(done));
  assert.equal(done.result.image.source, 'dicom');
  const row = (await service.queue.get(job.id))!;
  assert.ok(existsSync(join(data.dir, 'results', `${job.id}-sr.dcm`)));
  assert.ok(existsSync(join(data.dir, 'results', `${job.id}-gsps.dcm`)));
  // The stored file is a valid Part 10 file holding the image the modality sent.
  const dump = await run('dcmdump', ['-M', '+P', '0008,0018', '+P', '0002,0010', join(data.dir, row.imagePath)]);
  assert.match(dump.stdout, new RegExp(row.sopInstanceUid!.replace(/\./g, '\\.')));
  const source = await run('dcmdump', ['-M', '+P', '0002,0010', hipFile]);
  assert.equal(dump.stdout.match(/\(0002,0010\).*/)?.[0].replace(/\s+#.*/, ''), source.stdout.match(/\(0002,0010\).*/)?.[0].replace(/\s+#.*/, ''), 'same transfer syntax as proposed');
});

test('the listener refuses a calling AE outside the allow-list, answers C-ECHO, and refuses a CT per image with a reason', async () => {
  await assert.rejects(run('echoscu', ['-aet', 'INTRUDER', '-aec', 'DRFDS', '127.0.0.1', String(service.scp!.port)], { timeout: 15_000 }));
  await run('echoscu', ['-aet', 'STORESCU', '-aec', 'DRFDS', '127.0.0.1', String(service.scp!.port)], { timeout: 15_000 });
  const ct = await run('storescu', ['-v', '-xx', '-R', '-aet', 'STORESCU', '-aec', 'DRFDS', '127.0.0.1', String(service.scp!.port), join(shared, 'dicom', 'other', 'CT_small.dcm')], { timeout: 15_000 }).catch((e: { stdout: string; stderr: string }) => e);
  assert.match(ct.stdout + ct.stderr, /CannotUnderstand|0xc000/i);
  assert.ok(lines.some((l) => l.includes('dimse.store-refused') && l.includes('Modality CT')), 'the refusal and its reason are logged');
  assert.ok(!(await service.queue.list({ limit: 50 })).some((j) => j.sopInstanceUid === '1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322'));
});

test('a DICOM whose compressed pixel data is corrupt is accepted, then fails with the reader\'s reason; the service keeps serving', async () => {
  const response = await fetch(`${base}/api/v1/images`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/dicom' }, body: readFileSync(join(shared, 'dicom', 'bad', '966.dcm')) });
  assert.equal(response.status, 202, 'the header is fine: only decoding shows the damage');
  const { id } = (await response.json()) as { id: string };
  const job = await waitDone(id);
  assert.equal(job.status, 'failed');
  assert.equal(job.errorCode, 'dicom/corrupt-pixel-data');
  assert.match(job.error, /JPEG 2000/);
  const status = (await (await fetch(`${base}/api/v1/status`, { headers: auth() })).json()) as { queue: { recentFailures: Array<{ id: string; code: string }> } };
  assert.equal(status.queue.recentFailures[0]?.id, id);
  const next = await fetch(`${base}/api/v1/images`, { method: 'POST', headers: { ...auth(), 'content-type': 'image/jpeg' }, body: jpeg('IMG0000023.jpg') });
  assert.equal((await waitDone(((await next.json()) as { id: string }).id)).status, 'done');
});

test('server-sent events announce a job from queued to done', async () => {
  const controller = new AbortController();
  const response = await fetch(`${base}/api/v1/events`, { headers: auth(), signal: controller.signal });
  assert.equal(response.headers.get('content-type'), 'text/event-stream');
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const upload = await fetch(`${base}/api/v1/images`, { method: 'POST', headers: { ...auth(), 'content-type': 'image/jpeg' }, body: jpeg('IMG0000021.jpg') });
  const { id } = (await upload.json()) as { id: string };
  try {
    await waitFor('a "done" event', async () => {
      const chunk = await reader.read();
      text += decoder.decode(chunk.value ?? new Uint8Array(), { stream: true });
      return text.includes(`"id":"${id}","status":"done"`) ? true : undefined;
    }, 60_000, 0);
  } finally {
    controller.abort();
  }
  assert.match(text, /event: hello/);
  assert.ok(text.indexOf(`"id":"${id}","status":"queued"`) < text.indexOf(`"id":"${id}","status":"done"`));
});

test('an inference thread that dies mid-job is replaced and its job retried, then completed once', async () => {
  const response = await fetch(`${base}/api/v1/images`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/dicom' }, body: readFileSync(hip('RG2_RLE.dcm')) });
  const { id } = (await response.json()) as { id: string };
  await waitFor('the job to be running', async () => ((await service.queue.get(id))?.status === 'running' ? true : undefined), 30_000, 10);
  // Fault injection: stop the busy thread from outside, as an out-of-memory kill would.
  const slots = (service.pool as unknown as { slots: Array<{ worker: { terminate(): Promise<number> }; busy?: { jobId: string } }> }).slots;
  const busy = slots.find((slot) => slot.busy?.jobId === id);
  assert.ok(busy, 'a thread holds the job');
  await busy.worker.terminate();
  const job = await waitDone(id);
  assert.equal(job.status, 'done');
  assert.equal(job.attempts, 2);
  assert.deepEqual((await service.queue.events(id)).map((e) => e.event), ['queued', 'claimed', 'released', 'reclaimed', 'done']);
  assert.ok(lines.some((l) => l.includes('"event":"worker.replaced"')));
  assert.equal(service.pool.size, 1, 'the pool is back to full strength');
});

test('two services on one data directory share the queue: every image is processed once, by either', async () => {
  const second = await startTestService(data.dir, { dicom: { enabled: false } }, { mountStudy: false });
  try {
    const ids: string[] = [];
    for (const name of ['IMG0000030.jpg', 'IMG0000031.jpg', 'IMG0000032.jpg', 'IMG0000033.jpg', 'IMG0000034.jpg', 'IMG0000035.jpg']) {
      const r = await fetch(`${base}/api/v1/images`, { method: 'POST', headers: { ...auth(), 'content-type': 'image/jpeg' }, body: jpeg(name) });
      ids.push(((await r.json()) as { id: string }).id);
    }
    for (const id of ids) assert.equal((await waitDone(id)).status, 'done');
    const events = (await Promise.all(ids.map((id) => service.queue.events(id)))).flat();
    const done = events.filter((e) => e.event === 'done');
    assert.equal(done.length, ids.length, 'one completion per image');
    const workers = new Set(done.map((e) => e.workerId));
    assert.deepEqual([...workers].sort(), [service.workerId, second.service.workerId].sort(), 'both processes took work');
  } finally {
    await second.service.stop({ graceMs: 0 });
  }
});

test('a model package that cannot be loaded stops the start with the reason', async () => {
  const other = tempDataDir();
  try {
    await assert.rejects(startTestService(other.dir, { model: join(other.dir, 'no-such-model'), dicom: { enabled: false } }), /no model package at .*no-such-model/);
  } finally {
    other.remove();
  }
});

test('status reports the queue, the rate, the model and the listener; logs hold no patient identifiers', async () => {
  const status = (await (await fetch(`${base}/api/v1/status`, { headers: auth() })).json()) as Record<string, any>;
  assert.ok(status.queue.done >= 2);
  assert.ok(status.queue.ratePerMinute > 0);
  assert.equal(status.model.name, 'tiny-random');
  assert.equal(status.dicom.aeTitle, 'DRFDS');
  const log = lines.join('\n');
  assert.match(log, /"event":"job.done"/);
  for (const identifier of ['CompressedSamples', '10RG2', 'CompressedSamples^RG2']) assert.ok(!log.includes(identifier), `log mentions ${identifier}`);
  for (const line of lines) JSON.parse(line); // every line is one JSON object
});
