/**
 * Fuzzing the reader with mutated real files (bytes flipped, element lengths overwritten, bytes inserted or
 * deleted, truncation, corrupted compressed streams): every case must end in a DrfdsError or a valid image, never
 * another exception or a hang. Seeded, so a failure names a reproducible case. Runs in a worker thread with a
 * watchdog per case.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../workers/startModuleWorker.js';
import { createRandom } from '../eval/stats/random.js';
import { hasTool, sharedDicomDir } from './testing/dcmtkOracle.js';
import type { FuzzOutcome } from './testing/fuzzWorker.js';

const SEED = 20261201;
const CASES_PER_FILE = 24;
const CASE_TIMEOUT_MS = 20_000;


const MUTATIONS = ['flip-anywhere', 'flip-header', 'overwrite-length', 'truncate', 'corrupt-pixel-data', 'insert-or-delete'] as const;
type Mutation = (typeof MUTATIONS)[number];

/** Where Pixel Data (7FE0,0010) starts: the header is everything before it. */
function pixelDataOffset(bytes: Uint8Array): number {
  for (let i = bytes.length - 4; i >= 0; i -= 1) {
    if (bytes[i] === 0xe0 && bytes[i + 1] === 0x7f && bytes[i + 2] === 0x10 && bytes[i + 3] === 0x00) return i;
  }
  return Math.min(bytes.length, 4096);
}

function mutate(original: Uint8Array, kind: Mutation, random: () => number): Uint8Array {
  const int = (n: number) => Math.floor(random() * n);
  const header = Math.max(1, pixelDataOffset(original));
  const bytes = Uint8Array.from(original);
  switch (kind) {
    case 'flip-anywhere':
      for (let n = 1 + int(16); n > 0; n -= 1) {
        const at = int(bytes.length);
        bytes[at] = (bytes[at] ?? 0) ^ (1 + int(255));
      }
      return bytes;
    case 'flip-header':
      for (let n = 1 + int(8); n > 0; n -= 1) {
        const at = int(header);
        bytes[at] = (bytes[at] ?? 0) ^ (1 + int(255));
      }
      return bytes;
    case 'overwrite-length': {
      const special = [0, 1, 2, 0xff, 0xffff, 0xfffe, 0x7fffffff, 0xffffffff, int(2 ** 32)];
      const value = special[int(special.length)] ?? 0;
      const at = Math.min(int(header + 8), bytes.length - 4);
      const view = new DataView(bytes.buffer);
      if (random() < 0.5) view.setUint16(at, value & 0xffff, true);
      else view.setUint32(at, value >>> 0, true);
      return bytes;
    }
    case 'truncate':
      return bytes.subarray(0, int(bytes.length));
    case 'corrupt-pixel-data': {
      const start = header + int(Math.max(1, bytes.length - header));
      const end = Math.min(bytes.length, start + 1 + int(4096));
      if (random() < 0.5) bytes.fill(int(256), start, end);
      else for (let i = start; i < end; i += 1) bytes[i] = int(256);
      return bytes;
    }
    case 'insert-or-delete': {
      const at = int(header);
      const count = 1 + int(64);
      if (random() < 0.5) return Uint8Array.from([...original.subarray(0, at), ...original.subarray(at + count)]);
      const inserted = Uint8Array.from({ length: count }, () => int(256));
      const out = new Uint8Array(original.length + count);
      out.set(original.subarray(0, at), 0);
      out.set(inserted, at);
      out.set(original.subarray(at), at + count);
      return out;
    }
  }
}

const shared = sharedDicomDir();
const tempDir = mkdtempSync(join(tmpdir(), 'drfds-dicom-fuzz-'));
after(() => rmSync(tempDir, { recursive: true, force: true }));

