import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { EventEmitter } from 'node:events';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { createAuthRoutes, type AuthStore } from '../../auth/index.js';
import { sessionTokenOf } from '../../auth/middleware.js';
import { DrfdsError, isDrfdsError } from '../../errors/DrfdsError.js';
import type { DeliveryQueue, DeliveryRow } from '../../queue/DeliveryQueue.js';
import type { JobOrder, JobQueue, JobRow, JobStatus } from '../../queue/JobQueue.js';
import type { AuditLog } from '../AuditLog.js';
import type { Intake } from '../intake/Intake.js';
import type { Logger } from '../logger.js';
import type { TokenStore } from '../tokens.js';
import { TOKEN_PREFIX } from '../tokens.js';
import { boundaryOf, parseMultipartRelated } from './multipartRelated.js';

/** Who is calling: an API token (a machine) or a logged-in user (the web). */
export interface Actor {
  readonly kind: 'token' | 'user';
  readonly name: string;
  /** Users only: their role in src/auth. */
  readonly role?: 'admin' | 'reader';
}

export type ServerEnv = { Variables: { actor: Actor } };

export interface RuntimeInfo {
  readonly startedAt: number;
  readonly workerId: string;
  readonly workers: number;
  readonly busyWorkers: number;
  readonly model: { readonly name: string; readonly version: string; readonly sha256: string; readonly trained: boolean } | undefined;
  readonly dicom: { readonly aeTitle: string; readonly port: number } | undefined;
}

export interface AppDeps {
  readonly queue: JobQueue;
  readonly deliveries: DeliveryQueue;
  readonly intake: Intake;
  readonly tokens: TokenStore;
  readonly audit: AuditLog;
  /** Web accounts (src/auth); without it the web pages accept an API token in the login form. */
  readonly auth?: AuthStore;
  /** Emits 'change' with JobEvent / DeliveryEvent objects (the live updates). */
  readonly events: EventEmitter;
  readonly logger: Logger;
  readonly dataDir: string;
  readonly maxUploadBytes: number;
  readonly secureCookies: boolean;
  /** Folder of the worklist web app (web/worklist). */
  readonly webDir: string;
  readonly runtime: () => RuntimeInfo;
  /** Other apps to mount (e.g. the reader study at /study). */
  readonly mounts?: ReadonlyArray<{ readonly path: string; readonly app: Hono<any> }>;
  /** Interval of SSE keep-alive comments. */
  readonly sseKeepAliveMs?: number;
}

const tokenCookie = 'drfds_api_token';

const WEB_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

function notFound(what: string): DrfdsError {
  return new DrfdsError('not-found', what, { httpStatus: 404 });
}

/** The public view of a job: status, result when done, reason when failed — the shape docs/api/openapi.yaml documents. */
export function jobView(job: JobRow, deliveries?: readonly DeliveryRow[]): Record<string, unknown> {
  return {
    id: job.id,
    status: job.status,
    receivedAt: new Date(job.receivedAt).toISOString(),
    receivedVia: job.receivedVia,
    sourceFormat: job.sourceFormat,
    attempts: job.attempts,
    ...(job.startedAt === null ? {} : { startedAt: new Date(job.startedAt).toISOString() }),
    ...(job.finishedAt === null ? {} : { finishedAt: new Date(job.finishedAt).toISOString() }),
    ...(job.resultJson === null ? {} : { result: JSON.parse(job.resultJson) as unknown }),
    ...(job.status === 'failed' ? { error: job.error ?? 'failed', errorCode: job.errorCode } : {}),
    ...(deliveries === undefined ? {} : {
      deliveries: deliveries.map((d) => ({ destination: d.destination, kind: d.kind, sopInstanceUid: d.sopInstanceUid, status: d.status, attempts: d.attempts, ...(d.lastError === null ? {} : { lastError: d.lastError }), ...(d.sentAt === null ? {} : { sentAt: new Date(d.sentAt).toISOString() }) })),
    }),
  };
}

/** A worklist row: what triage needs, nothing that identifies the patient. */
function worklistEntry(job: JobRow): Record<string, unknown> {
  let findings: number | undefined;
  let modelTrained: boolean | undefined;
  if (job.resultJson !== null) {
    const result = JSON.parse(job.resultJson) as { findings?: unknown[]; model?: { trained?: boolean } };
    findings = result.findings?.length;
    modelTrained = result.model?.trained;
  }
  return {
    id: job.id,
    status: job.status,
    receivedAt: new Date(job.receivedAt).toISOString(),
    receivedVia: job.receivedVia,
    ...(job.probability === null ? {} : { probability: job.probability }),
    ...(job.decision === null ? {} : { decision: job.decision }),
    ...(findings === undefined ? {} : { findings }),
    ...(modelTrained === undefined ? {} : { modelTrained }),
    ...(job.status === 'failed' ? { error: job.error } : {}),
  };
}

