import type { Context } from 'hono';
import { isDrfdsError } from '../errors/DrfdsError.js';

/**
 * The one place an error becomes an HTTP response (Hono `app.onError(errorResponse)`): a DrfdsError with a status
 * answers `{error: {code, message}}` with that status; anything else is logged and answers a bare 500.
 */
export function errorResponse(error: Error, c: Context): Response {
  if (isDrfdsError(error) && error.httpStatus !== undefined) {
    return c.json({ error: { code: error.code, message: error.message } }, error.httpStatus as 400);
  }
  if (isDrfdsError(error)) return c.json({ error: { code: error.code, message: error.message } }, 400);
  console.error('drfds: internal error', error);
  return c.json({ error: { code: 'internal', message: 'internal error; see the service log' } }, 500);
}
