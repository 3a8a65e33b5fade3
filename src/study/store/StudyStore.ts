import { randomBytes } from 'node:crypto';
import { DrfdsError } from '../../errors/DrfdsError.js';
import { MigratedStore, forUpdate, isUniqueViolation, type SqlDatabase, type SqlSteps, type SqlWork, type StoreDatabase } from '../../storage/sqlDatabase.js';
import { seededShuffle, sessionSeed } from '../domain/caseOrder.js';
import type { ModelOutput, Read, ReaderSession, SessionNumber, Study, StudyBox, StudyCase, StudyStatus } from '../domain/types.js';
import { studyMigrations, studyPostgresMigrations } from './migrations.js';

/** A case as the data set gives it: the stored case less what the store assigns (ids) or the model adds later. */
export type NewStudyCase = Omit<StudyCase, 'id' | 'studyId' | 'model'>;

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
  seed: Number(row.seed), // PostgreSQL returns BIGINT as a string
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
 * Studies, cases, readers, sessions, reads and the audit log in the `study_` tables (SQLite or PostgreSQL). Every
 * method that changes something commits durably before its promise resolves (SQLite: synchronous = FULL;
 * PostgreSQL: synchronous commit) and writes its audit entry in the same transaction.
 * The rules of the design live here, not in the HTTP layer: session 1 before session 2, the washout, overrides.
 */
export class StudyStore extends MigratedStore {
  private readonly now: () => Date;

  /** Accepts the async database or a raw better-sqlite3 connection; the schema migrates before the first query. */
  constructor(db: StoreDatabase, options: { now?: () => Date } = {}) {
    super(db, 'study', { sqlite: studyMigrations, postgres: studyPostgresMigrations });
    this.now = options.now ?? (() => new Date());
  }

  private nowIso(): string {
    return this.now().toISOString();
  }

  async audit(studyId: number | null, actorUserId: number | null, action: string, detail: Record<string, unknown>): Promise<void> {
    await (await this.q()).transaction((tx) => this.auditTx(tx, studyId, actorUserId, action, detail));
  }

  /** An audit entry inside a transaction (`yield* this.auditTx(tx, …)`). */
  private *auditTx(tx: SqlSteps, studyId: number | null, actorUserId: number | null, action: string, detail: Record<string, unknown>): SqlWork<void> {
    yield* tx.run('INSERT INTO study_audit (at, study_id, actor_user_id, action, detail) VALUES (?, ?, ?, ?, ?)', [this.nowIso(), studyId, actorUserId, action, JSON.stringify(detail)]);
  }

  async auditLog(studyId?: number): Promise<AuditEntry[]> {
    const db = await this.q();
    type Row = { id: number; at: string; study_id: number | null; actor_user_id: number | null; action: string; detail: string };
    const rows = studyId === undefined
      ? await db.all<Row>('SELECT * FROM study_audit ORDER BY id')
      : await db.all<Row>('SELECT * FROM study_audit WHERE study_id = ? ORDER BY id', [studyId]);
    return rows.map((row) => ({ id: row.id, at: row.at, studyId: row.study_id, actorUserId: row.actor_user_id, action: row.action, detail: JSON.parse(row.detail) as unknown }));
  }

  // ——— studies and cases ———

