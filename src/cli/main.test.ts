import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProgram, main } from './main.js';
import { packageVersion } from './packageVersion.js';

test('drfds --version exits 0', async () => {
  const output: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => { output.push(String(chunk)); return true; }) as typeof process.stdout.write;
  try {
    assert.equal(await main(['--version']), 0);
  } finally {
    process.stdout.write = original;
  }
  assert.equal(output.join('').trim(), packageVersion());
});

test('an unknown command fails with a non-zero status', async () => {
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    assert.notEqual(await main(['no-such-command']), 0);
  } finally {
    process.stderr.write = original;
  }
  assert.equal(buildProgram().name(), 'drfds');
});
