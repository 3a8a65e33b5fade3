import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { DrfdsError } from '../errors/DrfdsError.js';
import { repositoryRoot } from '../cli/packageVersion.js';

/** Where results go: a PACS reached by C-STORE (DIMSE) or by STOW-RS (DICOMweb). */
export type DestinationConfig =
  | { readonly name: string; readonly type: 'dimse'; readonly host: string; readonly port: number; readonly calledAeTitle: string; readonly callingAeTitle?: string; readonly timeoutMs?: number }
  | { readonly name: string; readonly type: 'stow-rs'; readonly url: string; readonly headers?: Readonly<Record<string, string>>; readonly timeoutMs?: number };

/** The whole configuration of `drfds serve` (docs/service.md); every field has an embedded default. */
export interface ServeConfig {
  readonly dataDir: string;
  /**
   * Where the queue, outbox, tokens and audit log live: a PostgreSQL connection string (`postgres://user:pass@host/db`)
   * shared by several service processes or machines; undefined = the SQLite file `drfds.sqlite` in the data directory.
   */
  readonly database?: string;
  /** Model package folder. */
  readonly model: string;
  readonly http: {
    readonly host: string;
    readonly port: number;
    /** Largest accepted upload (one image, or one STOW-RS request). */
    readonly maxUploadBytes: number;
    /** Set the Secure flag on the session cookie (run behind an HTTPS reverse proxy). */
    readonly secureCookies: boolean;
  };
  readonly dicom: {
    readonly enabled: boolean;
    readonly host: string;
    readonly port: number;
    readonly aeTitle: string;
    /** Calling AE titles allowed to associate; empty = any. */
    readonly allowedCallingAeTitles: readonly string[];
  };
  readonly workers: {
    readonly count: number;
    /** onnxruntime threads inside each worker (0 = its default). */
    readonly intraOpNumThreads: number;
    readonly leaseMs: number;
    readonly maxAttempts: number;
    readonly pollMs: number;
  };
  readonly delivery: {
    readonly destinations: readonly DestinationConfig[];
    readonly backoffBaseMs: number;
    readonly backoffMaxMs: number;
    readonly maxAttempts: number;
    readonly concurrency: number;
  };
  /** UID root of the SR and presentation state (default 2.25). */
  readonly uidRoot?: string;
  readonly institutionName?: string;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export function defaultConfig(dataDir = 'drfds-data'): ServeConfig {
  return {
    dataDir: resolve(dataDir),
    model: join(repositoryRoot(), 'models', 'drfds-hip'),
    http: { host: '127.0.0.1', port: 8080, maxUploadBytes: 200 * 1024 * 1024, secureCookies: false },
    dicom: { enabled: true, host: '0.0.0.0', port: 11112, aeTitle: 'DRFDS', allowedCallingAeTitles: [] },
    workers: { count: Math.max(1, Math.min(4, availableParallelism() - 1)), intraOpNumThreads: 0, leaseMs: 60_000, maxAttempts: 3, pollMs: 1000 },
    delivery: { destinations: [], backoffBaseMs: 2000, backoffMaxMs: 300_000, maxAttempts: 100, concurrency: 2 },
    logLevel: 'info',
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(source: string, what: string): DrfdsError {
  return new DrfdsError('config/invalid', `${source}: ${what}`);
}

function checkDestination(value: unknown, index: number, source: string): DestinationConfig {
  const where = `delivery.destinations[${index}]`;
  if (!isObject(value) || typeof value.name !== 'string' || value.name === '') throw bad(source, `${where} needs a "name"`);
  if (value.type === 'dimse') {
    if (typeof value.host !== 'string' || !Number.isInteger(value.port) || typeof value.calledAeTitle !== 'string') {
      throw bad(source, `${where} (dimse) needs "host", integer "port" and "calledAeTitle"`);
    }
    return value as unknown as DestinationConfig;
  }
  if (value.type === 'stow-rs') {
    if (typeof value.url !== 'string' || !/^https?:\/\//.test(value.url)) throw bad(source, `${where} (stow-rs) needs an http(s) "url" ending in /studies`);
    return value as unknown as DestinationConfig;
  }
  throw bad(source, `${where} has type ${JSON.stringify(value.type)}; use "dimse" or "stow-rs"`);
}

/** Merges overrides (a config file's JSON, CLI flags) onto a base configuration, checking every field it reads. */
export function mergeConfig(base: ServeConfig, overrides: unknown, source = 'configuration'): ServeConfig {
  if (!isObject(overrides)) throw bad(source, 'must be a JSON object');
  const section = <T extends object>(name: string, current: T): T => {
    const value = overrides[name];
    if (value === undefined) return current;
    if (!isObject(value)) throw bad(source, `"${name}" must be an object`);
    for (const key of Object.keys(value)) if (!(key in current)) throw bad(source, `unknown setting "${name}.${key}"`);
    for (const [key, v] of Object.entries(value)) {
      const expected = typeof (current as Record<string, unknown>)[key];
      const isArray = Array.isArray((current as Record<string, unknown>)[key]);
      if (isArray ? !Array.isArray(v) : typeof v !== expected) throw bad(source, `"${name}.${key}" must be ${isArray ? 'an array' : `a ${expected}`}`);
    }
    return { ...current, ...value } as T;
  };
  for (const key of Object.keys(overrides)) if (!(key in base) && key !== 'uidRoot' && key !== 'institutionName' && key !== 'database') throw bad(source, `unknown setting "${key}"`);
  const database = overrides.database;
  if (database !== undefined && (typeof database !== 'string' || !/^postgres(ql)?:\/\/./i.test(database))) {
    throw bad(source, '"database" must be a PostgreSQL connection string (postgres://user:password@host:5432/dbname); leave it out for the SQLite file in the data directory');
  }
  const delivery = section('delivery', base.delivery);
  const merged: ServeConfig = {
    ...base,
    ...(typeof overrides.dataDir === 'string' ? { dataDir: resolve(overrides.dataDir) } : {}),
    ...(typeof overrides.model === 'string' ? { model: resolve(overrides.model) } : {}),
    ...(typeof database === 'string' ? { database } : {}),
    ...(typeof overrides.uidRoot === 'string' ? { uidRoot: overrides.uidRoot } : {}),
    ...(typeof overrides.institutionName === 'string' ? { institutionName: overrides.institutionName } : {}),
    ...(typeof overrides.logLevel === 'string' ? { logLevel: overrides.logLevel as ServeConfig['logLevel'] } : {}),
    http: section('http', base.http),
    dicom: section('dicom', base.dicom),
    workers: section('workers', base.workers),
    delivery: { ...delivery, destinations: delivery.destinations.map((d, i) => checkDestination(d, i, source)) },
  };
  const names = merged.delivery.destinations.map((d) => d.name);
  if (new Set(names).size !== names.length) throw bad(source, 'delivery.destinations have duplicate names');
  if (!/^[ -~]{1,16}$/.test(merged.dicom.aeTitle) || merged.dicom.aeTitle.trim() === '') throw bad(source, `dicom.aeTitle "${merged.dicom.aeTitle}" must be 1–16 printable ASCII characters`);
  if (merged.workers.count < 1) throw bad(source, 'workers.count must be at least 1');
  return merged;
}

export function loadConfigFile(path: string, base: ServeConfig): ServeConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new DrfdsError('config/unreadable', `cannot read the configuration ${path}: ${(error as Error).message}`);
  }
  return mergeConfig(base, json, path);
}
