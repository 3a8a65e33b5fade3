import { join } from 'node:path';
import { AuthStore } from '../../auth/index.js';
import { repositoryRoot } from '../../cli/packageVersion.js';
import { createDetector } from '../../detector/Detector.js';
import { openSqlDatabase, type SqlDatabase } from '../../storage/sqlDatabase.js';
import { createStudyApp } from '../http/createStudyApp.js';
import { StudyStore } from '../store/StudyStore.js';

export const sharedData = join(repositoryRoot(), '..', 'shared', 'data');
export const fracatlas = { annotations: join(sharedData, 'fracatlas', 'annotations.coco.json'), images: join(sharedData, 'fracatlas', 'images') };
export const tinyModelDir = join(repositoryRoot(), 'fixtures', 'models', 'tiny-random');

/** A clock the tests move forward (the washout is 30 days). */
export interface TestClock { now: Date; advanceDays(days: number): void }

export function testClock(start = '2026-03-01T08:00:00Z'): TestClock {
  const clock: TestClock = { now: new Date(start), advanceDays: (days) => { clock.now = new Date(clock.now.getTime() + days * 86_400_000); } };
  return clock;
}

/** A clock that runs in real time (the server's time clamp needs it) and can jump forward by whole days. */
export function liveClock(): TestClock {
  let offsetMs = 0;
  return {
    get now() { return new Date(Date.now() + offsetMs); },
    set now(value: Date) { offsetMs = value.getTime() - Date.now(); },
    advanceDays(days: number) { offsetMs += days * 86_400_000; },
  };
}

/**
 * A study service over a real database — SQLite (file or memory) or the one given (e.g. PostgreSQL from
 * `useTestDatabases`) — with an admin and two readers.
 */
export async function studyService(options: { dbPath?: string; db?: SqlDatabase; clock?: TestClock; dataRoots?: string[] } = {}) {
  const clock = options.clock ?? testClock();
  const db = options.db ?? openSqlDatabase(options.dbPath ?? ':memory:');
  const auth = new AuthStore(db, { scrypt: { N: 1024, r: 8, p: 1 }, now: () => clock.now });
  const studies = new StudyStore(db, { now: () => clock.now });
  const app = createStudyApp({ auth, studies, dataRoots: options.dataRoots ?? [sharedData], loadDetector: (dir) => createDetector(dir), defaultModelDir: tinyModelDir });
  const admin = await auth.createUser({ username: 'admin', password: 'admin-password', role: 'admin' });
  const alice = await auth.createUser({ username: 'alice', password: 'alice-password', role: 'reader', group: 'resident', displayName: 'Alice A.' });
  const bob = await auth.createUser({ username: 'bob', password: 'bob-password', role: 'reader', group: 'attending', displayName: 'Bob B.' });
  return { db, auth, studies, app, clock, users: { admin, alice, bob } };
}

/** A JSON client over `app.request` (in process) that keeps the session cookie. */
export function client(app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> }) {
  let cookie = '';
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string }> => {
    const headers: Record<string, string> = {};
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) cookie = setCookie.split(';')[0] as string;
    const text = await response.text();
    let json: unknown;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: response.status, json, text };
  };
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body?: unknown) => call('POST', path, body ?? {}),
    login: async (username: string, password: string) => {
      const r = await call('POST', '/api/auth/login', { username, password });
      if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
      return r;
    },
    raw: async (path: string) => app.request(path, { headers: cookie ? { cookie } : {} }),
  };
}

/** Hip images of FracAtlas: the first 3 with fracture boxes and the first 3 without, by image id. */
export const smallSelection = { where: { hip: 1 }, maxPositive: 3, maxNegative: 3 };