/** Small inputs in many encodings: the 440×440 chest re-encoded by DCMTK (and GDCM for JPEG 2000). */
function inputs(): Array<{ name: string; bytes: Uint8Array }> {
  const chest = join(shared, 'mono1/CR-MONO1-10-chest.dcm');
  const list = [
    { name: 'CR-MONO1-10 (raw implicit LE)', path: chest },
    { name: 'vlut_04 (VOI LUT)', path: join(shared, 'lut/vlut_04.dcm') },
    { name: 'mlut_18 (Modality LUT, signed)', path: join(shared, 'lut/mlut_18.dcm') },
    { name: 'RG2_JPLY (JPEG 12-bit)', path: join(shared, 'hip/RG2_JPLY.dcm') },
  ];
  const encodings: Array<[string, string, string[]]> = [
    ['JPEG lossless SV1', 'dcmcjpeg', []],
    ['JPEG-LS lossless', 'dcmcjpls', []],
    ['RLE', 'dcmcrle', []],
    ['explicit big endian', 'dcmconv', ['+tb']],
    ['deflated', 'dcmconv', ['+td']],
  ];
  for (const [name, tool, args] of encodings) {
    if (!hasTool(tool)) continue;
    const out = join(tempDir, `${name.replace(/\W+/g, '-')}.dcm`);
    execFileSync(tool, ['-q', ...args, chest, out]);
    list.push({ name: `CR-MONO1-10 as ${name}`, path: out });
  }
  if (hasTool('gdcmconv')) {
    const out = join(tempDir, 'j2k.dcm');
    execFileSync('gdcmconv', ['--j2k', chest, out]);
    list.push({ name: 'CR-MONO1-10 as JPEG 2000', path: out });
  }
  return list.map(({ name, path }) => ({ name, bytes: readFileSync(path) }));
}

class FuzzWorker {
  private worker = this.start();
  private nextId = 0;

  private start(): Worker {
    return startModuleWorker(import.meta.url, 'testing/fuzzWorker');
  }

  /** The outcome, or 'hang' after the timeout (the worker is then replaced). */
  async read(bytes: Uint8Array): Promise<FuzzOutcome | 'hang'> {
    const id = this.nextId++;
    const worker = this.worker;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        worker.off('message', onMessage);
        void worker.terminate();
        this.worker = this.start();
        resolve('hang');
      }, CASE_TIMEOUT_MS);
      const onMessage = (message: { id: number; outcome: FuzzOutcome }) => {
        if (message.id !== id) return;
        clearTimeout(timer);
        worker.off('message', onMessage);
        resolve(message.outcome);
      };
      worker.on('message', onMessage);
      worker.postMessage({ id, bytes });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

test('mutated real files give a DrfdsError or a valid image, never another exception or a hang', { timeout: 600_000 }, async (t) => {
  const files = inputs();
  const worker = new FuzzWorker();
  const failures: string[] = [];
  const tally = new Map<string, number>();
  try {
    const clean = new Map<string, string>();
    for (const file of files) {
      const outcome = await worker.read(file.bytes);
      assert.ok(outcome !== 'hang' && outcome.kind === 'image' && outcome.valid, `${file.name} must read before mutation: ${JSON.stringify(outcome)}`);
      clean.set(file.name, outcome.sha256);
    }
    for (const [fileIndex, file] of files.entries()) {
      for (let index = 0; index < CASES_PER_FILE; index += 1) {
        const caseSeed = SEED + fileIndex * 1000 + index;
        const rng = createRandom(caseSeed); // reproducible from (seed, index)
        const random = (): number => rng.next();
        const kind = MUTATIONS[index % MUTATIONS.length] ?? 'flip-anywhere';
        const outcome = await worker.read(mutate(file.bytes, kind, random));
        const label = `${file.name}, ${kind}, seed ${caseSeed}`;
        if (outcome === 'hang') failures.push(`${label}: no answer within ${CASE_TIMEOUT_MS} ms`);
        else if (outcome.kind === 'other-error') failures.push(`${label}: ${outcome.detail}`);
        else if (outcome.kind === 'image' && !outcome.valid) failures.push(`${label}: invalid image ${outcome.detail}`);
        const key = outcome === 'hang' ? 'hang' : outcome.kind === 'drfds-error' ? outcome.code : outcome.kind;
        tally.set(key, (tally.get(key) ?? 0) + 1);
      }
    }
    // Codec failures must not leave the WebAssembly codecs in a state that changes later results.
    for (const file of files) {
      const outcome = await worker.read(file.bytes);
      assert.ok(outcome !== 'hang' && outcome.kind === 'image', `${file.name} must still read after the fuzz cases`);
      assert.equal(outcome.sha256, clean.get(file.name), `${file.name} decodes differently after the fuzz cases`);
    }
  } finally {
    await worker.close();
  }
  t.diagnostic(`${files.length} files × ${CASES_PER_FILE} cases: ${[...tally].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  assert.deepEqual(failures, []);
});
