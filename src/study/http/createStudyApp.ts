import { readFile } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import { Hono, type Context } from 'hono';
import { authenticate, createAuthRoutes, currentUser, errorResponse, requireRole, requireUser, type AuthEnv, type AuthStore, type AuthUser } from '../../auth/index.js';
import { repositoryRoot } from '../../cli/packageVersion.js';
import type { Detector } from '../../detector/Detector.js';
import { DrfdsError } from '../../errors/DrfdsError.js';
import { analyzeStudy } from '../analysis/studyAnalysis.js';
import { studyReportHtml } from '../analysis/studyReportHtml.js';
import type { ModelOutput, SessionNumber, StudyBox, StudyCase } from '../domain/types.js';
import { consensusCoco, consensusOverview } from '../consensus/consensus.js';
import { readCaseViewerPixels, type ViewerPixels } from '../setup/caseImage.js';
import { loadStudyCases, type CaseSelection } from '../setup/loadStudyCases.js';
import { modelOutputsFromPredictions, runModelOnCases } from '../setup/modelOutputs.js';
import type { ReadSubmission, StudyStore } from '../store/StudyStore.js';

export interface StudyAppDeps {
  readonly auth: AuthStore;
  readonly studies: StudyStore;
  /** Folders an admin may point a study's data set at (anything else is refused). */
  readonly dataRoots: readonly string[];
  /** Opens a model package (normally `createDetector` of src/detector). Needed to run the model at set-up. */
  readonly loadDetector?: (packageDir: string) => Promise<Detector>;
  /** Model package used when the admin names none. */
  readonly defaultModelDir?: string;
  /** The browser app's folder; `web/study` of the repository by default. */
  readonly webDir?: string;
  readonly secureCookie?: boolean;
}

const webTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function bad(message: string): DrfdsError {
  return new DrfdsError('study/bad-request', message, { httpStatus: 400 });
}

function intParam(c: Context, name: string): number {
  const text = c.req.param(name) ?? '';
  if (!/^\d+$/.test(text)) throw bad(`"${name}" must be a positive integer, got "${text}"`);
  return Number(text);
}

function sessionParam(c: Context): SessionNumber {
  const n = intParam(c, 'n');
  if (n !== 1 && n !== 2) throw bad('the session is 1 (unaided) or 2 (aided)');
  return n;
}

async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  const body = (await c.req.json().catch(() => undefined)) as unknown;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('send a JSON object');
  return body as Record<string, unknown>;
}

function insideRoots(path: string, roots: readonly string[], what: string): string {
  const absolute = resolve(path);
  if (!roots.some((root) => { const r = relative(resolve(root), absolute); return r === '' || (!r.startsWith('..') && !r.startsWith(sep) && !/^[A-Za-z]:/.test(r)); })) {
    throw new DrfdsError('study/path-not-allowed', `${what} ${path} is outside the data folders this service may read (${roots.join(', ') || 'none configured'})`, { httpStatus: 403 });
  }
  return absolute;
}

/** What a reader is allowed to know about a case: never truth, reference boxes, file name or subgroup fields. */
function caseForReader(studyCase: StudyCase, session: SessionNumber): { id: number; width: number; height: number; modelBoxes?: ModelOutput['boxes'] } {
  const base = { id: studyCase.id, width: studyCase.width, height: studyCase.height };
  // The unaided session never sees model output; the aided one sees the boxes (not the scores' raw list order).
  return session === 2 ? { ...base, modelBoxes: studyCase.model?.boxes ?? [] } : base;
}

/**
 * Raw gray values, row-major (16-bit little-endian when x-bits-stored > 8); the viewer does window/level, invert,
 * zoom and pan itself, starting from the file's window when there is one.
 */
