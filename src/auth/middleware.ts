import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { DrfdsError } from '../errors/DrfdsError.js';
import type { AuthStore, AuthUser, Role } from './AuthStore.js';

/** Hono variables set by `authenticate`: `c.get('user')` is the logged-in user or undefined. */
export interface AuthVariables {
  user: AuthUser | undefined;
}
export interface AuthEnv {
  Variables: AuthVariables;
}

export const sessionCookieName = 'drfds_session';

/** The session token from the HttpOnly cookie, or from `Authorization: Bearer …` for scripts. */
export function sessionTokenOf(c: Context): string | undefined {
  const header = c.req.header('authorization');
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim() || undefined;
  return getCookie(c, sessionCookieName) || undefined;
}

/** Resolves the session (if any) to `c.var.user`; never rejects by itself. */
export function authenticate(store: AuthStore): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const token = sessionTokenOf(c);
    c.set('user', token === undefined ? undefined : await store.userForToken(token));
    await next();
  };
}

/** 401 without a live session; 403 when `roles` is given and the user has none of them. */
export function requireUser(options: { roles?: readonly Role[] } = {}): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const user = c.get('user');
    if (!user) throw new DrfdsError('auth/unauthenticated', 'please log in first (no valid session)', { httpStatus: 401 });
    if (options.roles && !options.roles.includes(user.role)) {
      throw new DrfdsError('auth/forbidden', `this needs the ${options.roles.join(' or ')} role; you are logged in as ${user.role}`, { httpStatus: 403 });
    }
    await next();
  };
}

export const requireRole = (...roles: Role[]): MiddlewareHandler<AuthEnv> => requireUser({ roles });

/** The logged-in user inside a handler behind `requireUser` (throws 401 if the middleware was forgotten). */
export function currentUser(c: Context<AuthEnv>): AuthUser {
  const user = c.get('user');
  if (!user) throw new DrfdsError('auth/unauthenticated', 'please log in first (no valid session)', { httpStatus: 401 });
  return user;
}
