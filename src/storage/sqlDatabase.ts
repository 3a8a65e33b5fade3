import Database from 'better-sqlite3';
import type pg from 'pg';
import { DrfdsError } from '../errors/DrfdsError.js';
import { applyPostgresMigrations, inTransaction, openPostgres, type PostgresPool } from './postgres.js';
import { applyMigrations, openSqlite, type Migration, type SqliteDatabase } from './sqlite.js';

export type SqlParam = string | number | null;
export type SqlDialect = 'sqlite' | 'postgres';

/**
 * One asynchronous query interface over SQLite (better-sqlite3, embedded default) and PostgreSQL (`pg`), so a store
 * is written once. SQL uses `?` placeholders (rewritten to `$1…` for PostgreSQL) and the common subset of both
 * dialects: `INSERT … RETURNING id`, `ON CONFLICT … DO NOTHING / DO UPDATE SET x = excluded.x`,
 * `CAST(COUNT(*) AS INTEGER)`. Only the migrations (DDL) differ per dialect.
 */
export interface SqlQueries {
  readonly dialect: SqlDialect;
  get<T>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined>;
  all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  run(sql: string, params?: readonly SqlParam[]): Promise<{ changes: number }>;
}

/** One statement of a transaction, yielded by its generator (`yield* tx.get(…)`). */
export interface SqlStatement {
  readonly op: 'get' | 'all' | 'run';
  readonly sql: string;
  readonly params: readonly SqlParam[];
}

/** The body of a transaction: a generator of statements, so SQLite can run it synchronously (see `transaction`). */
export type SqlWork<T> = Generator<SqlStatement, T, unknown>;

/** The statements available inside a transaction body: `const row = yield* tx.get<Row>(sql, params)`. */
export interface SqlSteps {
  readonly dialect: SqlDialect;
  get<T>(sql: string, params?: readonly SqlParam[]): SqlWork<T | undefined>;
  all<T>(sql: string, params?: readonly SqlParam[]): SqlWork<T[]>;
  run(sql: string, params?: readonly SqlParam[]): SqlWork<{ changes: number }>;
}

function steps(dialect: SqlDialect): SqlSteps {
  return {
    dialect,
    *get<T>(sql: string, params: readonly SqlParam[] = []): SqlWork<T | undefined> { return (yield { op: 'get', sql, params }) as T | undefined; },
    *all<T>(sql: string, params: readonly SqlParam[] = []): SqlWork<T[]> { return (yield { op: 'all', sql, params }) as T[]; },
    *run(sql: string, params: readonly SqlParam[] = []): SqlWork<{ changes: number }> { return (yield { op: 'run', sql, params }) as { changes: number }; },
  };
}

export interface SqlDatabase extends SqlQueries {
  /**
   * Runs `work` in one transaction, committed durably before the promise resolves, rolled back if it throws.
   * SQLite runs the whole body synchronously inside one better-sqlite3 transaction, so no other code of this process
   * (another request, the job queue on the same connection) can slip a statement into it; PostgreSQL awaits each
   * statement on one pooled client.
   */
  transaction<T>(work: (tx: SqlSteps) => SqlWork<T>): Promise<T>;
  /** Runs a multi-statement read outside a transaction (SQLite: synchronously, hence consistent). */
  read<T>(work: (q: SqlSteps) => SqlWork<T>): Promise<T>;
  migrate(namespace: string, migrations: { readonly sqlite: readonly Migration[]; readonly postgres: readonly Migration[] }): Promise<void>;
  close(): Promise<void>;
}

function driveSync<T>(work: SqlWork<T>, exec: (statement: SqlStatement) => unknown): T {
  let step = work.next();
  while (!step.done) {
    let value: unknown;
    try {
      value = exec(step.value);
    } catch (error) {
      step = work.throw(error);
      continue;
    }
    step = work.next(value);
  }
  return step.value;
}

async function driveAsync<T>(work: SqlWork<T>, exec: (statement: SqlStatement) => Promise<unknown>): Promise<T> {
  let step = work.next();
  while (!step.done) {
    let value: unknown;
    try {
      value = await exec(step.value);
    } catch (error) {
      step = work.throw(error);
      continue;
    }
    step = work.next(value);
  }
  return step.value;
}

/** Per-dialect row locking for a read-modify-write inside a transaction (SQLite's write lock already covers it). */
export const forUpdate = (q: { readonly dialect: SqlDialect }): string => (q.dialect === 'postgres' ? ' FOR UPDATE' : '');

/** Whether an error is a UNIQUE / PRIMARY KEY violation (SQLite or PostgreSQL). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export const isPostgresUrl = (target: string): boolean => /^postgres(ql)?:\/\//i.test(target);

class SqliteSql implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly steps = steps('sqlite');

  constructor(readonly db: SqliteDatabase) {}

  private statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private exec(statement: SqlStatement): unknown {
    const s = this.statement(statement.sql);
    if (statement.op === 'get') return s.get(...statement.params);
    if (statement.op === 'all') return s.all(...statement.params);
    return { changes: s.run(...statement.params).changes };
  }

  async get<T>(sql: string, params: readonly SqlParam[] = []): Promise<T | undefined> {
    return this.statement(sql).get(...params) as T | undefined;
  }

  async all<T>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    return this.statement(sql).all(...params) as T[];
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<{ changes: number }> {
    return { changes: this.statement(sql).run(...params).changes };
  }

  async transaction<T>(work: (tx: SqlSteps) => SqlWork<T>): Promise<T> {
    // better-sqlite3 nests a transaction opened inside another one as a savepoint.
    return this.db.transaction(() => driveSync(work(this.steps), (statement) => this.exec(statement))).immediate();
  }

  async read<T>(work: (q: SqlSteps) => SqlWork<T>): Promise<T> {
    return driveSync(work(this.steps), (statement) => this.exec(statement));
  }

  async migrate(namespace: string, migrations: { readonly sqlite: readonly Migration[] }): Promise<void> {
    applyMigrations(this.db, namespace, migrations.sqlite);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

const wrapped = new WeakMap<SqliteDatabase, SqliteSql>();

/**
 * The async interface over an open better-sqlite3 connection (one cached wrapper per connection, sharing its
 * prepared statements).
 */
