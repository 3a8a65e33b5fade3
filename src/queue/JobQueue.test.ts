import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openPostgres, type PostgresPool } from '../storage/postgres.js';
import { openSqlite } from '../storage/sqlite.js';
import { hasPostgres, startTestPostgres, type TestPostgres } from '../storage/testing/postgresServer.js';
import { SqliteJobQueue, type JobQueue, type JobQueueOptions, type NewJob } from './JobQueue.js';
import { SqliteDeliveryQueue, backoffDelayMs, type DeliveryQueue, type DeliveryQueueOptions } from './DeliveryQueue.js';
import { migratePostgresQueue, PostgresDeliveryQueue, PostgresJobQueue } from './PostgresQueue.js';

const run = promisify(execFile);

function job(id: string, sha = id): NewJob {
  return { id, receivedVia: 'http', sourceFormat: 'png', imagePath: `images/${id}.png`, bytes: 10, sha256: sha };
}

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

/** One empty queue database per test: a fresh in-memory SQLite, or the shared PostgreSQL with its tables emptied. */
interface Backend {
  readonly name: 'sqlite' | 'postgres';
  fresh(): Promise<{ queue: (o?: JobQueueOptions) => JobQueue; deliveries: (o?: DeliveryQueueOptions) => DeliveryQueue }>;
}

const sqlite: Backend = {
  name: 'sqlite',
  async fresh() {
    const db = openSqlite(':memory:');
    return { queue: (o) => new SqliteJobQueue(db, o), deliveries: (o) => new SqliteDeliveryQueue(db, o) };
  },
};

let server: TestPostgres | undefined;
let pool: PostgresPool | undefined;
const postgres: Backend = {
  name: 'postgres',
  async fresh() {
    const p = pool!;
    await p.query('TRUNCATE queue_deliveries, queue_events, queue_jobs RESTART IDENTITY');
    return { queue: (o) => new PostgresJobQueue(p, o), deliveries: (o) => new PostgresDeliveryQueue(p, o) };
  },
};

before(async () => {
  if (!hasPostgres()) return;
  server = await startTestPostgres();
  pool = openPostgres(server.connectionString, { max: 4 });
  await migratePostgresQueue(pool);
});

after(async () => {
  await pool?.end();
  server?.stop();
});

