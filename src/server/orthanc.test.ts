/**
 * Real peers: Debian's Orthanc (with its DICOMweb plugin) as the PACS, DCMTK's storescu as a modality, dciodvfy as
 * the validator of what drfds sends back. One Orthanc for the whole file, on loopback ports, stopped at the end.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repositoryRoot } from '../cli/packageVersion.js';
import { openSqlite } from '../storage/sqlite.js';
import { freePort, TestOrthanc } from './testing/orthanc.js';
import { sharedDir, startTestService, tempDataDir, testConfig, tinyModelDir, waitFor } from './testing/testService.js';
import type { DrfdsService } from './DrfdsService.js';
import { databasePath } from './DrfdsService.js';
import { SqliteTokenStore } from './tokens.js';

const run = promisify(execFile);
const shared = sharedDir();
const hip = (name: string): string => join(shared, 'dicom', 'hip', name);
const SR_CLASS = '1.2.840.10008.5.1.4.1.1.88.33';
const GSPS_CLASS = '1.2.840.10008.5.1.4.1.1.11.1';

const work = tempDataDir('drfds-orthanc-');
let orthanc: TestOrthanc;
let drfds: DrfdsService;
let drfdsDicomPort: number;

before(async () => {
  drfdsDicomPort = await freePort();
  orthanc = new TestOrthanc({
    dir: join(work.dir, 'orthanc'),
    modalities: { drfds: ['DRFDS', '127.0.0.1', drfdsDicomPort] },
    forwardTo: { modality: 'drfds', modalities: ['CR', 'DX'] },
  });
  await orthanc.start();
  const started = await startTestService(join(work.dir, 'drfds-a'), {
    dicom: { port: drfdsDicomPort, allowedCallingAeTitles: ['ORTHANC'] },
    delivery: { destinations: [{ name: 'orthanc', type: 'dimse', host: '127.0.0.1', port: orthanc.dicomPort, calledAeTitle: 'ORTHANC' }] },
  });
  drfds = started.service;
});

after(async () => {
  await drfds?.stop({ graceMs: 0 });
  await orthanc?.stop();
  work.remove();
});

/** dciodvfy's verdict: the error lines (warnings are reported but allowed). */
async function dciodvfyErrors(bytes: Buffer, name: string): Promise<string[]> {
  const path = join(work.dir, name);
  writeFileSync(path, bytes);
  const result = await run('dciodvfy', [path]).catch((e: { stdout: string; stderr: string }) => e);
  return `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => /^Error/.test(line));
}

async function instancesFor(sourceUid: string): Promise<Array<{ id: string; sopClassUid: string; sopInstanceUid: string }>> {
  const all = await orthanc.instances();
  const results = [];
  for (const instance of all.filter((i) => i.sopClassUid === SR_CLASS || i.sopClassUid === GSPS_CLASS)) {
    const file = await orthanc.file(instance.id);
    if (file.includes(Buffer.from(sourceUid))) results.push(instance);
  }
  return results;
}

test('round trip: storescu → Orthanc → (C-STORE) drfds → SR + presentation state back in Orthanc, valid for dciodvfy', async () => {
  await run('storescu', ['-xx', '-R', '-aet', 'MODALITY', '-aec', 'ORTHANC', '127.0.0.1', String(orthanc.dicomPort), hip('RG2_JPLY.dcm')], { timeout: 30_000 });
  const source = (await run('dcmdump', ['+P', '0008,0018', hip('RG2_JPLY.dcm')])).stdout.match(/\[([0-9.]+)\]/)![1]!;
  const job = await waitFor('Orthanc to forward the image to drfds', async () => (await drfds.queue.list()).find((j) => j.sopInstanceUid === source), 30_000, 100);
  assert.equal(job.callingAe, 'ORTHANC');
  await waitFor('SR and GSPS to reach Orthanc', async () => (await drfds.deliveries.forJob(job.id)).filter((d) => d.status === 'sent').length === 2 ? true : undefined, 90_000, 200);
  const stored = await instancesFor(source);
  assert.deepEqual(stored.map((s) => s.sopClassUid).sort(), [GSPS_CLASS, SR_CLASS].sort());
  const sent = await drfds.deliveries.forJob(job.id);
  assert.deepEqual(stored.map((s) => s.sopInstanceUid).sort(), sent.map((d) => d.sopInstanceUid).sort(), 'the UIDs drfds derived are what Orthanc holds');
  for (const instance of stored) {
    const errors = await dciodvfyErrors(await orthanc.file(instance.id), `${instance.id}.dcm`);
    assert.deepEqual(errors, [], `dciodvfy errors in ${instance.sopClassUid === SR_CLASS ? 'SR' : 'GSPS'}`);
  }
  // Same patient and study as the source (read back through Orthanc's REST API).
  const srTags = await orthanc.get<Record<string, string>>(`/instances/${stored.find((s) => s.sopClassUid === SR_CLASS)!.id}/simplified-tags`);
  const sourceTags = (await run('dcmdump', ['+P', '0020,000d', hip('RG2_JPLY.dcm')])).stdout.match(/\[([0-9.]+)\]/)![1];
  assert.equal(srTags.StudyInstanceUID, sourceTags);
  assert.equal(srTags.VerificationFlag, 'UNVERIFIED');
});

test('STOW-RS destination, PACS down while results are due: they arrive after it comes back, once', async () => {
  const dataDir = join(work.dir, 'drfds-b');
  const { service, token, base } = await startTestService(dataDir, {
    dicom: { enabled: false },
    delivery: { destinations: [{ name: 'orthanc-web', type: 'stow-rs', url: `${orthanc.base}/dicom-web/studies` }] },
  });
  try {
    await orthanc.stop();
    const upload = await fetch(`${base}/api/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/dicom' }, body: readFileSync(hip('RG2_RLE.dcm')) });
    assert.equal(upload.status, 202);
    const { id } = (await upload.json()) as { id: string };
    await waitFor('failed delivery attempts while Orthanc is down', async () => {
      const rows = await service.deliveries.forJob(id);
      return rows.length === 2 && rows.every((d) => d.lastError !== null && d.attempts >= 1) ? true : undefined;
    }, 90_000, 100);
    const status = (await (await fetch(`${base}/api/v1/status`, { headers: { authorization: `Bearer ${token}` } })).json()) as { deliveries: { retrying: number; recentErrors: Array<{ error: string }> } };
    assert.equal(status.deliveries.retrying, 2);
    assert.match(status.deliveries.recentErrors[0]!.error, /orthanc-web/);
    await orthanc.start();
    await waitFor('the results to be sent after Orthanc is back', async () => (await service.deliveries.forJob(id)).every((d) => d.status === 'sent') ? true : undefined, 60_000, 100)
      .catch(async (error: Error) => { throw new Error(`${error.message}: ${JSON.stringify((await service.deliveries.forJob(id)))}`); });
    const source = (await service.queue.get(id))!.sopInstanceUid!;
    const stored = await instancesFor(source);
    assert.equal(stored.length, 2);
    // Idempotent re-send: the same UIDs again leave Orthanc with the same two instances.
    const before = (await orthanc.get<string[]>('/instances')).length;
    service.db.prepare("UPDATE queue_deliveries SET status = 'pending', next_attempt_at = 0 WHERE job_id = ?").run(id);
    service.deliverer.wake();
    await waitFor('the re-send', async () => (await service.deliveries.forJob(id)).every((d) => d.status === 'sent') ? true : undefined, 30_000, 100);
    assert.equal((await orthanc.get<string[]>('/instances')).length, before);
  } finally {
    await service.stop({ graceMs: 0 });
  }
});