function pixelResponse(pixels: ViewerPixels): Response {
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream',
    'x-image-width': String(pixels.width),
    'x-image-height': String(pixels.height),
    'x-bits-stored': String(pixels.bitsStored),
    'x-invert': pixels.invert ? '1' : '0',
    'cache-control': 'private, no-store',
  };
  if (pixels.window) {
    headers['x-window-center'] = String(pixels.window.center);
    headers['x-window-width'] = String(pixels.window.width);
  }
  const body = pixels.data instanceof Uint16Array ? new Uint8Array(pixels.data.buffer, pixels.data.byteOffset, pixels.data.byteLength) : pixels.data;
  return new Response(body, { headers });
}

/**
 * The reader-study service: `/api/...` (JSON) and the browser app (`/`). Mount it where you like, e.g.
 * `app.route('/study', createStudyApp(deps))`; the pages use relative URLs.
 */
export function createStudyApp(deps: StudyAppDeps): Hono<AuthEnv> {
  const { studies, auth } = deps;
  const webDir = resolve(deps.webDir ?? join(repositoryRoot(), 'web', 'study'));
  const pixelCache = new Map<number, ViewerPixels>();
  const app = new Hono<AuthEnv>();
  app.onError(errorResponse);

  const casePixels = async (studyId: number, caseId: number): Promise<ViewerPixels> => {
    const studyCase = await studies.getCase(studyId, caseId); // 404 for a case of another study, cached or not
    let pixels = pixelCache.get(caseId);
    if (!pixels) {
      pixels = await readCaseViewerPixels(studyCase.imagePath);
      pixelCache.set(caseId, pixels);
      if (pixelCache.size > 8) pixelCache.delete(pixelCache.keys().next().value as number);
    }
    return pixels;
  };

  app.route('/api/auth', createAuthRoutes(auth, { secureCookie: deps.secureCookie ?? false }));
  app.use('/api/*', authenticate(auth));
  app.use('/api/*', async (c, next) => {
    if (c.req.path.includes('/api/auth/')) return next();
    return requireUser()(c, next);
  });
  app.use('/api/admin/*', requireRole('admin'));

  // ——— reader ———

  const sessionSummary = async (studyId: number, user: AuthUser, number: SessionNumber) => {
    const session = await studies.getSession(studyId, user.id, number);
    return {
      number,
      availability: await studies.availability(studyId, user.id, number),
      startedAt: session?.startedAt ?? null,
      completedAt: session?.completedAt ?? null,
      progress: await studies.progress(studyId, user.id, number),
    };
  };

  app.get('/api/studies', async (c) => {
    const user = currentUser(c);
    const list = [];
    for (const study of await studies.studiesOfReader(user.id)) {
      list.push({
        id: study.id,
        name: study.name,
        status: study.status,
        washoutDays: study.washoutDays,
        sessions: [await sessionSummary(study.id, user, 1), await sessionSummary(study.id, user, 2)],
      });
    }
    return c.json({ user, studies: list });
  });

  const requireStudyReader = async (c: Context<AuthEnv>): Promise<{ user: AuthUser; studyId: number }> => {
    const user = currentUser(c);
    const studyId = intParam(c, 'sid');
    await studies.getStudy(studyId);
    if (!(await studies.isReader(studyId, user.id))) throw new DrfdsError('study/not-a-reader', 'you are not a reader of this study', { httpStatus: 403 });
    return { user, studyId };
  };

  app.get('/api/studies/:sid/sessions/:n', async (c) => {
    const { user, studyId } = await requireStudyReader(c);
    return c.json(await sessionSummary(studyId, user, sessionParam(c)));
  });

  app.post('/api/studies/:sid/sessions/:n/open', async (c) => {
    const { user, studyId } = await requireStudyReader(c);
    const number = sessionParam(c);
    await studies.startSession(studyId, user.id, number);
    return c.json(await sessionSummary(studyId, user, number));
  });

  app.get('/api/studies/:sid/sessions/:n/current', async (c) => {
    const { user, studyId } = await requireStudyReader(c);
    const number = sessionParam(c);
    const session = await studies.getSession(studyId, user.id, number);
    if (!session) throw new DrfdsError('study/session-not-started', `open session ${number} first`, { httpStatus: 409 });
    const progress = await studies.progress(studyId, user.id, number);
    if (progress.nextCaseId === null) return c.json({ done: true, progress });
    const studyCase = await studies.getCase(studyId, progress.nextCaseId);
    return c.json({ done: false, progress, case: caseForReader(studyCase, number), timing: await studies.viewState(studyId, user.id, number, studyCase.id) });
  });

  app.get('/api/studies/:sid/sessions/:n/cases/:cid/pixels', async (c) => {
    const { user, studyId } = await requireStudyReader(c);
    const number = sessionParam(c);
    const caseId = intParam(c, 'cid');
    await studies.assertMayView(studyId, user.id, number, caseId);
    return pixelResponse(await casePixels(studyId, caseId));
  });

  app.post('/api/studies/:sid/sessions/:n/cases/:cid/time', async (c) => {
    const { user, studyId } = await requireStudyReader(c);
    const body = await jsonBody(c);
    const visibleMs = body.visibleMs;
    if (typeof visibleMs !== 'number' || !Number.isFinite(visibleMs) || visibleMs < 0) throw bad('"visibleMs" must be a number ≥ 0');
    return c.json(await studies.reportTime(studyId, user.id, sessionParam(c), intParam(c, 'cid'), visibleMs));
  });

  app.post('/api/studies/:sid/sessions/:n/cases/:cid/read', async (c) => {
    const { user, studyId } = await requireStudyReader(c);
    const number = sessionParam(c);
    const body = await jsonBody(c);
    const submission: ReadSubmission = {
      boxes: body.boxes as ReadSubmission['boxes'],
      confidence: body.confidence === null || body.confidence === undefined ? null : (body.confidence as number),
      noFracture: body.noFracture as boolean,
      unreportedMs: typeof body.unreportedMs === 'number' ? body.unreportedMs : 0,
      acceptedModelBoxes: Array.isArray(body.acceptedModelBoxes) ? (body.acceptedModelBoxes as number[]) : [],
    };
    // Committed (SQLite synchronous = FULL, PostgreSQL synchronous commit) before this reply is sent.
    const read = await studies.submitRead(studyId, user.id, number, intParam(c, 'cid'), submission);
    return c.json({ read, progress: await studies.progress(studyId, user.id, number) }, 201);
  });

  /** One read: its own reader or an admin; anyone else gets 404 (not 403, so ids do not reveal others' reads). */
  app.get('/api/reads/:rid', async (c) => {
    const user = currentUser(c);
    const read = await studies.getRead(intParam(c, 'rid'));
    if (!read || (read.userId !== user.id && user.role !== 'admin')) throw new DrfdsError('study/read-not-found', 'no such read of yours', { httpStatus: 404 });
    return c.json({ read });
  });

  app.get('/api/studies/:sid/my-reads', async (c) => {
    const { user, studyId } = await requireStudyReader(c);
    return c.json({ reads: await studies.reads(studyId, { userId: user.id }) });
  });

  // ——— admin ———

  app.get('/api/admin/users', async (c) => c.json({ users: await auth.listUsers() }));
  app.post('/api/admin/users', async (c) => {
    const body = await jsonBody(c);
    const user = await auth.createUser({
      username: String(body.username ?? ''),
      password: String(body.password ?? ''),
      role: (body.role ?? 'reader') as 'reader',
      displayName: typeof body.displayName === 'string' && body.displayName !== '' ? body.displayName : String(body.username ?? ''),
      group: typeof body.group === 'string' && body.group !== '' ? body.group : null,
    }, currentUser(c).id);
    return c.json({ user }, 201);
  });

  const studyDetail = async (studyId: number) => {
    const study = await studies.getStudy(studyId);
    const cases = await studies.cases(studyId);
    const readers = [];
    for (const id of await studies.readerIds(studyId)) {
      const user = await auth.getUser(id);
      const sessions = [];
      for (const n of [1, 2] as const) {
        const s = await studies.getSession(studyId, id, n);
        sessions.push({ number: n, startedAt: s?.startedAt ?? null, completedAt: s?.completedAt ?? null, progress: await studies.progress(studyId, id, n), availability: await studies.availability(studyId, id, n) });
      }
      readers.push({ id, username: user?.username ?? `#${id}`, displayName: user?.displayName ?? '', group: user?.group ?? null, sessions, override: (await studies.overrideOf(studyId, id)) ?? null });
    }
    return {
      study,
      cases: { total: cases.length, fracture: cases.filter((c) => c.truth === 1).length, withModelOutput: cases.filter((c) => c.model !== null).length },
      readers,
    };
  };

  app.get('/api/admin/studies', async (c) => {
    const list = [];
    for (const s of await studies.listStudies()) list.push(await studyDetail(s.id));
    return c.json({ studies: list });
  });
  app.get('/api/admin/studies/:sid', async (c) => c.json(await studyDetail(intParam(c, 'sid'))));

  app.post('/api/admin/studies', async (c) => {
    const admin = currentUser(c);
    const body = await jsonBody(c);
    if (typeof body.annotations !== 'string' || typeof body.images !== 'string') throw bad('"annotations" (COCO JSON path) and "images" (folder) are required');
    const annotations = insideRoots(body.annotations, deps.dataRoots, 'annotations file');
    const images = insideRoots(body.images, deps.dataRoots, 'image folder');
    const subgroupFields = Array.isArray(body.subgroupFields) ? body.subgroupFields.map(String) : [];
    const cases = loadStudyCases(annotations, images, { selection: (body.selection ?? {}) as CaseSelection, subgroupFields });
    const study = await studies.createStudy({
      name: String(body.name ?? ''),
      washoutDays: body.washoutDays === undefined ? undefined : Number(body.washoutDays),
      seed: typeof body.seed === 'string' ? body.seed : undefined,
      source: { annotations, images },
      subgroupFields,
      cases,
    }, admin.id);
    return c.json(await studyDetail(study.id), 201);
  });

  app.post('/api/admin/studies/:sid/model', async (c) => {
    const admin = currentUser(c);
    const studyId = intParam(c, 'sid');
    const body = await jsonBody(c).catch(() => ({}) as Record<string, unknown>);
    const cases = await studies.cases(studyId);
    if (Array.isArray(body.predictions)) {
      const thresholds = body.thresholds as { highSensitivity?: unknown; highSpecificity?: unknown } | undefined;
      if (typeof thresholds?.highSensitivity !== 'number' || typeof thresholds.highSpecificity !== 'number') throw bad('predictions need "thresholds": {highSensitivity, highSpecificity}');
      const t = { highSensitivity: thresholds.highSensitivity, highSpecificity: thresholds.highSpecificity };
      const outputs = modelOutputsFromPredictions(body.predictions as Array<{ image_id: number; bbox: number[]; score: number }>, cases, t);
      await studies.setModelOutputs(studyId, { name: String(body.modelName ?? 'imported predictions'), version: String(body.modelVersion ?? '0'), thresholds: t }, outputs, admin.id);
      return c.json(await studyDetail(studyId));
    }
    const modelDir = typeof body.modelDir === 'string' ? body.modelDir : deps.defaultModelDir;
    if (!deps.loadDetector || modelDir === undefined) throw new DrfdsError('study/no-detector', 'this service has no model configured; name a model package ("modelDir") or upload predictions', { httpStatus: 409 });
    const detector = await deps.loadDetector(modelDir);
    try {
      const { model, outputs } = await runModelOnCases(detector, cases);
      await studies.setModelOutputs(studyId, model, outputs, admin.id);
    } finally {
      await detector.release();
    }
    return c.json(await studyDetail(studyId));
  });

  app.post('/api/admin/studies/:sid/readers', async (c) => {
    const studyId = intParam(c, 'sid');
    const body = await jsonBody(c);
    const user = typeof body.userId === 'number' ? await auth.getUser(body.userId) : await auth.findUser(String(body.username ?? ''));
    if (!user) throw new DrfdsError('study/no-user', `no user "${String(body.username ?? body.userId)}"; create the account first`, { httpStatus: 404 });
    if (user.role !== 'reader') throw bad(`${user.username} is an ${user.role}, not a reader`);
    await studies.addReader(studyId, user.id, currentUser(c).id);
    return c.json(await studyDetail(studyId));
  });

  app.post('/api/admin/studies/:sid/start', async (c) => {
    const studyId = intParam(c, 'sid');
    await studies.start(studyId, currentUser(c).id);
    return c.json(await studyDetail(studyId));
  });

  app.post('/api/admin/studies/:sid/readers/:uid/override', async (c) => {
    const studyId = intParam(c, 'sid');
    const body = await jsonBody(c);
    await studies.overrideWashout(studyId, intParam(c, 'uid'), typeof body.reason === 'string' ? body.reason : '', currentUser(c).id);
    return c.json(await studyDetail(studyId));
  });

  // ——— consensus: reference standards from two or more readers' session-1 boxes ———

  app.get('/api/admin/studies/:sid/cases/:cid/pixels', async (c) => pixelResponse(await casePixels(intParam(c, 'sid'), intParam(c, 'cid'))));
  app.get('/api/admin/studies/:sid/consensus', async (c) => c.json({ cases: await consensusOverview(studies, auth, intParam(c, 'sid')) }));
  app.get('/api/admin/studies/:sid/consensus/coco', async (c) => c.json(await consensusCoco(studies, auth, intParam(c, 'sid'))));
  app.post('/api/admin/studies/:sid/consensus/:cid', async (c) => {
    const body = await jsonBody(c);
    if (!Array.isArray(body.boxes)) throw bad('send {"boxes": [{x, y, width, height}, ...]} (an empty list = no fracture)');
    const studyId = intParam(c, 'sid');
    await studies.saveConsensus(studyId, intParam(c, 'cid'), body.boxes as StudyBox[], currentUser(c).id);
    return c.json({ cases: await consensusOverview(studies, auth, studyId) });
  });

  app.get('/api/admin/studies/:sid/audit', async (c) => c.json({ audit: await studies.auditLog(intParam(c, 'sid')) }));
  app.get('/api/admin/studies/:sid/reads', async (c) => c.json({ reads: await studies.reads(intParam(c, 'sid')) }));
  app.get('/api/admin/studies/:sid/analysis', async (c) => c.json(await analyzeStudy(studies, auth, intParam(c, 'sid'))));
  app.get('/api/admin/studies/:sid/report', async (c) => c.html(studyReportHtml(await analyzeStudy(studies, auth, intParam(c, 'sid')))));

  // ——— the browser app ———

  app.all('/api/*', () => {
    throw new DrfdsError('study/no-route', 'no such reader-study API route', { httpStatus: 404 });
  });

  app.get('*', async (c) => {
    const path = c.req.path;
    const tail = path.split('/').pop() ?? '';
    // The pages use relative URLs: `/study` must become `/study/`.
    if (tail !== '' && !tail.includes('.')) return c.redirect(`${path}/`, 302);
    const name = tail === '' || !tail.includes('.') ? 'index.html' : tail;
    const type = webTypes[extname(name)];
    if (!type || !/^[A-Za-z0-9_.-]+$/.test(name)) return c.notFound();
    try {
      return c.body(await readFile(join(webDir, name)), 200, { 'content-type': type, 'cache-control': 'no-cache' });
    } catch {
      return c.notFound();
    }
  });

  return app;
}
