/**
 * A separate process for the queue tests: claims jobs from the database at argv[2] (an SQLite file or a
 * postgres:// URL) until none is left, completes each, and prints the ids it completed as JSON. Several of these run
 * at once against one database.
 */
import { openPostgres } from '../../storage/postgres.js';
import { openSqlite } from '../../storage/sqlite.js';
import { SqliteJobQueue, type JobQueue } from '../JobQueue.js';
import { PostgresJobQueue } from '../PostgresQueue.js';

const [path, workerId] = process.argv.slice(2);
if (path === undefined || workerId === undefined) throw new Error('usage: claimLoop DB|postgres://… WORKER_ID');
const pool = path.startsWith('postgres') ? openPostgres(path, { max: 2 }) : undefined;
const queue: JobQueue = pool === undefined ? new SqliteJobQueue(openSqlite(path), { leaseMs: 60_000 }) : new PostgresJobQueue(pool, { leaseMs: 60_000 });
const completed: string[] = [];
for (let i = 0; i < 100_000; i += 1) {
  const job = await queue.claim(workerId);
  if (job === undefined) break;
  if (await queue.complete(job.id, workerId, { resultJson: '{}', probability: 0, decision: 'no fracture', deliveries: [] })) completed.push(job.id);
}
await pool?.end();
process.stdout.write(JSON.stringify(completed));