/**
 * The HTTP side of `drfds serve` (Hono): the image API, DICOMweb STOW-RS, status, live events (SSE), the worklist
 * web app and mounted apps. One error handler turns DrfdsError into `{error: {code, message}}` with its status;
 * anything else is logged and answers 500.
 */
export function createApp(deps: AppDeps): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  const { queue, logger } = deps;

  app.onError((error, c) => {
    if (isDrfdsError(error)) {
      const status = error.httpStatus ?? 400;
      if (status >= 500) logger.error('http.error', { path: c.req.path, code: error.code, error: error.message });
      else logger.info('http.rejected', { path: c.req.path, code: error.code, status });
      return c.json({ error: { code: error.code, message: error.message } }, status as 400);
    }
    logger.error('http.internal-error', { path: c.req.path, error: error.message });
    return c.json({ error: { code: 'internal', message: 'internal error; see the service log' } }, 500);
  });
  app.notFound((c) => c.json({ error: { code: 'not-found', message: `no route ${c.req.method} ${c.req.path}` } }, 404));

  /** API token (Authorization: Bearer drfds_…, or the token cookie of the web form) or a web session of src/auth. */
  const authenticate: MiddlewareHandler<ServerEnv> = async (c, next) => {
    const header = c.req.header('authorization');
    const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const cookieToken = c.req.header('cookie')?.split(/;\s*/).find((p) => p.startsWith(`${tokenCookie}=`))?.slice(tokenCookie.length + 1);
    const apiToken = bearer?.startsWith(TOKEN_PREFIX) ? bearer : cookieToken === undefined ? undefined : decodeURIComponent(cookieToken);
    if (apiToken !== undefined) {
      const name = await deps.tokens.verify(apiToken);
      if (name !== undefined) {
        c.set('actor', { kind: 'token', name });
        return next();
      }
    }
    if (deps.auth !== undefined) {
      const session = sessionTokenOf(c);
      const user = session === undefined || session.startsWith(TOKEN_PREFIX) ? undefined : await deps.auth.userForToken(session);
      if (user !== undefined && !user.disabled) {
        c.set('actor', { kind: 'user', name: user.username, role: user.role });
        return next();
      }
    }
    throw new DrfdsError('auth/unauthenticated', 'send an API token (Authorization: Bearer drfds_…, see `drfds token create`) or log in', { httpStatus: 401 });
  };

  const limit = bodyLimit({
    maxSize: deps.maxUploadBytes,
    onError: () => {
      throw new DrfdsError('upload/too-large', `the upload exceeds the limit of ${deps.maxUploadBytes} bytes (http.maxUploadBytes)`, { httpStatus: 413 });
    },
  });

  const remote = (c: Context): string | undefined => c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
  const actorName = (c: Context<ServerEnv>): string => `${c.var.actor.kind}:${c.var.actor.name}`;

  // ——— health, for a reverse proxy or load balancer (no data, no auth) ———
  app.get('/healthz', (c) => c.json({ ok: true }));

  // ——— web login ———
  if (deps.auth !== undefined) app.route('/api/v1/auth', createAuthRoutes(deps.auth, { secureCookie: deps.secureCookies }));
  app.post('/api/v1/token-session', async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as { token?: unknown } | undefined;
    if (typeof body?.token !== 'string' || (await deps.tokens.verify(body.token)) === undefined) {
      throw new DrfdsError('auth/bad-token', 'unknown or revoked API token', { httpStatus: 401 });
    }
    const secure = deps.secureCookies ? '; Secure' : '';
    c.header('Set-Cookie', `${tokenCookie}=${encodeURIComponent(body.token)}; HttpOnly; SameSite=Strict; Path=/${secure}`);
    return c.json({ ok: true });
  });
  app.post('/api/v1/logout', (c) => {
    c.header('Set-Cookie', `${tokenCookie}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`, { append: true });
    c.header('Set-Cookie', 'drfds_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0', { append: true });
    return c.json({ ok: true });
  });

  app.use('/api/v1/images', authenticate);
  app.use('/api/v1/images/*', authenticate);
  for (const path of ['/api/v1/worklist', '/api/v1/status', '/api/v1/events', '/api/v1/me', '/api/v1/audit', '/dicomweb/*']) app.use(path, authenticate);

  app.get('/api/v1/me', (c) => c.json({ actor: { kind: c.var.actor.kind, name: c.var.actor.name }, loginWith: deps.auth === undefined ? ['token'] : ['password', 'token'] }));

  // ——— images in ———
  app.post('/api/v1/images', limit, async (c) => {
    const contentType = c.req.header('content-type') ?? '';
    let bytes: Uint8Array;
    let declared: string | undefined;
    if (contentType.toLowerCase().startsWith('multipart/form-data')) {
      const form = await c.req.parseBody();
      const file = form.file;
      if (!(file instanceof File)) throw new DrfdsError('upload/no-file', 'the multipart form has no "file" part holding the image', { httpStatus: 400 });
      bytes = new Uint8Array(await file.arrayBuffer());
      declared = file.type === '' ? undefined : file.type;
    } else {
      if (contentType === '') throw new DrfdsError('upload/no-content-type', 'set Content-Type: application/dicom, image/jpeg, image/png or multipart/form-data', { httpStatus: 415 });
      bytes = new Uint8Array(await c.req.arrayBuffer());
      declared = contentType;
    }
    const accepted = await deps.intake.submit(bytes, { via: 'http', ...(declared === undefined ? {} : { declaredType: declared }), submittedBy: actorName(c) });
    c.header('Location', `/api/v1/images/${accepted.id}`);
    return c.json({ id: accepted.id, status: accepted.job.status, duplicate: accepted.duplicate }, 202);
  });

  // ——— status and results out ———
  app.get('/api/v1/images/:id', async (c) => {
    const job = await queue.get(c.req.param('id'));
    if (job === undefined) throw notFound(`no image with id ${c.req.param('id')}`);
    if (job.status === 'done') await deps.audit.record(actorName(c), 'view-result', job.id, remote(c));
    return c.json(jobView(job, await deps.deliveries.forJob(job.id)));
  });

  app.get('/api/v1/images/:id/preview.png', async (c) => {
    const job = await queue.get(c.req.param('id'));
    if (job === undefined) throw notFound(`no image with id ${c.req.param('id')}`);
    if (job.previewPath === null) throw notFound(`image ${job.id} has no preview yet (status ${job.status})`);
    await deps.audit.record(actorName(c), 'view-image', job.id, remote(c));
    c.header('Cache-Control', 'private, max-age=3600');
    return c.body(readFileSync(join(deps.dataDir, job.previewPath)), 200, { 'Content-Type': 'image/png' });
  });

  app.get('/api/v1/worklist', async (c) => {
    const order = (c.req.query('order') ?? 'newest') as JobOrder;
    if (order !== 'newest' && order !== 'probability') throw new DrfdsError('bad-request', 'order is "newest" or "probability"', { httpStatus: 400 });
    const status = c.req.query('status') as JobStatus | undefined;
    if (status !== undefined && !['queued', 'running', 'done', 'failed'].includes(status)) throw new DrfdsError('bad-request', 'status is queued, running, done or failed', { httpStatus: 400 });
    const limitText = c.req.query('limit') ?? '200';
    if (!/^\d+$/.test(limitText)) throw new DrfdsError('bad-request', 'limit must be a positive integer', { httpStatus: 400 });
    await deps.audit.record(actorName(c), 'view-worklist', undefined, remote(c));
    const jobs = await queue.list({ order, limit: Number(limitText), ...(status === undefined ? {} : { status }) });
    return c.json({ order, entries: jobs.map(worklistEntry) });
  });

  app.get('/api/v1/status', async (c) => {
    const runtime = deps.runtime();
    return c.json({
      startedAt: new Date(runtime.startedAt).toISOString(),
      uptimeS: Math.round((Date.now() - runtime.startedAt) / 1000),
      process: { workerId: runtime.workerId, workers: runtime.workers, busyWorkers: runtime.busyWorkers, rssBytes: process.memoryUsage().rss },
      model: runtime.model ?? null,
      dicom: runtime.dicom ?? null,
      queue: await queue.stats(),
      deliveries: await deps.deliveries.stats(),
    });
  });

  app.get('/api/v1/audit', async (c) => {
    if (c.var.actor.kind === 'user' && c.var.actor.role !== 'admin') {
      throw new DrfdsError('auth/forbidden', 'the audit log is for administrators (or an API token)', { httpStatus: 403 });
    }
    const job = c.req.query('job');
    return c.json({ entries: job === undefined ? await deps.audit.recent(200) : await deps.audit.forJob(job) });
  });

  // ——— live updates (server-sent events) ———
  app.get('/api/v1/events', (c) =>
    streamSSE(c, async (stream) => {
      let closed = false;
      let wake: (() => void) | undefined;
      const close = (): void => {
        closed = true;
        wake?.();
      };
      const listener = (event: unknown): void => {
        void stream.writeSSE({ event: 'change', data: JSON.stringify(event) }).catch(close);
      };
      deps.events.on('change', listener);
      deps.events.once('shutdown', close);
      stream.onAbort(close);
      try {
        await stream.writeSSE({ event: 'hello', data: JSON.stringify({ at: new Date().toISOString() }) });
        const keepAlive = deps.sseKeepAliveMs ?? 15_000;
        while (!closed) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, keepAlive);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          if (!closed) await stream.write(': keep-alive\n\n');
        }
      } finally {
        deps.events.off('change', listener);
        deps.events.off('shutdown', close);
      }
    }));

  // ——— DICOMweb STOW-RS (PS3.18 10.5) ———
  app.post('/dicomweb/studies', limit, async (c) => {
    const contentType = c.req.header('content-type') ?? '';
    if (!/^multipart\/related/i.test(contentType)) {
      throw new DrfdsError('stow/unsupported-media-type', `STOW-RS needs Content-Type multipart/related; type="application/dicom", got "${contentType || 'none'}"`, { httpStatus: 415 });
    }
    const type = /;\s*type="?([^";]+)"?/i.exec(contentType)?.[1]?.toLowerCase();
    if (type !== undefined && type !== 'application/dicom') {
      throw new DrfdsError('stow/unsupported-media-type', `only type="application/dicom" (Part 10 instances) is accepted, got type="${type}"`, { httpStatus: 415 });
    }
    const boundary = boundaryOf(contentType);
    if (boundary === undefined) throw new DrfdsError('stow/bad-multipart', 'the Content-Type has no boundary parameter', { httpStatus: 400 });
    const parts = parseMultipartRelated(new Uint8Array(await c.req.arrayBuffer()), boundary);
    const referenced: Record<string, unknown>[] = [];
    const failed: Record<string, unknown>[] = [];
    const warnings: string[] = [];
    for (const [index, part] of parts.entries()) {
      try {
        if (part.contentType !== undefined && part.contentType.split(';')[0]?.trim().toLowerCase() !== 'application/dicom') {
          throw new DrfdsError('stow/unsupported-part', `part ${index + 1} is ${part.contentType}; only application/dicom parts are accepted`, { httpStatus: 415 });
        }
        const accepted = await deps.intake.submit(part.body, { via: 'stow-rs', declaredType: 'application/dicom', submittedBy: actorName(c) });
        referenced.push({
          '00081150': { vr: 'UI', Value: [accepted.sopClassUid ?? ''] },
          '00081155': { vr: 'UI', Value: [accepted.sopInstanceUid ?? ''] },
          '00081190': { vr: 'UR', Value: [`/api/v1/images/${accepted.id}`] },
        });
      } catch (error) {
        if (!isDrfdsError(error) || (error.httpStatus ?? 500) >= 500) throw error;
        failed.push({ '00081197': { vr: 'US', Value: [0xc000] } });
        warnings.push(`299 drfds "part ${index + 1}: ${error.message.replace(/"/g, "'")}"`);
      }
    }
    for (const w of warnings) c.header('Warning', w, { append: true });
    const body: Record<string, unknown> = {};
    if (referenced.length > 0) body['00081199'] = { vr: 'SQ', Value: referenced };
    if (failed.length > 0) body['00081198'] = { vr: 'SQ', Value: failed };
    const status = failed.length === 0 ? 200 : referenced.length === 0 ? 409 : 202;
    return c.body(JSON.stringify(body), status, { 'Content-Type': 'application/dicom+json' });
  });

  // ——— web app ———
  app.get('/', (c) => c.redirect('/worklist/'));
  app.get('/worklist', (c) => c.redirect('/worklist/'));
  app.get('/worklist/*', (c) => {
    const relative = c.req.path.slice('/worklist/'.length) || 'index.html';
    const path = resolve(deps.webDir, normalize(relative));
    if (!path.startsWith(resolve(deps.webDir) + sep) || !existsSync(path) || !statSync(path).isFile()) throw notFound(`no file ${c.req.path}`);
    const type = WEB_TYPES[extname(path)] ?? 'application/octet-stream';
    c.header('Content-Security-Policy', "default-src 'self'; img-src 'self' blob:; style-src 'self'; script-src 'self'");
    c.header('X-Content-Type-Options', 'nosniff');
    return c.body(readFileSync(path), 200, { 'Content-Type': type });
  });

  for (const mount of deps.mounts ?? []) app.route(mount.path, mount.app);
  return app;
}
