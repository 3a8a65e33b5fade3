import type { Migration } from '../../storage/sqlite.js';

export const studyMigrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE study_studies (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('setup', 'started', 'closed')),
        washout_days REAL NOT NULL,
        seed TEXT NOT NULL,
        annotations_path TEXT NOT NULL,
        images_path TEXT NOT NULL,
        subgroup_fields TEXT NOT NULL,
        model TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT
      );
      CREATE TABLE study_cases (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        study_id INTEGER NOT NULL REFERENCES study_studies(id),
        case_key TEXT NOT NULL,
        image_path TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        truth INTEGER NOT NULL CHECK (truth IN (0, 1)),
        reference_boxes TEXT NOT NULL,
        fields TEXT NOT NULL,
        model_output TEXT,
        UNIQUE (study_id, case_key)
      );
      CREATE TABLE study_readers (
        study_id INTEGER NOT NULL REFERENCES study_studies(id),
        user_id INTEGER NOT NULL,
        added_at TEXT NOT NULL,
        PRIMARY KEY (study_id, user_id)
      );
      CREATE TABLE study_sessions (
        study_id INTEGER NOT NULL REFERENCES study_studies(id),
        user_id INTEGER NOT NULL,
        number INTEGER NOT NULL CHECK (number IN (1, 2)),
        seed INTEGER NOT NULL,
        case_order TEXT NOT NULL,
        started_at TEXT NOT NULL,
        completed_at TEXT,
        override_reason TEXT,
        PRIMARY KEY (study_id, user_id, number)
      );
      CREATE TABLE study_overrides (
        study_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        reason TEXT NOT NULL,
        by_user_id INTEGER NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (study_id, user_id)
      );
      CREATE TABLE study_views (
        study_id INTEGER NOT NULL,
        case_id INTEGER NOT NULL REFERENCES study_cases(id),
        user_id INTEGER NOT NULL,
        session INTEGER NOT NULL,
        first_shown_at TEXT NOT NULL,
        last_report_at TEXT NOT NULL,
        accumulated_ms REAL NOT NULL,
        PRIMARY KEY (study_id, case_id, user_id, session)
      );
      CREATE TABLE study_reads (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        study_id INTEGER NOT NULL REFERENCES study_studies(id),
        case_id INTEGER NOT NULL REFERENCES study_cases(id),
        user_id INTEGER NOT NULL,
        session INTEGER NOT NULL CHECK (session IN (1, 2)),
        boxes TEXT NOT NULL,
        confidence REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 100),
        no_fracture INTEGER NOT NULL,
        reading_ms REAL NOT NULL,
        first_shown_at TEXT NOT NULL,
        submitted_at TEXT NOT NULL,
        accepted_model_boxes TEXT NOT NULL,
        UNIQUE (study_id, case_id, user_id, session)
      );
      CREATE TABLE study_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        study_id INTEGER,
        actor_user_id INTEGER,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    sql: `
      CREATE TABLE study_consensus (
        study_id INTEGER NOT NULL REFERENCES study_studies(id),
        case_id INTEGER NOT NULL REFERENCES study_cases(id),
        boxes TEXT NOT NULL,
        decided_by INTEGER NOT NULL,
        decided_at TEXT NOT NULL,
        PRIMARY KEY (study_id, case_id)
      );
    `,
  },
];

/**
 * The same schema for PostgreSQL: SERIAL ids, DOUBLE PRECISION for REAL (PostgreSQL's REAL is 4 bytes), BIGINT for
 * the 32-bit unsigned session seed.
 */
export const studyPostgresMigrations: readonly Migration[] = studyMigrations.map((m) => ({
  version: m.version,
  sql: m.sql
    .replace(/INTEGER PRIMARY KEY AUTOINCREMENT/g, 'SERIAL PRIMARY KEY')
    .replace(/\bREAL\b/g, 'DOUBLE PRECISION')
    .replace(/seed INTEGER NOT NULL/g, 'seed BIGINT NOT NULL'),
}));
