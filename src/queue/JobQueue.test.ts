import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openSqlite } from '../storage/sqlite.js';
import { JobQueue, type NewJob } from './JobQueue.js';
import { DeliveryQueue, backoffDelayMs } from './DeliveryQueue.js';

const run = promisify(execFile);

function job(id: string, sha = id): NewJob {
  return { id, receivedVia: 'http', sourceFormat: 'png', imagePath: `images/${id}.png`, bytes: 10, sha256: sha };
}

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

test('jobs are claimed oldest first, and a claim is exclusive', () => {
  const c = clock();
  const queue = new JobQueue(openSqlite(':memory:'), { now: c.now, leaseMs: 1000 });
  queue.enqueue(job('a'));
  c.advance(1);
  queue.enqueue(job('b'));
  assert.equal(queue.claim('w1')?.id, 'a');
  assert.equal(queue.claim('w2')?.id, 'b');
  assert.equal(queue.claim('w3'), undefined);
  assert.equal(queue.complete('a', 'w2', { resultJson: '{}', probability: 0.1, decision: 'no fracture', deliveries: [] }), false, 'only the holder completes');
  assert.equal(queue.complete('a', 'w1', { resultJson: '{}', probability: 0.1, decision: 'no fracture', deliveries: [] }), true);
  assert.equal(queue.get('a')?.status, 'done');
});

test('an expired lease is retaken, the old holder can no longer complete, heartbeats keep a lease', () => {
  const c = clock();
  const queue = new JobQueue(openSqlite(':memory:'), { now: c.now, leaseMs: 1000, maxAttempts: 3 });
  queue.enqueue(job('a'));
  queue.enqueue(job('b'));
  assert.equal(queue.claim('w1')?.id, 'a');
  assert.equal(queue.claim('w1')?.id, 'b');
  c.advance(600);
  assert.equal(queue.heartbeat('w1', ['b']), 1);
  c.advance(600); // a expired, b renewed
  const retaken = queue.claim('w2');
  assert.equal(retaken?.id, 'a');
  assert.equal(retaken?.attempts, 2);
  assert.equal(queue.claim('w2'), undefined, 'b is still held through its heartbeat');
  assert.equal(queue.complete('a', 'w1', { resultJson: '{}', probability: 0, decision: 'no fracture', deliveries: [] }), false);
  assert.equal(queue.complete('a', 'w2', { resultJson: '{}', probability: 0, decision: 'no fracture', deliveries: [] }), true);
  assert.deepEqual(queue.events('a').map((e) => e.event), ['queued', 'claimed', 'reclaimed', 'done']);
});

test('a job whose worker keeps dying is failed after maxAttempts with a reason', () => {
  const c = clock();
  const queue = new JobQueue(openSqlite(':memory:'), { now: c.now, leaseMs: 100, maxAttempts: 2 });
  queue.enqueue(job('poison'));
  assert.ok(queue.claim('w1'));
  c.advance(200);
  assert.ok(queue.claim('w2'));
  c.advance(200);
  assert.equal(queue.claim('w3'), undefined);
  const failed = queue.get('poison');
  assert.equal(failed?.status, 'failed');
  assert.equal(failed?.errorCode, 'queue/attempts-exhausted');
  assert.match(failed?.error ?? '', /interrupted 2 times/);
});

test('release puts a job back; fail records the reason; stats count them', () => {
  const c = clock();
  const queue = new JobQueue(openSqlite(':memory:'), { now: c.now });
  queue.enqueue(job('a'));
  queue.enqueue(job('b'));
  queue.claim('w');
  assert.equal(queue.release('a', 'w'), true);
  assert.equal(queue.get('a')?.status, 'queued');
  queue.claim('w');
  assert.equal(queue.fail('a', 'w', { code: 'dicom/not-a-radiograph', message: 'modality CT' }), true);
  const stats = queue.stats();
  assert.equal(stats.failed, 1);
  assert.equal(stats.queued, 1);
  assert.equal(stats.recentFailures[0]?.code, 'dicom/not-a-radiograph');
  assert.equal(queue.findBySha256('b')?.id, 'b');
});

