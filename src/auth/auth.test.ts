import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { test } from 'node:test';
import { Hono } from 'hono';
import { backends, useTestDatabases } from './testing/testDatabases.js';
import { AuthStore, authenticate, createAuthRoutes, currentUser, errorResponse, hashPassword, requireRole, verifyPassword, type AuthEnv } from './index.js';

const fast = { N: 1024, r: 8, p: 1 };
const databases = useTestDatabases();

test('hashPassword stores scrypt with its parameters and salt; verify accepts only the right password', async () => {
  const stored = await hashPassword('correct horse', fast);
  const [scheme, n, r, p, salt, hash] = stored.split('$') as [string, string, string, string, string, string];
  assert.equal(scheme, 'scrypt');
  assert.deepEqual([Number(n), Number(r), Number(p)], [1024, 8, 1]);
  // Independent check against node's synchronous scrypt with the stored salt.
  const expected = scryptSync('correct horse', Buffer.from(salt, 'base64'), 32, { N: 1024, r: 8, p: 1 }).toString('base64');
  assert.equal(hash, expected);
  assert.equal(await verifyPassword('correct horse', stored), true);
  assert.equal(await verifyPassword('correct horsf', stored), false);
  assert.equal(await verifyPassword('correct horse', 'garbage'), false);
  assert.notEqual(await hashPassword('correct horse', fast), stored, 'a fresh salt each time');
});

for (const backend of backends) {
  test(`${backend}: login opens a session; wrong password, unknown user, disabled user and expired session are refused`, { skip: databases.skip(backend) }, async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const store = new AuthStore(await databases.open(backend), { scrypt: fast, sessionTtlMs: 60_000, now: () => now });
    const alice = await store.createUser({ username: 'alice', password: 'alice-password', role: 'reader', group: 'resident' });
    assert.equal(alice.group, 'resident');
    await assert.rejects(store.createUser({ username: 'ALICE', password: 'another-pass', role: 'reader' }), /already exists/);
    await assert.rejects(store.createUser({ username: 'bob', password: 'short', role: 'reader' }), /at least 8/);
    await assert.rejects(store.login('alice', 'wrong-password'), /wrong user name or password/);
    await assert.rejects(store.login('nobody', 'alice-password'), /wrong user name or password/);
    const session = await store.login('alice', 'alice-password');
    assert.equal((await store.userForToken(session.token))?.username, 'alice');
    assert.equal((await store.findUser('Alice'))?.id, alice.id, 'user names are case-insensitive');
    assert.equal(await store.userForToken(`${session.token}x`), undefined);
    const raw = (await store.db.get<{ token_sha256: string }>('SELECT token_sha256 FROM auth_sessions')) as { token_sha256: string };
    assert.notEqual(raw.token_sha256, session.token, 'only a hash of the token is stored');
    now = new Date(now.getTime() + 61_000);
    assert.equal(await store.userForToken(session.token), undefined, 'expired');
    const again = await store.login('alice', 'alice-password');
    await store.setDisabled(alice.id, true);
    assert.equal(await store.userForToken(again.token), undefined);
    await assert.rejects(store.login('alice', 'alice-password'));
    assert.ok((await store.auditLog()).some((entry) => entry.action === 'login.failed'));
    assert.deepEqual((await store.auditLog()).map((e) => e.action), ['user.create', 'login.failed', 'login.failed', 'login', 'login', 'user.disable', 'login.failed']);
  });

  test(`${backend}: routes: cookie login, /me, role middleware gives 401 anonymous and 403 for the wrong role`, { skip: databases.skip(backend) }, async () => {
    const store = new AuthStore(await databases.open(backend), { scrypt: fast });
    await store.createUser({ username: 'admin', password: 'admin-password', role: 'admin' });
    await store.createUser({ username: 'reader1', password: 'reader-password', role: 'reader' });
    const app = new Hono<AuthEnv>();
    app.onError(errorResponse);
    app.route('/auth', createAuthRoutes(store));
    app.use('/admin/*', authenticate(store), requireRole('admin'));
    app.get('/admin/whoami', (c) => c.json({ name: currentUser(c).username }));

    assert.equal((await app.request('/auth/me')).status, 401);
    assert.equal((await app.request('/admin/whoami')).status, 401);
    const bad = await app.request('/auth/login', { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'nope-nope' }), headers: { 'content-type': 'application/json' } });
    assert.equal(bad.status, 401);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'auth/login-failed');

    const login = async (username: string, password: string): Promise<string> => {
      const response = await app.request('/auth/login', { method: 'POST', body: JSON.stringify({ username, password }), headers: { 'content-type': 'application/json' } });
      assert.equal(response.status, 200);
      const cookie = response.headers.get('set-cookie') ?? '';
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      assert.match(cookie, /Max-Age=43200/, 'a 12-hour session, independent of the browser clock');
      return cookie.split(';')[0] as string;
    };
    const adminCookie = await login('admin', 'admin-password');
    const readerCookie = await login('reader1', 'reader-password');
    assert.equal((await app.request('/auth/me', { headers: { cookie: readerCookie } })).status, 200);
    assert.deepEqual(await (await app.request('/admin/whoami', { headers: { cookie: adminCookie } })).json(), { name: 'admin' });
    assert.equal((await app.request('/admin/whoami', { headers: { cookie: readerCookie } })).status, 403);
    const token = readerCookie.split('=')[1] as string;
    assert.equal((await app.request('/auth/me', { headers: { authorization: `Bearer ${token}` } })).status, 200);
    assert.equal((await app.request('/auth/logout', { method: 'POST', headers: { cookie: readerCookie } })).status, 200);
    assert.equal((await app.request('/auth/me', { headers: { cookie: readerCookie } })).status, 401);
  });
}
