/**
 * A separate process for the queue tests: claims jobs from the database at argv[2] until none is left, completes
 * each, and prints the ids it completed as JSON. Several of these run at once against one file.
 */
import { openSqlite } from '../../storage/sqlite.js';
import { JobQueue } from '../JobQueue.js';

const [path, workerId] = process.argv.slice(2);
if (path === undefined || workerId === undefined) throw new Error('usage: claimLoop DB WORKER_ID');
const queue = new JobQueue(openSqlite(path), { leaseMs: 60_000 });
const completed: string[] = [];
for (let i = 0; i < 100_000; i += 1) {
  const job = queue.claim(workerId);
  if (job === undefined) break;
  if (queue.complete(job.id, workerId, { resultJson: '{}', probability: 0, decision: 'no fracture', deliveries: [] })) completed.push(job.id);
}
process.stdout.write(JSON.stringify(completed));
