import { randomBytes } from 'node:crypto';
import { DrfdsError } from '../../errors/DrfdsError.js';
import { applyMigrations, type SqliteDatabase } from '../../storage/sqlite.js';
import { seededShuffle, sessionSeed } from '../domain/caseOrder.js';
import type { ModelOutput, Read, ReaderSession, SessionNumber, Study, StudyBox, StudyCase, StudyStatus } from '../domain/types.js';
import { studyMigrations } from './migrations.js';

export interface NewStudyCase {
  readonly key: string;
  readonly imagePath: string;
  readonly width: number;
  readonly height: number;
  readonly truth: 0 | 1;
  readonly referenceBoxes: readonly StudyBox[];
  readonly fields: Readonly<Record<string, string | number | null>>;
}

export interface NewStudy {
  readonly name: string;
  readonly washoutDays?: number;
  readonly seed?: string;
  readonly source: { readonly annotations: string; readonly images: string };
  readonly subgroupFields?: readonly string[];
  readonly cases: readonly NewStudyCase[];
}

export interface ReadSubmission {
  readonly boxes: readonly StudyBox[];
  /** 0–100; ignored (stored as 0) when `noFracture`. */
  readonly confidence: number | null;
  readonly noFracture: boolean;
  /** Visible time since the client's last time report, added (clamped) to the accumulated time. */
  readonly unreportedMs: number;
  readonly acceptedModelBoxes?: readonly number[];
}

export interface SessionAvailability {
  readonly open: boolean;
  /** Why it is closed, for the reader. */
  readonly reason: string | null;
  /** When the washout ends (session 2), ISO time. */
  readonly opensAt: string | null;
  readonly overridden: boolean;
}

export interface AuditEntry {
  readonly id: number;
  readonly at: string;
  readonly studyId: number | null;
  readonly actorUserId: number | null;
  readonly action: string;
  readonly detail: unknown;
}

export const defaultWashoutDays = 30;
/** Slack allowed on a client's time report beyond the wall time since its previous report (network jitter). */
export const timeReportSlackMs = 2000;
const dayMs = 24 * 3600 * 1000;
const maxBoxesPerRead = 20;

interface StudyRow {
  id: number; name: string; status: StudyStatus; washout_days: number; seed: string; annotations_path: string; images_path: string;
  subgroup_fields: string; model: string | null; created_at: string; started_at: string | null;
}
interface CaseRow {
  id: number; study_id: number; case_key: string; image_path: string; width: number; height: number; truth: 0 | 1;
  reference_boxes: string; fields: string; model_output: string | null;
}
interface SessionRow {
  study_id: number; user_id: number; number: SessionNumber; seed: number; case_order: string; started_at: string; completed_at: string | null; override_reason: string | null;
}
interface ReadRow {
  id: number; study_id: number; case_id: number; user_id: number; session: SessionNumber; boxes: string; confidence: number; no_fracture: number;
  reading_ms: number; first_shown_at: string; submitted_at: string; accepted_model_boxes: string;
}
interface ViewRow { first_shown_at: string; last_report_at: string; accumulated_ms: number }

const toStudy = (row: StudyRow): Study => ({
  id: row.id,
  name: row.name,
  status: row.status,
  washoutDays: row.washout_days,
  seed: row.seed,
  source: { annotations: row.annotations_path, images: row.images_path },
  subgroupFields: JSON.parse(row.subgroup_fields) as string[],
  model: row.model === null ? null : (JSON.parse(row.model) as Study['model']),
  createdAt: row.created_at,
  startedAt: row.started_at,
});
const toCase = (row: CaseRow): StudyCase => ({
  id: row.id,
  studyId: row.study_id,
  key: row.case_key,
  imagePath: row.image_path,
  width: row.width,
  height: row.height,
  truth: row.truth,
  referenceBoxes: JSON.parse(row.reference_boxes) as StudyBox[],
  fields: JSON.parse(row.fields) as Record<string, string | number | null>,
  model: row.model_output === null ? null : (JSON.parse(row.model_output) as ModelOutput),
});
const toSession = (row: SessionRow): ReaderSession => ({
  studyId: row.study_id,
  userId: row.user_id,
  number: row.number,
  seed: row.seed,
  caseOrder: JSON.parse(row.case_order) as number[],
  startedAt: row.started_at,
  completedAt: row.completed_at,
  overrideReason: row.override_reason,
});
const toRead = (row: ReadRow): Read => ({
  id: row.id,
  studyId: row.study_id,
  caseId: row.case_id,
  userId: row.user_id,
  session: row.session,
  boxes: JSON.parse(row.boxes) as StudyBox[],
  confidence: row.confidence,
  noFracture: row.no_fracture !== 0,
  readingMs: row.reading_ms,
  firstShownAt: row.first_shown_at,
  submittedAt: row.submitted_at,
  acceptedModelBoxes: JSON.parse(row.accepted_model_boxes) as number[],
});

