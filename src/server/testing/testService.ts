import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from '../../cli/packageVersion.js';
import { defaultConfig, mergeConfig, type ServeConfig } from '../config.js';
import { DrfdsService, type ServiceOptions } from '../DrfdsService.js';
import { memoryLogger } from '../logger.js';

export const sharedDir = (): string => join(repositoryRoot(), '..', 'shared');
export const tinyModelDir = (): string => join(repositoryRoot(), 'fixtures', 'models', 'tiny-random');

/** A fresh temporary data directory. */
export function tempDataDir(prefix = 'drfds-serve-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Test configuration: tiny model, loopback only, ports chosen by the OS, short leases and backoff. */
export function testConfig(dataDir: string, overrides: Record<string, unknown> = {}): ServeConfig {
  const base = mergeConfig(defaultConfig(dataDir), {
    model: tinyModelDir(),
    http: { host: '127.0.0.1', port: 0 },
    dicom: { host: '127.0.0.1', port: 0, aeTitle: 'DRFDS' },
    workers: { count: 1, intraOpNumThreads: 1, leaseMs: 5000, pollMs: 100 },
    delivery: { backoffBaseMs: 200, backoffMaxMs: 1000 },
    logLevel: 'debug',
  });
  return mergeConfig(base, overrides);
}

export async function startTestService(dataDir: string, overrides: Record<string, unknown> = {}, options: ServiceOptions = {}) {
  const logger = memoryLogger('debug');
  const service = await DrfdsService.start(testConfig(dataDir, overrides), { logger, deliveryPollMs: 200, ...options });
  const token = await service.tokens.create(`test-${Math.random().toString(36).slice(2, 8)}`);
  return { service, token, logger, base: `http://127.0.0.1:${service.httpPort}` };
}

/** Polls `check` every `everyMs` until it returns a value, or fails after `timeoutMs` with `what`. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
