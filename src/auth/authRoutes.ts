import { Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { DrfdsError } from '../errors/DrfdsError.js';
import type { AuthStore } from './AuthStore.js';
import { authenticate, currentUser, requireUser, sessionCookieName, sessionTokenOf, type AuthEnv } from './middleware.js';

export interface AuthRoutesOptions {
  /** Set the cookie's Secure flag (behind HTTPS). Default false so plain-HTTP localhost works. */
  readonly secureCookie?: boolean;
  /** Cookie path; '/' by default so one login serves every part of the service. */
  readonly cookiePath?: string;
}

/**
 * `POST /login {username, password}` → sets the HttpOnly, SameSite=Strict session cookie and returns the user;
 * `POST /logout`; `GET /me` (401 without a session). Mount wherever the service wants (e.g. `/auth`).
 */
export function createAuthRoutes(store: AuthStore, options: AuthRoutesOptions = {}): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.use('*', authenticate(store));
  app.post('/login', async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as { username?: unknown; password?: unknown } | undefined;
    if (!body || typeof body.username !== 'string' || typeof body.password !== 'string') {
      throw new DrfdsError('auth/bad-request', 'send JSON {"username": "...", "password": "..."}', { httpStatus: 400 });
    }
    const result = await store.login(body.username, body.password);
    setCookie(c, sessionCookieName, result.token, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: options.secureCookie ?? false,
      path: options.cookiePath ?? '/',
      // Max-Age rather than Expires: a browser whose clock is off must not drop (or keep) the cookie wrongly.
      maxAge: Math.max(0, Math.floor((Date.parse(result.expiresAt) - Date.parse(result.issuedAt)) / 1000)),
    });
    return c.json({ user: result.user, expiresAt: result.expiresAt });
  });
  app.post('/logout', async (c) => {
    const token = sessionTokenOf(c);
    if (token) await store.logout(token);
    deleteCookie(c, sessionCookieName, { path: options.cookiePath ?? '/' });
    return c.json({ ok: true });
  });
  app.get('/me', requireUser(), (c) => c.json({ user: currentUser(c) }));
  return app;
}