const httpError = (code: string, message: string, httpStatus: number): DrfdsError => new DrfdsError(code, message, { httpStatus });

/**
 * Studies, cases, readers, sessions, reads and the audit log in the `study_` tables. Every method that changes
 * something commits (synchronous = FULL) before it returns, and writes an audit entry in the same transaction.
 * The rules of the design live here, not in the HTTP layer: session 1 before session 2, the washout, overrides.
 */
export class StudyStore {
  readonly db: SqliteDatabase;
  private readonly now: () => Date;

  constructor(db: SqliteDatabase, options: { now?: () => Date } = {}) {
    this.db = db;
    this.now = options.now ?? (() => new Date());
    applyMigrations(db, 'study', studyMigrations);
  }

  private nowIso(): string {
    return this.now().toISOString();
  }

  audit(studyId: number | null, actorUserId: number | null, action: string, detail: Record<string, unknown>): void {
    this.db.prepare('INSERT INTO study_audit (at, study_id, actor_user_id, action, detail) VALUES (?, ?, ?, ?, ?)').run(this.nowIso(), studyId, actorUserId, action, JSON.stringify(detail));
  }

  auditLog(studyId?: number): AuditEntry[] {
    const rows = (studyId === undefined
      ? this.db.prepare('SELECT * FROM study_audit ORDER BY id').all()
      : this.db.prepare('SELECT * FROM study_audit WHERE study_id = ? ORDER BY id').all(studyId)) as Array<{ id: number; at: string; study_id: number | null; actor_user_id: number | null; action: string; detail: string }>;
    return rows.map((row) => ({ id: row.id, at: row.at, studyId: row.study_id, actorUserId: row.actor_user_id, action: row.action, detail: JSON.parse(row.detail) as unknown }));
  }

  // ——— studies and cases ———

