import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { repositoryRoot } from '../cli/packageVersion.js';
import { hasPostgres, startTestPostgres, type TestPostgres } from '../storage/testing/postgresServer.js';
import { hashToken } from './tokens.js';
import { sharedDir, startTestService, tempDataDir, waitFor } from './testing/testService.js';

/**
 * Two `drfds serve` instances on one PostgreSQL database (and one shared data directory, as on an NFS mount): they
 * share the queue, the tokens and the audit log, and every image is processed exactly once.
 */
const skip = hasPostgres() ? false : 'PostgreSQL is not installed (apt-get install postgresql)';
const run = promisify(execFile);
const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', join(repositoryRoot(), 'src', 'cli', 'run.ts'), ...args], { timeout: 60_000 });
const jpeg = (name: string): Buffer => readFileSync(join(sharedDir(), 'data', 'fracatlas', 'images', name));

let server: TestPostgres | undefined;
const data = tempDataDir('drfds-pg-serve-');

before(async () => {
  if (skip === false) server = await startTestPostgres();
});

after(() => {
  server?.stop();
  data.remove();
});

test('two services on one PostgreSQL database share 24 images: each processed exactly once, by both', { skip }, async () => {
  const database = server!.connectionString;
  const a = await startTestService(data.dir, { database, dicom: { enabled: false } }, { mountStudy: false });
  const b = await startTestService(data.dir, { database, dicom: { enabled: false } }, { mountStudy: false });
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    assert.equal(a.service.stores.backend, 'postgres');
    // A token made by one process (or by `drfds token create --database`) is accepted by the other.
    const fromCli = (await cli(['token', 'create', '--database', database, '--name', 'router'])).stdout.trim();
    assert.match(fromCli, /^drfds_/);
    const stored = await client.query<{ token_sha256: string }>("SELECT token_sha256 FROM server_tokens WHERE name = 'router'");
    assert.equal(stored.rows[0]?.token_sha256, hashToken(fromCli));
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    for (const s of [a, b]) {
      assert.equal((await fetch(`${s.base}/api/v1/worklist`, { headers: bearer(a.token) })).status, 200);
      assert.equal((await fetch(`${s.base}/api/v1/worklist`, { headers: bearer(fromCli) })).status, 200);
    }

    const names = readdirSync(join(sharedDir(), 'data', 'fracatlas', 'images')).filter((n) => n.endsWith('.jpg')).sort().slice(100, 124);
    assert.equal(names.length, 24);
    const ids = await Promise.all(names.map(async (name, i) => {
      const target = i % 2 === 0 ? a : b;
      const r = await fetch(`${target.base}/api/v1/images`, { method: 'POST', headers: { ...bearer(fromCli), 'content-type': 'image/jpeg' }, body: jpeg(name) });
      assert.equal(r.status, 202);
      return ((await r.json()) as { id: string }).id;
    }));
    assert.equal(new Set(ids).size, 24);
    await waitFor('all 24 jobs to finish', async () => {
      const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM queue_jobs WHERE status IN ('done', 'failed')");
      return rows[0]!.n === 24 ? true : undefined;
    }, 120_000, 100);
    const done = await client.query<{ job_id: string; worker_id: string }>("SELECT job_id, worker_id FROM queue_events WHERE event = 'done' ORDER BY job_id");
    assert.deepEqual(done.rows.map((r) => r.job_id), [...ids].sort(), 'exactly one completion per image');
    const claims = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM queue_events WHERE event IN ('claimed', 'reclaimed')");
    assert.equal(claims.rows[0]!.n, 24, 'no job was claimed twice');
    assert.deepEqual([...new Set(done.rows.map((r) => r.worker_id))].sort(), [a.service.workerId, b.service.workerId].sort(), 'both processes took work');

    // Either process answers for any job, and the audit log is one log.
    const view = (await (await fetch(`${b.base}/api/v1/images/${ids[0]}`, { headers: bearer(fromCli) })).json()) as { status: string; result?: { probability: number } };
    assert.equal(view.status, 'done');
    assert.ok(typeof view.result?.probability === 'number');
    const audit = (await (await fetch(`${a.base}/api/v1/audit?job=${ids[0]}`, { headers: bearer(a.token) })).json()) as { entries: Array<{ actor: string; action: string }> };
    assert.deepEqual(audit.entries.map((e) => `${e.actor} ${e.action}`), ['token:router view-result']);
    const status = (await (await fetch(`${a.base}/api/v1/status`, { headers: bearer(a.token) })).json()) as { queue: { done: number } };
    assert.equal(status.queue.done, 24);

    // Nothing of the queue went to the data directory's SQLite file.
    const sqliteJobs = a.service.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'queue_jobs'").get() as { n: number };
    assert.equal(sqliteJobs.n, 0);
  } finally {
    await client.end();
    await Promise.all([a.service.stop({ graceMs: 0 }), b.service.stop({ graceMs: 0 })]);
  }
});

test('a database that cannot be reached stops the start with the address (password hidden)', { skip }, async () => {
  const other = tempDataDir('drfds-pg-bad-');
  try {
    await assert.rejects(
      startTestService(other.dir, { database: 'postgres://drfds:secret@127.0.0.1:1/none', dicom: { enabled: false } }, { mountStudy: false }),
      (error: Error) => /cannot open the database postgres:\/\/drfds:\*\*\*@127\.0\.0\.1:1\/none/.test(error.message) && !error.message.includes('secret'),
    );
  } finally {
    other.remove();
  }
});