  async createStudy(input: NewStudy, actorUserId: number | null): Promise<Study> {
    const name = input.name.trim();
    if (name === '') throw httpError('study/bad-name', 'a study needs a name', 400);
    const washoutDays = input.washoutDays ?? defaultWashoutDays;
    if (!(Number.isFinite(washoutDays) && washoutDays >= 0)) throw httpError('study/bad-washout', `the washout must be a number of days ≥ 0, got ${washoutDays}`, 400);
    if (input.cases.length === 0) throw httpError('study/no-cases', `study "${name}" would have no cases; check the data set and the case filter`, 400);
    const exists = (): DrfdsError => httpError('study/exists', `a study named "${name}" already exists`, 409);
    const db = await this.q();
    if (await db.get('SELECT 1 AS one FROM study_studies WHERE name = ?', [name])) throw exists();
    const seed = input.seed ?? randomBytes(8).toString('hex');
    let id: number;
    try {
      const self = this;
      id = await db.transaction(function* (tx) {
        const row = yield* tx.get<{ id: number }>('INSERT INTO study_studies (name, status, washout_days, seed, annotations_path, images_path, subgroup_fields, model, created_at) VALUES (?, \'setup\', ?, ?, ?, ?, ?, NULL, ?) RETURNING id',
          [name, washoutDays, seed, input.source.annotations, input.source.images, JSON.stringify(input.subgroupFields ?? []), self.nowIso()]);
        const studyId = Number(row?.id);
        for (const c of input.cases) {
          yield* tx.run('INSERT INTO study_cases (study_id, case_key, image_path, width, height, truth, reference_boxes, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
            [studyId, c.key, c.imagePath, c.width, c.height, c.truth, JSON.stringify(c.referenceBoxes), JSON.stringify(c.fields)]);
        }
        yield* self.auditTx(tx, studyId, actorUserId, 'study.create', { name, washoutDays, seed, cases: input.cases.length, source: input.source });
        return studyId;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw exists();
      throw error;
    }
    return this.getStudy(id);
  }

  /** Stores the model's output per case (at set-up, before the study starts). */
  async setModelOutputs(studyId: number, model: NonNullable<Study['model']>, outputs: ReadonlyMap<number, ModelOutput>, actorUserId: number | null): Promise<void> {
    const study = await this.getStudy(studyId);
    if (study.status !== 'setup') throw httpError('study/not-in-setup', `study "${study.name}" has started; its model output can no longer change`, 409);
    const cases = await this.cases(studyId);
    const missing = cases.filter((c) => !outputs.has(c.id));
    if (missing.length > 0) throw httpError('study/model-incomplete', `model output is missing for ${missing.length} case(s), e.g. ${missing[0]?.key}`, 400);
    const self = this;
    await (await this.q()).transaction(function* (tx) {
      for (const c of cases) yield* tx.run('UPDATE study_cases SET model_output = ? WHERE id = ? AND study_id = ?', [JSON.stringify(outputs.get(c.id)), c.id, studyId]);
      yield* tx.run('UPDATE study_studies SET model = ? WHERE id = ?', [JSON.stringify(model), studyId]);
      yield* self.auditTx(tx, studyId, actorUserId, 'study.model', { model, cases: cases.length });
    });
  }

  async getStudy(id: number): Promise<Study> {
    const row = await (await this.q()).get<StudyRow>('SELECT * FROM study_studies WHERE id = ?', [id]);
    if (!row) throw httpError('study/not-found', `no study with id ${id}`, 404);
    return toStudy(row);
  }

  /** A study by numeric id or by name (for the CLI). */
  async findStudy(idOrName: string): Promise<Study> {
    const db = await this.q();
    const row = /^\d+$/.test(idOrName)
      ? await db.get<StudyRow>('SELECT * FROM study_studies WHERE id = ? OR name = ? ORDER BY id LIMIT 1', [Number(idOrName), idOrName])
      : await db.get<StudyRow>('SELECT * FROM study_studies WHERE name = ?', [idOrName]);
    if (!row) throw httpError('study/not-found', `no study "${idOrName}" (give its id or exact name)`, 404);
    return toStudy(row);
  }

  async listStudies(): Promise<Study[]> {
    return (await (await this.q()).all<StudyRow>('SELECT * FROM study_studies ORDER BY id')).map(toStudy);
  }

  async studiesOfReader(userId: number): Promise<Study[]> {
    return (await (await this.q()).all<StudyRow>('SELECT s.* FROM study_studies s JOIN study_readers r ON r.study_id = s.id WHERE r.user_id = ? ORDER BY s.id', [userId])).map(toStudy);
  }

  async cases(studyId: number): Promise<StudyCase[]> {
    return (await (await this.q()).all<CaseRow>('SELECT * FROM study_cases WHERE study_id = ? ORDER BY id', [studyId])).map(toCase);
  }

  async getCase(studyId: number, caseId: number): Promise<StudyCase> {
    const row = await (await this.q()).get<CaseRow>('SELECT * FROM study_cases WHERE study_id = ? AND id = ?', [studyId, caseId]);
    if (!row) throw httpError('study/case-not-found', `study ${studyId} has no case ${caseId}`, 404);
    return toCase(row);
  }

  // ——— readers ———

  async addReader(studyId: number, userId: number, actorUserId: number | null): Promise<void> {
    const study = await this.getStudy(studyId);
    if (study.status === 'closed') throw httpError('study/closed', `study "${study.name}" is closed`, 409);
    const self = this;
    await (await this.q()).transaction(function* (tx) {
      const info = yield* tx.run('INSERT INTO study_readers (study_id, user_id, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [studyId, userId, self.nowIso()]);
      if (info.changes > 0) yield* self.auditTx(tx, studyId, actorUserId, 'reader.add', { userId });
    });
  }

  async readerIds(studyId: number): Promise<number[]> {
    return (await (await this.q()).all<{ user_id: number }>('SELECT user_id FROM study_readers WHERE study_id = ? ORDER BY user_id', [studyId])).map((r) => r.user_id);
  }

  async isReader(studyId: number, userId: number): Promise<boolean> {
    return (await (await this.q()).get('SELECT 1 AS one FROM study_readers WHERE study_id = ? AND user_id = ?', [studyId, userId])) !== undefined;
  }

  async start(studyId: number, actorUserId: number | null): Promise<Study> {
    const study = await this.getStudy(studyId);
    if (study.status !== 'setup') throw httpError('study/already-started', `study "${study.name}" is already ${study.status}`, 409);
    if (study.model === null) throw httpError('study/no-model', `study "${study.name}" has no model output yet: run the model over its cases before starting (the aided session shows it)`, 409);
    if ((await this.readerIds(studyId)).length === 0) throw httpError('study/no-readers', `study "${study.name}" has no readers; add at least one before starting`, 409);
    const self = this;
    await (await this.q()).transaction(function* (tx) {
      yield* tx.run('UPDATE study_studies SET status = \'started\', started_at = ? WHERE id = ?', [self.nowIso(), studyId]);
      yield* self.auditTx(tx, studyId, actorUserId, 'study.start', {});
    });
    return this.getStudy(studyId);
  }

  // ——— sessions ———

  async getSession(studyId: number, userId: number, number: SessionNumber): Promise<ReaderSession | undefined> {
    const row = await (await this.q()).get<SessionRow>('SELECT * FROM study_sessions WHERE study_id = ? AND user_id = ? AND number = ?', [studyId, userId, number]);
    return row ? toSession(row) : undefined;
  }

  async overrideOf(studyId: number, userId: number): Promise<{ reason: string; byUserId: number; at: string } | undefined> {
    const row = await (await this.q()).get<{ reason: string; by_user_id: number; at: string }>('SELECT reason, by_user_id, at FROM study_overrides WHERE study_id = ? AND user_id = ?', [studyId, userId]);
    return row ? { reason: row.reason, byUserId: row.by_user_id, at: row.at } : undefined;
  }

  /** Whether `userId` may open session `number` now, and why not. */
  async availability(studyId: number, userId: number, number: SessionNumber): Promise<SessionAvailability> {
    const study = await this.getStudy(studyId);
    const closed = (reason: string, opensAt: string | null = null, overridden = false): SessionAvailability => ({ open: false, reason, opensAt, overridden });
    if (!(await this.isReader(studyId, userId))) return closed('you are not a reader of this study');
    if (study.status === 'setup') return closed('the study has not started yet');
    if (study.status === 'closed') return closed('the study is closed');
    if (number === 1) return { open: true, reason: null, opensAt: null, overridden: false };
    const first = await this.getSession(studyId, userId, 1);
    if (!first?.completedAt) return closed('finish the unaided session (session 1) first');
    const opensAt = new Date(new Date(first.completedAt).getTime() + study.washoutDays * dayMs).toISOString();
    const override = await this.overrideOf(studyId, userId);
    if (override) return { open: true, reason: null, opensAt, overridden: true };
    if (this.nowIso() < opensAt) return closed(`the aided session opens after the ${study.washoutDays}-day washout, on ${opensAt}`, opensAt);
    return { open: true, reason: null, opensAt, overridden: false };
  }

  /** Opens (or resumes) a session: its seeded case order is derived and stored on first opening. */
  async startSession(studyId: number, userId: number, number: SessionNumber): Promise<ReaderSession> {
    const existing = await this.getSession(studyId, userId, number);
    if (existing) return existing;
    const availability = await this.availability(studyId, userId, number);
    if (!availability.open) throw httpError('study/session-closed', `session ${number} is not open: ${availability.reason}`, 403);
    const study = await this.getStudy(studyId);
    const seed = sessionSeed(study.seed, userId, number);
    const order = seededShuffle((await this.cases(studyId)).map((c) => c.id), seed);
    const override = number === 2 && availability.overridden ? (await this.overrideOf(studyId, userId))?.reason ?? null : null;
    try {
      const self = this;
      await (await this.q()).transaction(function* (tx) {
        yield* tx.run('INSERT INTO study_sessions (study_id, user_id, number, seed, case_order, started_at, override_reason) VALUES (?, ?, ?, ?, ?, ?, ?)',
          [studyId, userId, number, seed, JSON.stringify(order), self.nowIso(), override]);
        yield* self.auditTx(tx, studyId, userId, 'session.start', { userId, session: number, seed, caseOrder: order, override });
      });
    } catch (error) {
      // Two tabs opening the same session at once: the first one's session stands (the same seeded order).
      if (!isUniqueViolation(error)) throw error;
    }
    return (await this.getSession(studyId, userId, number)) as ReaderSession;
  }

  /** Admin override of the washout for one reader; a reason is required and goes to the audit log. */
  async overrideWashout(studyId: number, userId: number, reason: string, adminUserId: number): Promise<void> {
    const text = reason.trim();
    if (text.length < 5) throw httpError('study/override-reason', 'an override of the washout needs a reason (at least 5 characters); it is recorded in the audit log', 400);
    if (!(await this.isReader(studyId, userId))) throw httpError('study/not-a-reader', `user ${userId} is not a reader of study ${studyId}`, 404);
    if (await this.getSession(studyId, userId, 2)) throw httpError('study/already-open', 'the aided session of this reader has already started', 409);
    const self = this;
    await (await this.q()).transaction(function* (tx) {
      yield* tx.run('INSERT INTO study_overrides (study_id, user_id, reason, by_user_id, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (study_id, user_id) DO UPDATE SET reason = excluded.reason, by_user_id = excluded.by_user_id, at = excluded.at',
        [studyId, userId, text, adminUserId, self.nowIso()]);
      yield* self.auditTx(tx, studyId, adminUserId, 'session.override-washout', { userId, reason: text });
    });
  }

  async progress(studyId: number, userId: number, number: SessionNumber): Promise<{ done: number; total: number; nextCaseId: number | null }> {
    return (await this.q()).read((q) => this.progressTx(q, studyId, userId, number));
  }

  private *progressTx(q: SqlSteps, studyId: number, userId: number, number: SessionNumber): SqlWork<{ done: number; total: number; nextCaseId: number | null }> {
    const row = yield* q.get<SessionRow>('SELECT * FROM study_sessions WHERE study_id = ? AND user_id = ? AND number = ?', [studyId, userId, number]);
    if (!row) {
      const total = (yield* q.get<{ n: number }>('SELECT CAST(COUNT(*) AS INTEGER) AS n FROM study_cases WHERE study_id = ?', [studyId]))?.n ?? 0;
      return { done: 0, total, nextCaseId: null };
    }
    const session = toSession(row);
    const read = new Set((yield* q.all<{ case_id: number }>('SELECT case_id FROM study_reads WHERE study_id = ? AND user_id = ? AND session = ?', [studyId, userId, number])).map((r) => r.case_id));
    const next = session.caseOrder.find((id) => !read.has(id)) ?? null;
    return { done: read.size, total: session.caseOrder.length, nextCaseId: next };
  }

  /**
   * The case a reader may look at now: the next unread one in their session's order (cases are read in order).
   * In a transaction on PostgreSQL the session row is locked, so concurrent submissions of one reader serialise.
   */
  private *requireCurrentCaseTx(q: SqlSteps, studyId: number, userId: number, number: SessionNumber, caseId: number, lock: boolean): SqlWork<ReaderSession> {
    const row = yield* q.get<SessionRow>(`SELECT * FROM study_sessions WHERE study_id = ? AND user_id = ? AND number = ?${lock ? forUpdate(q) : ''}`, [studyId, userId, number]);
    if (!row) throw httpError('study/session-not-started', `session ${number} has not been opened`, 403);
    const session = toSession(row);
    if (!session.caseOrder.includes(caseId)) throw httpError('study/case-not-found', `case ${caseId} is not in your session`, 404);
    const { nextCaseId } = yield* this.progressTx(q, studyId, userId, number);
    if (nextCaseId !== caseId) throw httpError('study/not-current-case', nextCaseId === null ? 'this session is complete' : `case ${caseId} is not your current case (cases are read in the recorded order; next is ${nextCaseId})`, 409);
    return session;
  }

  /** Whether the reader may see this case's pixels in this session (the current case only). */
  async assertMayView(studyId: number, userId: number, number: SessionNumber, caseId: number): Promise<void> {
    await (await this.q()).read((q) => this.requireCurrentCaseTx(q, studyId, userId, number, caseId, false));
  }

  // ——— timing ———

  /**
   * Records that the case is on screen and adds the visible time the client measured since its last report.
   * The server clamps each report to the wall time since the previous one (+ slack), so a client can neither
   * double-count after a reload nor inflate the time. Returns the accumulated milliseconds.
   */
  async reportTime(studyId: number, userId: number, number: SessionNumber, caseId: number, visibleMs: number): Promise<{ accumulatedMs: number; firstShownAt: string }> {
    const self = this;
    return (await this.q()).transaction(function* (tx) {
      yield* self.requireCurrentCaseTx(tx, studyId, userId, number, caseId, true);
      return yield* self.accumulateTx(tx, studyId, userId, number, caseId, visibleMs);
    });
  }

  private *accumulateTx(tx: SqlSteps, studyId: number, userId: number, number: SessionNumber, caseId: number, visibleMs: number): SqlWork<{ accumulatedMs: number; firstShownAt: string }> {
    const nowDate = this.now();
    const now = nowDate.toISOString();
    const row = yield* tx.get<ViewRow>(`SELECT first_shown_at, last_report_at, accumulated_ms FROM study_views WHERE study_id = ? AND case_id = ? AND user_id = ? AND session = ?${forUpdate(tx)}`, [studyId, caseId, userId, number]);
    const requested = Number.isFinite(visibleMs) && visibleMs > 0 ? visibleMs : 0;
    if (!row) {
      // The first report marks the image as shown; nothing can have accumulated before it.
      yield* tx.run('INSERT INTO study_views (study_id, case_id, user_id, session, first_shown_at, last_report_at, accumulated_ms) VALUES (?, ?, ?, ?, ?, ?, 0)', [studyId, caseId, userId, number, now, now]);
      yield* this.auditTx(tx, studyId, userId, 'case.shown', { session: number, caseId });
      return { accumulatedMs: 0, firstShownAt: now };
    }
    const allowed = Math.max(0, nowDate.getTime() - new Date(row.last_report_at).getTime()) + timeReportSlackMs;
    const accumulatedMs = row.accumulated_ms + Math.min(requested, allowed);
    yield* tx.run('UPDATE study_views SET last_report_at = ?, accumulated_ms = ? WHERE study_id = ? AND case_id = ? AND user_id = ? AND session = ?', [now, accumulatedMs, studyId, caseId, userId, number]);
    return { accumulatedMs, firstShownAt: row.first_shown_at };
  }

  // ——— reads ———

  async submitRead(studyId: number, userId: number, number: SessionNumber, caseId: number, submission: ReadSubmission): Promise<Read> {
    await this.assertMayView(studyId, userId, number, caseId); // fail fast (and 404/409) before validating
    const studyCase = await this.getCase(studyId, caseId);
    const read = validateSubmission(submission, studyCase, number);
    let id: number;
    try {
      const self = this;
      id = await (await this.q()).transaction(function* (tx) {
        const session = yield* self.requireCurrentCaseTx(tx, studyId, userId, number, caseId, true);
        const timing = yield* self.accumulateTx(tx, studyId, userId, number, caseId, submission.unreportedMs);
        const row = yield* tx.get<{ id: number }>('INSERT INTO study_reads (study_id, case_id, user_id, session, boxes, confidence, no_fracture, reading_ms, first_shown_at, submitted_at, accepted_model_boxes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
          [studyId, caseId, userId, number, JSON.stringify(read.boxes), read.confidence, read.noFracture ? 1 : 0, Math.round(timing.accumulatedMs), timing.firstShownAt, self.nowIso(), JSON.stringify(read.acceptedModelBoxes)]);
        const readId = Number(row?.id);
        yield* self.auditTx(tx, studyId, userId, 'read.submit', { readId, session: number, caseId, confidence: read.confidence, noFracture: read.noFracture, boxes: read.boxes.length, readingMs: Math.round(timing.accumulatedMs) });
        const done = (yield* tx.get<{ n: number }>('SELECT CAST(COUNT(*) AS INTEGER) AS n FROM study_reads WHERE study_id = ? AND user_id = ? AND session = ?', [studyId, userId, number]))?.n ?? 0;
        if (done === session.caseOrder.length) {
          yield* tx.run('UPDATE study_sessions SET completed_at = ? WHERE study_id = ? AND user_id = ? AND number = ?', [self.nowIso(), studyId, userId, number]);
          yield* self.auditTx(tx, studyId, userId, 'session.complete', { userId, session: number });
        }
        return readId;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw httpError('study/not-current-case', `case ${caseId} has already been read in session ${number}`, 409);
      throw error;
    }
    return (await this.getRead(id)) as Read;
  }

  async getRead(id: number): Promise<Read | undefined> {
    const row = await (await this.q()).get<ReadRow>('SELECT * FROM study_reads WHERE id = ?', [id]);
    return row ? toRead(row) : undefined;
  }

  async reads(studyId: number, filter: { userId?: number; session?: SessionNumber } = {}): Promise<Read[]> {
    const rows = await (await this.q()).all<ReadRow>('SELECT * FROM study_reads WHERE study_id = ? ORDER BY id', [studyId]);
    return rows.map(toRead).filter((r) => (filter.userId === undefined || r.userId === filter.userId) && (filter.session === undefined || r.session === filter.session));
  }

  // ——— consensus (reference standards) ———

  /** Records an admin's consensus boxes for a case (replacing an earlier decision), audited. */
  async saveConsensus(studyId: number, caseId: number, boxes: readonly StudyBox[], adminUserId: number): Promise<void> {
    const studyCase = await this.getCase(studyId, caseId);
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
    const self = this;
    await (await this.q()).transaction(function* (tx) {
      yield* tx.run('INSERT INTO study_consensus (study_id, case_id, boxes, decided_by, decided_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (study_id, case_id) DO UPDATE SET boxes = excluded.boxes, decided_by = excluded.decided_by, decided_at = excluded.decided_at',
        [studyId, caseId, JSON.stringify(clean), adminUserId, self.nowIso()]);
      yield* self.auditTx(tx, studyId, adminUserId, 'consensus.decide', { caseId, boxes: clean });
    });
  }

  async consensusDecisions(studyId: number): Promise<Map<number, { boxes: StudyBox[]; decidedBy: number; decidedAt: string }>> {
    const rows = await (await this.q()).all<{ case_id: number; boxes: string; decided_by: number; decided_at: string }>('SELECT case_id, boxes, decided_by, decided_at FROM study_consensus WHERE study_id = ?', [studyId]);
    return new Map(rows.map((r) => [r.case_id, { boxes: JSON.parse(r.boxes) as StudyBox[], decidedBy: r.decided_by, decidedAt: r.decided_at }]));
  }

  /** Accumulated visible time of the case being read (for the client to resume its clock after a reload). */
  async viewState(studyId: number, userId: number, number: SessionNumber, caseId: number): Promise<{ accumulatedMs: number; firstShownAt: string } | null> {
    const row = await (await this.q()).get<ViewRow>('SELECT first_shown_at, last_report_at, accumulated_ms FROM study_views WHERE study_id = ? AND case_id = ? AND user_id = ? AND session = ?', [studyId, caseId, userId, number]);
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