test('list orders newest first or by probability', () => {
  const c = clock();
  const queue = new JobQueue(openSqlite(':memory:'), { now: c.now });
  for (const [id, p] of [['a', 0.2], ['b', 0.9], ['c', 0.5]] as const) {
    queue.enqueue(job(id));
    c.advance(10);
    queue.claim('w');
    queue.complete(id, 'w', { resultJson: '{}', probability: p, decision: 'doubt', deliveries: [] });
  }
  queue.enqueue(job('d'));
  assert.deepEqual(queue.list().map((j) => j.id), ['d', 'c', 'b', 'a']);
  assert.deepEqual(queue.list({ order: 'probability' }).map((j) => j.id), ['b', 'c', 'a', 'd']);
});

test('deliveries are written with the completion and retried with exponential backoff', () => {
  const c = clock();
  const db = openSqlite(':memory:');
  const queue = new JobQueue(db, { now: c.now });
  const deliveries = new DeliveryQueue(db, { now: c.now, backoffBaseMs: 100, backoffMaxMs: 350, maxAttempts: 4, leaseMs: 1000 });
  queue.enqueue(job('a'));
  queue.claim('w');
  queue.complete('a', 'w', {
    resultJson: '{}', probability: 0.5, decision: 'doubt',
    deliveries: [{ destination: 'pacs', kind: 'sr', sopClassUid: '1.2', sopInstanceUid: '1.2.3', filePath: 'results/a-sr.dcm' }],
  });
  const first = deliveries.claimDue('s1');
  assert.equal(first?.sopInstanceUid, '1.2.3');
  assert.equal(deliveries.claimDue('s2'), undefined, 'a delivery being sent is not claimed twice');
  const delays: number[] = [];
  let current = first!;
  for (let attempt = 1; attempt <= 4; attempt += 1) {
    const outcome = deliveries.markFailed(current.id, 's1', 'association rejected');
    assert.ok(outcome);
    if (attempt === 4) {
      assert.equal(outcome.status, 'failed');
      break;
    }
    delays.push(outcome.nextAttemptAt - c.now());
    assert.equal(deliveries.claimDue('s1'), undefined, 'not due before the backoff delay');
    c.advance(outcome.nextAttemptAt - c.now());
    current = deliveries.claimDue('s1')!;
    assert.ok(current);
  }
  assert.deepEqual(delays, [100, 200, 350]);
  assert.deepEqual([1, 2, 3, 4, 5].map((a) => backoffDelayMs(a, 100, 350)), [100, 200, 350, 350, 350]);
  assert.equal(deliveries.stats().failed, 1);
});

test('a send whose process died is retried after its lease; markSent needs the current lease', () => {
  const c = clock();
  const db = openSqlite(':memory:');
  const queue = new JobQueue(db, { now: c.now });
  const deliveries = new DeliveryQueue(db, { now: c.now, leaseMs: 500 });
  queue.enqueue(job('a'));
  queue.claim('w');
  queue.complete('a', 'w', { resultJson: '{}', probability: 0.5, decision: 'doubt', deliveries: [{ destination: 'pacs', kind: 'gsps', sopClassUid: '1.2', sopInstanceUid: '1.2.4', filePath: 'x' }] });
  const first = deliveries.claimDue('dead');
  assert.ok(first);
  c.advance(501);
  const again = deliveries.claimDue('alive');
  assert.equal(again?.id, first.id);
  assert.equal(deliveries.markSent(first.id, 'dead'), false);
  assert.equal(deliveries.markSent(first.id, 'alive'), true);
  assert.equal(deliveries.forJob('a')[0]?.status, 'sent');
});

test('three processes on one database file complete every job exactly once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-queue-'));
  try {
    const path = join(dir, 'drfds.sqlite');
    const db = openSqlite(path);
    const queue = new JobQueue(db);
    const ids = Array.from({ length: 300 }, (_, i) => `job-${String(i).padStart(3, '0')}`);
    for (const id of ids) queue.enqueue(job(id));
    const script = join(import.meta.dirname, 'testing', 'claimLoop.ts');
    const outputs = await Promise.all(['p1', 'p2', 'p3'].map((w) => run(process.execPath, ['--import', 'tsx', script, path, w], { timeout: 60_000 })));
    const perProcess = outputs.map((o) => JSON.parse(o.stdout) as string[]);
    const all = perProcess.flat();
    assert.equal(all.length, ids.length, 'every job completed once, none twice');
    assert.deepEqual([...new Set(all)].sort(), ids);
    const doneEvents = db.prepare("SELECT job_id, count(*) AS n FROM queue_events WHERE event = 'done' GROUP BY job_id HAVING n != 1").all();
    assert.deepEqual(doneEvents, []);
    assert.equal(queue.stats().done, 300);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