export function sqliteDatabase(db: SqliteDatabase): SqlDatabase {
  let sql = wrapped.get(db);
  if (!sql) {
    sql = new SqliteSql(db);
    wrapped.set(db, sql);
  }
  return sql;
}

/** `?` placeholders → `$1, $2, …` (our SQL has no `?` inside string literals). */
export function toPostgresPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function postgresQueries(target: pg.Pool | pg.PoolClient): SqlQueries {
  const query = async <T>(sql: string, params: readonly SqlParam[] = []) =>
    target.query(toPostgresPlaceholders(sql), params as SqlParam[]) as unknown as Promise<pg.QueryResult<T & pg.QueryResultRow>>;
  return {
    dialect: 'postgres',
    get: async <T>(sql: string, params?: readonly SqlParam[]) => (await query<T>(sql, params)).rows[0] as T | undefined,
    all: async <T>(sql: string, params?: readonly SqlParam[]) => (await query<T>(sql, params)).rows as T[],
    run: async (sql: string, params?: readonly SqlParam[]) => ({ changes: (await query(sql, params)).rowCount ?? 0 }),
  };
}

async function execPostgres(q: SqlQueries, statement: SqlStatement): Promise<unknown> {
  if (statement.op === 'get') return q.get(statement.sql, statement.params);
  if (statement.op === 'all') return q.all(statement.sql, statement.params);
  return q.run(statement.sql, statement.params);
}

class PostgresSql implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  private readonly direct: SqlQueries;
  private readonly steps = steps('postgres');

  constructor(readonly pool: PostgresPool, private readonly ownsPool: boolean) {
    this.direct = postgresQueries(pool);
  }

  get<T>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
    return this.direct.get<T>(sql, params);
  }

  all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    return this.direct.all<T>(sql, params);
  }

  run(sql: string, params?: readonly SqlParam[]): Promise<{ changes: number }> {
    return this.direct.run(sql, params);
  }

  transaction<T>(work: (tx: SqlSteps) => SqlWork<T>): Promise<T> {
    return inTransaction(this.pool, (client) => {
      const q = postgresQueries(client);
      return driveAsync(work(this.steps), (statement) => execPostgres(q, statement));
    });
  }

  read<T>(work: (q: SqlSteps) => SqlWork<T>): Promise<T> {
    return driveAsync(work(this.steps), (statement) => execPostgres(this.direct, statement));
  }

  migrate(namespace: string, migrations: { readonly postgres: readonly Migration[] }): Promise<void> {
    return applyPostgresMigrations(this.pool, namespace, migrations.postgres);
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }
}

/** The async interface over a PostgreSQL pool (closing it ends the pool only when `ownsPool`). */
export function postgresDatabase(pool: PostgresPool, options: { ownsPool?: boolean } = {}): SqlDatabase {
  return new PostgresSql(pool, options.ownsPool ?? false);
}

/**
 * Opens the database a connection string names: `postgres://…` / `postgresql://…` → PostgreSQL (a pool this
 * object owns), anything else → the SQLite file at that path (`:memory:` for tests).
 */
export function openSqlDatabase(target: string): SqlDatabase {
  if (isPostgresUrl(target)) return postgresDatabase(openPostgres(target), { ownsPool: true });
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    throw new DrfdsError('storage/bad-database', `unsupported database "${target.replace(/\/\/[^@/]*@/, '//…@')}": give a SQLite file path or a postgres:// connection string`);
  }
  const sql = new SqliteSql(openSqlite(target));
  wrapped.set(sql.db, sql);
  return sql;
}

/** A store's database: an async `SqlDatabase`, or a raw better-sqlite3 connection (wrapped). */
export type StoreDatabase = SqlDatabase | SqliteDatabase;

export const asSqlDatabase = (db: StoreDatabase): SqlDatabase => (db instanceof Database ? sqliteDatabase(db) : db);

/**
 * The base of a module's store on the shared database: migrates the module's schema once (SQLite or PostgreSQL
 * dialect) before the first query; a migration failure surfaces at the first call that awaits it.
 */
export abstract class MigratedStore {
  readonly db: SqlDatabase;
  private readonly migrated: Promise<void>;

  protected constructor(db: StoreDatabase, namespace: string, migrations: { readonly sqlite: readonly Migration[]; readonly postgres: readonly Migration[] }) {
    this.db = asSqlDatabase(db);
    this.migrated = this.db.migrate(namespace, migrations);
    this.migrated.catch(() => undefined); // reported by the first call that awaits it
  }

  /** Resolves once the schema is in place (rejects with the migration's error). */
  ready(): Promise<void> {
    return this.migrated;
  }

  protected async q(): Promise<SqlDatabase> {
    await this.migrated;
    return this.db;
  }
}