for (const backend of [sqlite, postgres]) {
describe(`${backend.name} queue`, { skip: backend.name === 'postgres' && !hasPostgres() ? 'PostgreSQL is not installed (apt-get install postgresql)' : false }, () => {
  test('jobs are claimed oldest first, and a claim is exclusive', async () => {
    const c = clock();
    const queue = (await backend.fresh()).queue({ now: c.now, leaseMs: 1000 });
    await queue.enqueue(job('a'));
    c.advance(1);
    await queue.enqueue(job('b'));
    assert.equal((await queue.claim('w1'))?.id, 'a');
    assert.equal((await queue.claim('w2'))?.id, 'b');
    assert.equal((await queue.claim('w3')), undefined);
    assert.equal((await queue.complete('a', 'w2', { resultJson: '{}', probability: 0.1, decision: 'no fracture', deliveries: [] })), false, 'only the holder completes');
    assert.equal((await queue.complete('a', 'w1', { resultJson: '{}', probability: 0.1, decision: 'no fracture', deliveries: [] })), true);
    assert.equal((await queue.get('a'))?.status, 'done');
  });

  test('an expired lease is retaken, the old holder can no longer complete, heartbeats keep a lease', async () => {
    const c = clock();
    const queue = (await backend.fresh()).queue({ now: c.now, leaseMs: 1000, maxAttempts: 3 });
    await queue.enqueue(job('a'));
    await queue.enqueue(job('b'));
    assert.equal((await queue.claim('w1'))?.id, 'a');
    assert.equal((await queue.claim('w1'))?.id, 'b');
    c.advance(600);
    assert.equal((await queue.heartbeat('w1', ['b'])), 1);
    c.advance(600); // a expired, b renewed
    const retaken = await queue.claim('w2');
    assert.equal(retaken?.id, 'a');
    assert.equal(retaken?.attempts, 2);
    assert.equal((await queue.claim('w2')), undefined, 'b is still held through its heartbeat');
    assert.equal((await queue.complete('a', 'w1', { resultJson: '{}', probability: 0, decision: 'no fracture', deliveries: [] })), false);
    assert.equal((await queue.complete('a', 'w2', { resultJson: '{}', probability: 0, decision: 'no fracture', deliveries: [] })), true);
    assert.deepEqual((await queue.events('a')).map((e) => e.event), ['queued', 'claimed', 'reclaimed', 'done']);
  });

  test('a job whose worker keeps dying is failed after maxAttempts with a reason', async () => {
    const c = clock();
    const queue = (await backend.fresh()).queue({ now: c.now, leaseMs: 100, maxAttempts: 2 });
    await queue.enqueue(job('poison'));
    assert.ok((await queue.claim('w1')));
    c.advance(200);
    assert.ok((await queue.claim('w2')));
    c.advance(200);
    assert.equal((await queue.claim('w3')), undefined);
    const failed = await queue.get('poison');
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.errorCode, 'queue/attempts-exhausted');
    assert.match(failed?.error ?? '', /interrupted 2 times/);
  });

  test('release puts a job back; fail records the reason; stats count them', async () => {
    const c = clock();
    const queue = (await backend.fresh()).queue({ now: c.now });
    await queue.enqueue(job('a'));
    await queue.enqueue(job('b'));
    await queue.claim('w');
    assert.equal((await queue.release('a', 'w')), true);
    assert.equal((await queue.get('a'))?.status, 'queued');
    await queue.claim('w');
    assert.equal((await queue.fail('a', 'w', { code: 'dicom/not-a-radiograph', message: 'modality CT' })), true);
    const stats = await queue.stats();
    assert.equal(stats.failed, 1);
    assert.equal(stats.queued, 1);
    assert.equal(stats.recentFailures[0]?.code, 'dicom/not-a-radiograph');
    assert.equal((await queue.findBySha256('b'))?.id, 'b');
  });

  test('list orders newest first or by probability', async () => {
    const c = clock();
    const queue = (await backend.fresh()).queue({ now: c.now });
    for (const [id, p] of [['a', 0.2], ['b', 0.9], ['c', 0.5]] as const) {
      await queue.enqueue(job(id));
      c.advance(10);
      await queue.claim('w');
      await queue.complete(id, 'w', { resultJson: '{}', probability: p, decision: 'doubt', deliveries: [] });
    }
    await queue.enqueue(job('d'));
    assert.deepEqual((await queue.list()).map((j) => j.id), ['d', 'c', 'b', 'a']);
    assert.deepEqual((await queue.list({ order: 'probability' })).map((j) => j.id), ['b', 'c', 'a', 'd']);
    assert.deepEqual((await queue.list({ status: 'queued' })).map((j) => j.id), ['d']);
    assert.deepEqual((await queue.list({ order: 'probability', status: 'done', limit: 2 })).map((j) => j.id), ['b', 'c']);
  });

  test('deliveries are written with the completion and retried with exponential backoff', async () => {
    const c = clock();
    const db = await backend.fresh();
    const queue = db.queue({ now: c.now });
    const deliveries = db.deliveries({ now: c.now, backoffBaseMs: 100, backoffMaxMs: 350, maxAttempts: 4, leaseMs: 1000 });
    await queue.enqueue(job('a'));
    await queue.claim('w');
    (await queue.complete('a', 'w', {
      resultJson: '{}', probability: 0.5, decision: 'doubt',
      deliveries: [{ destination: 'pacs', kind: 'sr', sopClassUid: '1.2', sopInstanceUid: '1.2.3', filePath: 'results/a-sr.dcm' }],
    }));
    const first = await deliveries.claimDue('s1');
    assert.equal(first?.sopInstanceUid, '1.2.3');
    assert.equal((await deliveries.claimDue('s2')), undefined, 'a delivery being sent is not claimed twice');
    const delays: number[] = [];
    let current = first!;
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      const outcome = await deliveries.markFailed(current.id, 's1', 'association rejected');
      assert.ok(outcome);
      if (attempt === 4) {
        assert.equal(outcome.status, 'failed');
        break;
      }
      delays.push(outcome.nextAttemptAt - c.now());
      assert.equal((await deliveries.claimDue('s1')), undefined, 'not due before the backoff delay');
      c.advance(outcome.nextAttemptAt - c.now());
      current = (await deliveries.claimDue('s1'))!;
      assert.ok(current);
    }
    assert.deepEqual(delays, [100, 200, 350]);
    assert.deepEqual([1, 2, 3, 4, 5].map((a) => backoffDelayMs(a, 100, 350)), [100, 200, 350, 350, 350]);
    assert.equal((await deliveries.stats()).failed, 1);
  });

  test('a send whose process died is retried after its lease; markSent needs the current lease', async () => {
    const c = clock();
    const db = await backend.fresh();
    const queue = db.queue({ now: c.now });
    const deliveries = db.deliveries({ now: c.now, leaseMs: 500 });
    await queue.enqueue(job('a'));
    await queue.claim('w');
    await queue.complete('a', 'w', { resultJson: '{}', probability: 0.5, decision: 'doubt', deliveries: [{ destination: 'pacs', kind: 'gsps', sopClassUid: '1.2', sopInstanceUid: '1.2.4', filePath: 'x' }] });
    const first = await deliveries.claimDue('dead');
    assert.ok(first);
    c.advance(501);
    const again = await deliveries.claimDue('alive');
    assert.equal(again?.id, first.id);
    assert.equal((await deliveries.markSent(first.id, 'dead')), false);
    assert.equal((await deliveries.markSent(first.id, 'alive')), true);
    assert.equal((await deliveries.forJob('a'))[0]?.status, 'sent');
  });


  test('three processes on one database complete every job exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drfds-queue-'));
    const path = join(dir, 'drfds.sqlite');
    const db = backend.name === 'sqlite' ? openSqlite(path) : undefined;
    try {
      const queue = db === undefined ? (await backend.fresh()).queue() : new SqliteJobQueue(db);
      const ids = Array.from({ length: 300 }, (_, i) => `job-${String(i).padStart(3, '0')}`);
      for (const id of ids) await queue.enqueue(job(id));
      const script = join(import.meta.dirname, 'testing', 'claimLoop.ts');
      const target = db === undefined ? server!.connectionString : path;
      const outputs = await Promise.all(['p1', 'p2', 'p3'].map((w) => run(process.execPath, ['--import', 'tsx', script, target, w], { timeout: 60_000 })));
      const perProcess = outputs.map((o) => JSON.parse(o.stdout) as string[]);
      const all = perProcess.flat();
      assert.equal(all.length, ids.length, 'every job completed once, none twice');
      assert.deepEqual([...new Set(all)].sort(), ids);
      const events = (await Promise.all(ids.map((id) => queue.events(id)))).flat();
      assert.equal(events.filter((e) => e.event === 'done').length, ids.length, 'one "done" event per job');
      assert.equal(events.filter((e) => e.event === 'claimed').length, ids.length, 'one claim per job');
      assert.equal((await queue.stats()).done, 300);
    } finally {
      db?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
}
