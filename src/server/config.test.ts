import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, mergeConfig } from './config.js';

test('unknown settings, wrong types and bad destinations are refused with the setting named', () => {
  const base = defaultConfig('/tmp/drfds-config-test');
  assert.throws(() => mergeConfig(base, { htp: {} }), /unknown setting "htp"/);
  assert.throws(() => mergeConfig(base, { http: { prot: 1 } }), /unknown setting "http.prot"/);
  assert.throws(() => mergeConfig(base, { http: { port: '80' } }), /"http.port" must be a number/);
  assert.throws(() => mergeConfig(base, { dicom: { allowedCallingAeTitles: 'ORTHANC' } }), /must be an array/);
  assert.throws(() => mergeConfig(base, { delivery: { destinations: [{ name: 'p', type: 'ftp' }] } }), /use "dimse" or "stow-rs"/);
  assert.throws(() => mergeConfig(base, { delivery: { destinations: [{ name: 'p', type: 'dimse', host: 'h' }] } }), /needs "host", integer "port" and "calledAeTitle"/);
  assert.throws(() => mergeConfig(base, { delivery: { destinations: [{ name: 'p', type: 'stow-rs', url: 'h' }, { name: 'p', type: 'stow-rs', url: 'http://x/studies' }] } }), /http\(s\) "url"/);
  const merged = mergeConfig(base, { workers: { count: 3 }, delivery: { destinations: [{ name: 'pacs', type: 'stow-rs', url: 'http://127.0.0.1:8042/dicom-web/studies' }] } });
  assert.equal(merged.workers.count, 3);
  assert.equal(merged.workers.leaseMs, base.workers.leaseMs, 'other settings keep their defaults');
  assert.equal(merged.delivery.destinations[0]?.name, 'pacs');
});

test('"database" takes a PostgreSQL connection string; the default is the data directory\'s SQLite file', () => {
  const base = defaultConfig('/tmp/drfds-config-test');
  assert.equal(base.database, undefined);
  assert.equal(mergeConfig(base, { database: 'postgres://drfds:pw@db:5432/drfds' }).database, 'postgres://drfds:pw@db:5432/drfds');
  assert.equal(mergeConfig(base, { database: 'postgresql://db/drfds' }).database, 'postgresql://db/drfds');
  assert.throws(() => mergeConfig(base, { database: 'mysql://db/drfds' }), /"database" must be a PostgreSQL connection string/);
  assert.throws(() => mergeConfig(base, { database: 5432 }), /"database" must be a PostgreSQL connection string/);
});