test('kill -9 while jobs run, restart: every accepted image is processed exactly once and reaches Orthanc once', async () => {
  const dataDir = join(work.dir, 'drfds-c');
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const configPath = join(work.dir, 'drfds-c.json');
  const config = testConfig(dataDir);
  writeFileSync(configPath, JSON.stringify({
    dataDir, model: tinyModelDir(), logLevel: 'info',
    http: { host: '127.0.0.1', port }, dicom: { enabled: false },
    workers: { count: 1, intraOpNumThreads: 1, leaseMs: 1500, pollMs: 100 },
    delivery: { ...config.delivery, destinations: [{ name: 'orthanc', type: 'dimse', host: '127.0.0.1', port: orthanc.dicomPort, calledAeTitle: 'ORTHANC' }] },
  }));
  // Distinct radiographs: the same pixels under new SOP Instance UIDs (dcmodify).
  const uids: string[] = [];
  const files: string[] = [];
  for (let i = 1; i <= 4; i += 1) {
    const file = join(work.dir, `copy-${i}.dcm`);
    copyFileSync(hip('RG2_JPLY.dcm'), file);
    const uid = `2.25.${Date.now()}${i}`;
    await run('dcmodify', ['-nb', '-m', `(0008,0018)=${uid}`, file]);
    uids.push(uid);
    files.push(file);
  }
  const start = (): ChildProcess => spawn(process.execPath, ['--import', 'tsx', join(repositoryRoot(), 'src', 'cli', 'run.ts'), 'serve', '--config', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  const base = `http://127.0.0.1:${port}`;
  const db = openSqlite(databasePath(dataDir));
  const token = await new SqliteTokenStore(db).create('reliability');
  const auth = { authorization: `Bearer ${token}` };
  const up = () => waitFor('drfds to listen', async () => (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) ? true : undefined, 60_000, 100);
  let child = start();
  try {
    await up();
    const ids: string[] = [];
    for (const file of files) {
      const response = await fetch(`${base}/api/v1/images`, { method: 'POST', headers: { ...auth, 'content-type': 'application/dicom' }, body: readFileSync(file) });
      assert.equal(response.status, 202);
      ids.push(((await response.json()) as { id: string }).id);
    }
    // Kill the service the moment a job is in a worker's hands.
    await waitFor('a running job', () => (db.prepare("SELECT count(*) AS n FROM queue_jobs WHERE status = 'running'").get() as { n: number }).n > 0 ? true : undefined, 60_000, 20);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const interrupted = db.prepare("SELECT id FROM queue_jobs WHERE status = 'running'").all() as Array<{ id: string }>;
    assert.equal(interrupted.length, 1, 'one job was in flight when the process died');
    child = start();
    await up();
    await waitFor('all jobs done', async () => {
      const views = await Promise.all(ids.map(async (id) => ((await (await fetch(`${base}/api/v1/images/${id}`, { headers: auth })).json()) as { status: string }).status));
      return views.every((s) => s === 'done') ? true : undefined;
    }, 120_000, 200);
    await waitFor('every result sent', () => (db.prepare("SELECT count(*) AS n FROM queue_deliveries WHERE status = 'sent'").get() as { n: number }).n === 8 ? true : undefined, 60_000, 200);
    const done = db.prepare("SELECT job_id, count(*) AS n FROM queue_events WHERE event = 'done' GROUP BY job_id").all() as Array<{ job_id: string; n: number }>;
    assert.deepEqual(done.map((d) => d.n), [1, 1, 1, 1], 'each job completed exactly once');
    assert.deepEqual(done.map((d) => d.job_id).sort(), [...ids].sort());
    const retaken = db.prepare("SELECT attempts FROM queue_jobs WHERE id = ?").get(interrupted[0]!.id) as { attempts: number };
    assert.equal(retaken.attempts, 2, 'the interrupted job was taken again after its lease expired');
    for (const uid of uids) {
      const stored = await instancesFor(uid);
      assert.deepEqual(stored.map((s) => s.sopClassUid).sort(), [GSPS_CLASS, SR_CLASS].sort(), `results of ${uid} in Orthanc`);
    }
  } finally {
    child.kill('SIGKILL');
    db.close();
  }
});