  createStudy(input: NewStudy, actorUserId: number | null): Study {
    const name = input.name.trim();
    if (name === '') throw httpError('study/bad-name', 'a study needs a name', 400);
    const washoutDays = input.washoutDays ?? defaultWashoutDays;
    if (!(Number.isFinite(washoutDays) && washoutDays >= 0)) throw httpError('study/bad-washout', `the washout must be a number of days ≥ 0, got ${washoutDays}`, 400);
    if (input.cases.length === 0) throw httpError('study/no-cases', `study "${name}" would have no cases; check the data set and the case filter`, 400);
    if (this.db.prepare('SELECT 1 FROM study_studies WHERE name = ?').get(name)) throw httpError('study/exists', `a study named "${name}" already exists`, 409);
    const seed = input.seed ?? randomBytes(8).toString('hex');
    const id = this.db.transaction(() => {
      const info = this.db
        .prepare('INSERT INTO study_studies (name, status, washout_days, seed, annotations_path, images_path, subgroup_fields, model, created_at) VALUES (?, \'setup\', ?, ?, ?, ?, ?, NULL, ?)')
        .run(name, washoutDays, seed, input.source.annotations, input.source.images, JSON.stringify(input.subgroupFields ?? []), this.nowIso());
      const studyId = Number(info.lastInsertRowid);
      const insert = this.db.prepare('INSERT INTO study_cases (study_id, case_key, image_path, width, height, truth, reference_boxes, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      for (const c of input.cases) insert.run(studyId, c.key, c.imagePath, c.width, c.height, c.truth, JSON.stringify(c.referenceBoxes), JSON.stringify(c.fields));
      this.audit(studyId, actorUserId, 'study.create', { name, washoutDays, seed, cases: input.cases.length, source: input.source });
      return studyId;
    })();
    return this.getStudy(id);
  }

  /** Stores the model's output per case (at set-up, before the study starts). */
  setModelOutputs(studyId: number, model: NonNullable<Study['model']>, outputs: ReadonlyMap<number, ModelOutput>, actorUserId: number | null): void {
    const study = this.getStudy(studyId);
    if (study.status !== 'setup') throw httpError('study/not-in-setup', `study "${study.name}" has started; its model output can no longer change`, 409);
    const cases = this.cases(studyId);
    const missing = cases.filter((c) => !outputs.has(c.id));
    if (missing.length > 0) throw httpError('study/model-incomplete', `model output is missing for ${missing.length} case(s), e.g. ${missing[0]?.key}`, 400);
    this.db.transaction(() => {
      const update = this.db.prepare('UPDATE study_cases SET model_output = ? WHERE id = ? AND study_id = ?');
      for (const c of cases) update.run(JSON.stringify(outputs.get(c.id)), c.id, studyId);
      this.db.prepare('UPDATE study_studies SET model = ? WHERE id = ?').run(JSON.stringify(model), studyId);
      this.audit(studyId, actorUserId, 'study.model', { model, cases: cases.length });
    })();
  }

  getStudy(id: number): Study {
    const row = this.db.prepare('SELECT * FROM study_studies WHERE id = ?').get(id) as StudyRow | undefined;
    if (!row) throw httpError('study/not-found', `no study with id ${id}`, 404);
    return toStudy(row);
  }

  /** A study by numeric id or by name (for the CLI). */
  findStudy(idOrName: string): Study {
    const row = (/^\d+$/.test(idOrName)
      ? this.db.prepare('SELECT * FROM study_studies WHERE id = ? OR name = ?').get(Number(idOrName), idOrName)
      : this.db.prepare('SELECT * FROM study_studies WHERE name = ?').get(idOrName)) as StudyRow | undefined;
    if (!row) throw httpError('study/not-found', `no study "${idOrName}" (give its id or exact name)`, 404);
    return toStudy(row);
  }

  listStudies(): Study[] {
    return (this.db.prepare('SELECT * FROM study_studies ORDER BY id').all() as StudyRow[]).map(toStudy);
  }

  studiesOfReader(userId: number): Study[] {
    return (this.db.prepare('SELECT s.* FROM study_studies s JOIN study_readers r ON r.study_id = s.id WHERE r.user_id = ? ORDER BY s.id').all(userId) as StudyRow[]).map(toStudy);
  }

  cases(studyId: number): StudyCase[] {
    return (this.db.prepare('SELECT * FROM study_cases WHERE study_id = ? ORDER BY id').all(studyId) as CaseRow[]).map(toCase);
  }

  getCase(studyId: number, caseId: number): StudyCase {
    const row = this.db.prepare('SELECT * FROM study_cases WHERE study_id = ? AND id = ?').get(studyId, caseId) as CaseRow | undefined;
    if (!row) throw httpError('study/case-not-found', `study ${studyId} has no case ${caseId}`, 404);
    return toCase(row);
  }

  // ——— readers ———

  addReader(studyId: number, userId: number, actorUserId: number | null): void {
    const study = this.getStudy(studyId);
    if (study.status === 'closed') throw httpError('study/closed', `study "${study.name}" is closed`, 409);
    const info = this.db.prepare('INSERT OR IGNORE INTO study_readers (study_id, user_id, added_at) VALUES (?, ?, ?)').run(studyId, userId, this.nowIso());
    if (info.changes > 0) this.audit(studyId, actorUserId, 'reader.add', { userId });
  }

  readerIds(studyId: number): number[] {
    return (this.db.prepare('SELECT user_id FROM study_readers WHERE study_id = ? ORDER BY user_id').all(studyId) as Array<{ user_id: number }>).map((r) => r.user_id);
  }

  isReader(studyId: number, userId: number): boolean {
    return this.db.prepare('SELECT 1 FROM study_readers WHERE study_id = ? AND user_id = ?').get(studyId, userId) !== undefined;
  }

  start(studyId: number, actorUserId: number | null): Study {
    const study = this.getStudy(studyId);
    if (study.status !== 'setup') throw httpError('study/already-started', `study "${study.name}" is already ${study.status}`, 409);
    if (study.model === null) throw httpError('study/no-model', `study "${study.name}" has no model output yet: run the model over its cases before starting (the aided session shows it)`, 409);
    if (this.readerIds(studyId).length === 0) throw httpError('study/no-readers', `study "${study.name}" has no readers; add at least one before starting`, 409);
    this.db.transaction(() => {
      this.db.prepare('UPDATE study_studies SET status = \'started\', started_at = ? WHERE id = ?').run(this.nowIso(), studyId);
      this.audit(studyId, actorUserId, 'study.start', {});
    })();
    return this.getStudy(studyId);
  }

  // ——— sessions ———

  getSession(studyId: number, userId: number, number: SessionNumber): ReaderSession | undefined {
    const row = this.db.prepare('SELECT * FROM study_sessions WHERE study_id = ? AND user_id = ? AND number = ?').get(studyId, userId, number) as SessionRow | undefined;
    return row ? toSession(row) : undefined;
  }

  overrideOf(studyId: number, userId: number): { reason: string; byUserId: number; at: string } | undefined {
    const row = this.db.prepare('SELECT reason, by_user_id, at FROM study_overrides WHERE study_id = ? AND user_id = ?').get(studyId, userId) as { reason: string; by_user_id: number; at: string } | undefined;
    return row ? { reason: row.reason, byUserId: row.by_user_id, at: row.at } : undefined;
  }

  /** Whether `userId` may open session `number` now, and why not. */
  availability(studyId: number, userId: number, number: SessionNumber): SessionAvailability {
    const study = this.getStudy(studyId);
    const closed = (reason: string, opensAt: string | null = null, overridden = false): SessionAvailability => ({ open: false, reason, opensAt, overridden });
    if (!this.isReader(studyId, userId)) return closed('you are not a reader of this study');
    if (study.status === 'setup') return closed('the study has not started yet');
    if (study.status === 'closed') return closed('the study is closed');
    if (number === 1) return { open: true, reason: null, opensAt: null, overridden: false };
    const first = this.getSession(studyId, userId, 1);
    if (!first?.completedAt) return closed('finish the unaided session (session 1) first');
    const opensAt = new Date(new Date(first.completedAt).getTime() + study.washoutDays * dayMs).toISOString();
    const override = this.overrideOf(studyId, userId);
    if (override) return { open: true, reason: null, opensAt, overridden: true };
    if (this.nowIso() < opensAt) return closed(`the aided session opens after the ${study.washoutDays}-day washout, on ${opensAt}`, opensAt);
    return { open: true, reason: null, opensAt, overridden: false };
  }

  /** Opens (or resumes) a session: its seeded case order is derived and stored on first opening. */
  startSession(studyId: number, userId: number, number: SessionNumber): ReaderSession {
    const existing = this.getSession(studyId, userId, number);
    if (existing) return existing;
    const availability = this.availability(studyId, userId, number);
    if (!availability.open) throw httpError('study/session-closed', `session ${number} is not open: ${availability.reason}`, 403);
    const study = this.getStudy(studyId);
    const seed = sessionSeed(study.seed, userId, number);
    const order = seededShuffle(this.cases(studyId).map((c) => c.id), seed);
    const override = number === 2 && availability.overridden ? this.overrideOf(studyId, userId)?.reason ?? null : null;
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO study_sessions (study_id, user_id, number, seed, case_order, started_at, override_reason) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(studyId, userId, number, seed, JSON.stringify(order), this.nowIso(), override);
      this.audit(studyId, userId, 'session.start', { userId, session: number, seed, caseOrder: order, override });
    })();
    return this.getSession(studyId, userId, number) as ReaderSession;
  }

  /** Admin override of the washout for one reader; a reason is required and goes to the audit log. */
  overrideWashout(studyId: number, userId: number, reason: string, adminUserId: number): void {
    const text = reason.trim();
    if (text.length < 5) throw httpError('study/override-reason', 'an override of the washout needs a reason (at least 5 characters); it is recorded in the audit log', 400);
    if (!this.isReader(studyId, userId)) throw httpError('study/not-a-reader', `user ${userId} is not a reader of study ${studyId}`, 404);
    if (this.getSession(studyId, userId, 2)) throw httpError('study/already-open', 'the aided session of this reader has already started', 409);
    this.db.transaction(() => {
      this.db.prepare('INSERT OR REPLACE INTO study_overrides (study_id, user_id, reason, by_user_id, at) VALUES (?, ?, ?, ?, ?)').run(studyId, userId, text, adminUserId, this.nowIso());
      this.audit(studyId, adminUserId, 'session.override-washout', { userId, reason: text });
    })();
  }

  progress(studyId: number, userId: number, number: SessionNumber): { done: number; total: number; nextCaseId: number | null } {
    const session = this.getSession(studyId, userId, number);
    const total = this.cases(studyId).length;
    if (!session) return { done: 0, total, nextCaseId: null };
    const read = new Set((this.db.prepare('SELECT case_id FROM study_reads WHERE study_id = ? AND user_id = ? AND session = ?').all(studyId, userId, number) as Array<{ case_id: number }>).map((r) => r.case_id));
    const next = session.caseOrder.find((id) => !read.has(id)) ?? null;
    return { done: read.size, total: session.caseOrder.length, nextCaseId: next };
  }

  /** The case a reader may look at now: the next unread one in their session's order (cases are read in order). */
  private requireCurrentCase(studyId: number, userId: number, number: SessionNumber, caseId: number): ReaderSession {
    const session = this.getSession(studyId, userId, number);
    if (!session) throw httpError('study/session-not-started', `session ${number} has not been opened`, 403);
    if (!session.caseOrder.includes(caseId)) throw httpError('study/case-not-found', `case ${caseId} is not in your session`, 404);
    const { nextCaseId } = this.progress(studyId, userId, number);
    if (nextCaseId !== caseId) throw httpError('study/not-current-case', nextCaseId === null ? 'this session is complete' : `case ${caseId} is not your current case (cases are read in the recorded order; next is ${nextCaseId})`, 409);
    return session;
  }

  /** Whether the reader may see this case's pixels in this session (the current case only). */
  assertMayView(studyId: number, userId: number, number: SessionNumber, caseId: number): void {
    this.requireCurrentCase(studyId, userId, number, caseId);
  }

  // ——— timing ———

  /**
   * Records that the case is on screen and adds the visible time the client measured since its last report.
   * The server clamps each report to the wall time since the previous one (+ slack), so a client can neither
   * double-count after a reload nor inflate the time. Returns the accumulated milliseconds.
   */
  reportTime(studyId: number, userId: number, number: SessionNumber, caseId: number, visibleMs: number): { accumulatedMs: number; firstShownAt: string } {
    this.requireCurrentCase(studyId, userId, number, caseId);
    return this.db.transaction(() => this.accumulate(studyId, userId, number, caseId, visibleMs))();
  }

  private accumulate(studyId: number, userId: number, number: SessionNumber, caseId: number, visibleMs: number): { accumulatedMs: number; firstShownAt: string } {
    const nowDate = this.now();
    const now = nowDate.toISOString();
    const row = this.db.prepare('SELECT first_shown_at, last_report_at, accumulated_ms FROM study_views WHERE study_id = ? AND case_id = ? AND user_id = ? AND session = ?').get(studyId, caseId, userId, number) as ViewRow | undefined;
    const requested = Number.isFinite(visibleMs) && visibleMs > 0 ? visibleMs : 0;
    if (!row) {
      // The first report marks the image as shown; nothing can have accumulated before it.
      this.db.prepare('INSERT INTO study_views (study_id, case_id, user_id, session, first_shown_at, last_report_at, accumulated_ms) VALUES (?, ?, ?, ?, ?, ?, 0)').run(studyId, caseId, userId, number, now, now);
      this.audit(studyId, userId, 'case.shown', { session: number, caseId });
      return { accumulatedMs: 0, firstShownAt: now };
    }
    const allowed = Math.max(0, nowDate.getTime() - new Date(row.last_report_at).getTime()) + timeReportSlackMs;
    const accumulatedMs = row.accumulated_ms + Math.min(requested, allowed);
    this.db.prepare('UPDATE study_views SET last_report_at = ?, accumulated_ms = ? WHERE study_id = ? AND case_id = ? AND user_id = ? AND session = ?').run(now, accumulatedMs, studyId, caseId, userId, number);
    return { accumulatedMs, firstShownAt: row.first_shown_at };
  }

  // ——— reads ———

  submitRead(studyId: number, userId: number, number: SessionNumber, caseId: number, submission: ReadSubmission): Read {
    const session = this.requireCurrentCase(studyId, userId, number, caseId);
    const studyCase = this.getCase(studyId, caseId);
    const read = validateSubmission(submission, studyCase, number);
    const id = this.db.transaction(() => {
      const timing = this.accumulate(studyId, userId, number, caseId, submission.unreportedMs);
      const info = this.db
        .prepare('INSERT INTO study_reads (study_id, case_id, user_id, session, boxes, confidence, no_fracture, reading_ms, first_shown_at, submitted_at, accepted_model_boxes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(studyId, caseId, userId, number, JSON.stringify(read.boxes), read.confidence, read.noFracture ? 1 : 0, Math.round(timing.accumulatedMs), timing.firstShownAt, this.nowIso(), JSON.stringify(read.acceptedModelBoxes));
      const readId = Number(info.lastInsertRowid);
      this.audit(studyId, userId, 'read.submit', { readId, session: number, caseId, confidence: read.confidence, noFracture: read.noFracture, boxes: read.boxes.length, readingMs: Math.round(timing.accumulatedMs) });
      const done = (this.db.prepare('SELECT COUNT(*) AS n FROM study_reads WHERE study_id = ? AND user_id = ? AND session = ?').get(studyId, userId, number) as { n: number }).n;
      if (done === session.caseOrder.length) {
        this.db.prepare('UPDATE study_sessions SET completed_at = ? WHERE study_id = ? AND user_id = ? AND number = ?').run(this.nowIso(), studyId, userId, number);
        this.audit(studyId, userId, 'session.complete', { userId, session: number });
      }
      return readId;
    })();
    return this.getRead(id) as Read;
  }

  getRead(id: number): Read | undefined {
    const row = this.db.prepare('SELECT * FROM study_reads WHERE id = ?').get(id) as ReadRow | undefined;
    return row ? toRead(row) : undefined;
  }

  reads(studyId: number, filter: { userId?: number; session?: SessionNumber } = {}): Read[] {
    const rows = this.db.prepare('SELECT * FROM study_reads WHERE study_id = ? ORDER BY id').all(studyId) as ReadRow[];
    return rows.map(toRead).filter((r) => (filter.userId === undefined || r.userId === filter.userId) && (filter.session === undefined || r.session === filter.session));
  }

  // ——— consensus (reference standards) ———

  /** Records an admin's consensus boxes for a case (replacing an earlier decision), audited. */
  saveConsensus(studyId: number, caseId: number, boxes: readonly StudyBox[], adminUserId: number): void {
    const studyCase = this.getCase(studyId, caseId);
    const clean = boxes.map((box, index) => {
      const values = [box?.x, box?.y, box?.width, box?.height];
      if (!values.every((v) => typeof v === 'number' && Number.isFinite(v)) || box.width < 1 || box.height < 1) {
        throw httpError('study/bad-consensus', `case ${caseId}: box ${index + 1} needs numeric x, y and a width and height of at least 1 pixel`, 400);
      }
      if (box.x < 0 || box.y < 0 || box.x + box.width > studyCase.width + 0.5 || box.y + box.height > studyCase.height + 0.5) {
        throw httpError('study/bad-consensus', `case ${caseId}: box ${index + 1} leaves the ${studyCase.width}×${studyCase.height} image`, 400);
      }
      return { x: box.x, y: box.y, width: box.width, height: box.height };
    });
    this.db.transaction(() => {
      this.db.prepare('INSERT OR REPLACE INTO study_consensus (study_id, case_id, boxes, decided_by, decided_at) VALUES (?, ?, ?, ?, ?)').run(studyId, caseId, JSON.stringify(clean), adminUserId, this.nowIso());
      this.audit(studyId, adminUserId, 'consensus.decide', { caseId, boxes: clean });
    })();
  }

  consensusDecisions(studyId: number): Map<number, { boxes: StudyBox[]; decidedBy: number; decidedAt: string }> {
    const rows = this.db.prepare('SELECT case_id, boxes, decided_by, decided_at FROM study_consensus WHERE study_id = ?').all(studyId) as Array<{ case_id: number; boxes: string; decided_by: number; decided_at: string }>;
    return new Map(rows.map((r) => [r.case_id, { boxes: JSON.parse(r.boxes) as StudyBox[], decidedBy: r.decided_by, decidedAt: r.decided_at }]));
  }

  /** Accumulated visible time of the case being read (for the client to resume its clock after a reload). */
  viewState(studyId: number, userId: number, number: SessionNumber, caseId: number): { accumulatedMs: number; firstShownAt: string } | null {
    const row = this.db.prepare('SELECT first_shown_at, last_report_at, accumulated_ms FROM study_views WHERE study_id = ? AND case_id = ? AND user_id = ? AND session = ?').get(studyId, caseId, userId, number) as ViewRow | undefined;
    return row ? { accumulatedMs: row.accumulated_ms, firstShownAt: row.first_shown_at } : null;
  }
}

