import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthStore } from '../../auth/index.js';
import { startTestService, tempDataDir } from '../../server/testing/testService.js';
import { openSqlDatabase } from '../../storage/sqlDatabase.js';
import { hasPostgres, startTestPostgres } from '../../storage/testing/postgresServer.js';
import { StudyStore } from '../store/StudyStore.js';

test('drfds serve with "database": "postgres://…" keeps the accounts and the reader study in PostgreSQL', { skip: hasPostgres() ? false : 'PostgreSQL is not installed' }, async () => {
  const server = await startTestPostgres();
  const data = tempDataDir();
  try {
    // The first admin, created as `drfds study add-user --database …` would.
    const db = openSqlDatabase(server.connectionString);
    await new AuthStore(db, { scrypt: { N: 1024, r: 8, p: 1 } }).createUser({ username: 'chief', password: 'chief-password', role: 'admin' });
    await db.close();
    const { service, base } = await startTestService(data.dir, { database: server.connectionString });
    try {
      const login = await fetch(`${base}/study/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'chief', password: 'chief-password' }) });
      assert.equal(login.status, 200, await login.clone().text());
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
      const created = await fetch(`${base}/study/api/admin/users`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ username: 'reader1', password: 'reader-password', role: 'reader', group: 'resident' }) });
      assert.equal(created.status, 201);
      assert.equal((await fetch(`${base}/study/api/admin/studies`, { headers: { cookie } })).status, 200);
      // The service's own API accepts the same web session.
      assert.equal((await fetch(`${base}/api/v1/me`, { headers: { cookie } })).status, 200);
    } finally {
      await service.stop();
    }
    const check = openSqlDatabase(server.connectionString);
    try {
      assert.deepEqual((await new AuthStore(check).listUsers()).map((u) => u.username), ['chief', 'reader1']);
      assert.deepEqual(await new StudyStore(check).listStudies(), []);
    } finally {
      await check.close();
    }
  } finally {
    server.stop();
    data.remove();
  }
});
