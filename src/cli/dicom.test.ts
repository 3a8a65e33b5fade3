import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PNG } from 'pngjs';
import { readRadiographFile } from '../dicom/index.js';
import { sharedDicomDir } from '../dicom/testing/dcmtkOracle.js';
import { Command } from 'commander';
import { parseWindowOption, registerDicom } from './dicom.js';
import { buildProgram } from './main.js';

const shared = sharedDicomDir();
const dir = mkdtempSync(join(tmpdir(), 'drfds-cli-dicom-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs `drfds dicom …` in-process with captured output (the test runner owns this process's stdout). The
 * program is built like main.ts builds it, with this command registered.
 */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command('drfds').exitOverride();
  registerDicom(program, { stdout: (text) => out.push(text), stderr: (text) => err.push(text) });
  const previous = process.exitCode;
  process.exitCode = 0;
  try {
    await program.parseAsync(args, { from: 'user' });
    return { code: typeof process.exitCode === 'number' ? process.exitCode : 0, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.exitCode = previous;
  }
}

test('drfds dicom info prints the metadata as JSON', async () => {
  const { code, stdout } = await cli(['dicom', 'info', join(shared, 'mono1/CR-MONO1-10-chest.dcm')]);
  assert.equal(code, 0);
  const parsed = JSON.parse(stdout) as { metadata: { modality: string; rows: number; photometricInterpretation: string }; warnings: string[] };
  assert.equal(parsed.metadata.modality, 'CR');
  assert.equal(parsed.metadata.rows, 440);
  assert.equal(parsed.metadata.photometricInterpretation, 'MONOCHROME1');
  assert.equal(parsed.warnings.length, 1);
});

test('drfds dicom render writes the pipeline image as an 8-bit grayscale PNG, for each --window mode', async () => {
  const file = join(shared, 'mono1/CR-MONO1-10-chest.dcm');
  const modes: Array<[string, Parameters<typeof readRadiographFile>[1]]> = [
    ['file', {}],
    ['minmax', { window: { kind: 'minmax' } }],
    ['600,700', { window: { kind: 'linear', center: 600, width: 700 } }],
  ];
  for (const [mode, options] of modes) {
    const out = join(dir, `chest-${mode.replace(',', '_')}.png`);
    const { code } = await cli(['dicom', 'render', file, '--out', out, `--window=${mode}`]);
    assert.equal(code, 0, mode);
    const png = PNG.sync.read(readFileSync(out));
    assert.equal(png.width, 440);
    assert.equal(png.height, 440);
    const expected = (await readRadiographFile(file, options)).display.data;
    const gray = new Uint8Array(png.width * png.height);
    for (let i = 0; i < gray.length; i += 1) gray[i] = png.data[i * 4] ?? 0; // pngjs expands to RGBA
    assert.deepEqual(gray, expected, mode);
  }
  const header = readFileSync(join(dir, 'chest-file.png'));
  assert.equal(header[24], 8, 'bit depth 8');
  assert.equal(header[25], 0, 'colour type 0 (grayscale)');
});

test('bad input: non-zero exit and a one-line reason', async () => {
  const cases: string[][] = [
    ['dicom', 'render', join(shared, 'other/CT_small.dcm'), '--out', join(dir, 'ct.png')],
    ['dicom', 'render', join(shared, 'bad/RG2_truncated.dcm'), '--out', join(dir, 't.png')],
    ['dicom', 'info', join(shared, 'README.md')],
    ['dicom', 'render', join(shared, 'lut/vlut_04.dcm'), '--out', join(dir, 'w.png'), '--window', 'wide'],
  ];
  for (const args of cases) {
    const { code, stderr } = await cli(args);
    assert.notEqual(code, 0, args.join(' '));
    assert.match(stderr, /^drfds: .+\n$/);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
  }
});

test('--window parsing', () => {
  assert.deepEqual(parseWindowOption('file'), { kind: 'file' });
  assert.deepEqual(parseWindowOption('MinMax'), { kind: 'minmax' });
  assert.deepEqual(parseWindowOption('-600,1500'), { kind: 'linear', center: -600, width: 1500 });
  assert.deepEqual(parseWindowOption('40.5, 400'), { kind: 'linear', center: 40.5, width: 400 });
  assert.throws(() => parseWindowOption('40'));
  assert.throws(() => parseWindowOption('40,0'));
});

test('main.ts registers the dicom command', () => {
  const dicom = buildProgram().commands.find((command) => command.name() === 'dicom');
  assert.deepEqual(dicom?.commands.map((command) => command.name()).sort(), ['info', 'render']);
});