function validateSubmission(submission: ReadSubmission, studyCase: StudyCase, number: SessionNumber): { boxes: StudyBox[]; confidence: number; noFracture: boolean; acceptedModelBoxes: number[] } {
  const bad = (message: string): DrfdsError => httpError('study/bad-read', `case ${studyCase.id}: ${message}`, 400);
  if (typeof submission.noFracture !== 'boolean') throw bad('"noFracture" must be true or false');
  if (!Array.isArray(submission.boxes)) throw bad('"boxes" must be a list of {x, y, width, height}');
  if (submission.boxes.length > maxBoxesPerRead) throw bad(`at most ${maxBoxesPerRead} boxes per case`);
  const boxes = submission.boxes.map((box, index) => {
    const values = [box?.x, box?.y, box?.width, box?.height];
    if (!values.every((v) => typeof v === 'number' && Number.isFinite(v))) throw bad(`box ${index + 1} needs numeric x, y, width, height`);
    // Clip to the image; a box must keep a positive area inside it.
    const x1 = Math.max(0, Math.min(studyCase.width, box.x));
    const y1 = Math.max(0, Math.min(studyCase.height, box.y));
    const x2 = Math.max(0, Math.min(studyCase.width, box.x + box.width));
    const y2 = Math.max(0, Math.min(studyCase.height, box.y + box.height));
    if (x2 - x1 < 1 || y2 - y1 < 1) throw bad(`box ${index + 1} lies outside the image or is smaller than one pixel`);
    const r = (v: number): number => Math.round(v * 100) / 100;
    return { x: r(x1), y: r(y1), width: r(x2 - x1), height: r(y2 - y1) };
  });
  let confidence: number;
  if (submission.noFracture) {
    if (boxes.length > 0) throw bad('"no fracture" with boxes drawn: delete the boxes or give a confidence instead');
    confidence = 0;
  } else {
    const value = submission.confidence;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) throw bad('give a confidence from 0 to 100 that there is a fracture, or mark "no fracture"');
    confidence = value;
  }
  const accepted = submission.acceptedModelBoxes ?? [];
  if (number === 1 && accepted.length > 0) throw bad('the unaided session has no model boxes to accept');
  const modelBoxCount = studyCase.model?.boxes.length ?? 0;
  for (const index of accepted) {
    if (!Number.isInteger(index) || index < 0 || index >= modelBoxCount) throw bad(`accepted model box ${index} does not exist`);
  }
  return { boxes, confidence, noFracture: submission.noFracture, acceptedModelBoxes: [...new Set(accepted)] };
}
