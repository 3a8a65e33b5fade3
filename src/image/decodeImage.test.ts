import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from '../cli/packageVersion.js';
import { isDrfdsError } from '../errors/DrfdsError.js';
import { decodeImage, lumaBt601, sniffRasterFormat } from './decodeImage.js';
import { runPython } from './testing/pythonOracle.js';

const root = repositoryRoot();
const jpeg = join(root, '..', 'shared', 'data', 'fracatlas', 'images', 'IMG0002337.jpg');

function differing(a: Uint8Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) n += 1;
  return n;
}

test('decodeImage gives the same pixels as the trainer (Pillow) for a real FracAtlas JPEG', async () => {
  const decoded = await decodeImage(readFileSync(jpeg), jpeg);
  assert.equal(decoded.format, 'jpeg');
  assert.deepEqual([decoded.image.width, decoded.image.height], [819, 1024]);
  const [pil] = runPython(
    `import sys\nsys.path.insert(0, ${JSON.stringify(root)})\nfrom trainer.preprocess import load_gray\n` +
      `load_gray(${JSON.stringify(jpeg)}).astype(np.float32).tofile(OUT[0])`,
    [],
    1,
  );
  assert.equal(differing(decoded.image.data, pil!), 0);
});

test('decodeImage converts a colour PNG to luminance as Pillow convert("L") does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-decode-'));
  try {
    const path = join(dir, 'colour.png');
    const [pil] = runPython(
      `from PIL import Image\nrng = np.random.default_rng(3)\nrgb = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)\n` +
        `Image.fromarray(rgb, 'RGB').save(${JSON.stringify(path)})\n` +
        `np.asarray(Image.open(${JSON.stringify(path)}).convert('L')).astype(np.float32).tofile(OUT[0])`,
      [],
      1,
    );
    const decoded = await decodeImage(readFileSync(path), path);
    assert.equal(decoded.format, 'png');
    assert.equal(decoded.sourceChannels, 3);
    assert.equal(decoded.colour, true);
    assert.deepEqual([decoded.image.width, decoded.image.height], [53, 37]);
    assert.equal(differing(decoded.image.data, pil!), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('decodeImage refuses unknown and corrupt content with a message naming the file', async () => {
  await assert.rejects(decodeImage(new Uint8Array([1, 2, 3, 4]), 'notes.txt'), (error) => isDrfdsError(error) && error.code === 'image/unsupported-format' && error.message.includes('notes.txt'));
  const truncated = readFileSync(jpeg).subarray(0, 2000);
  await assert.rejects(decodeImage(truncated, 'cut.jpg'), (error) => isDrfdsError(error) && error.code === 'image/unreadable' && error.message.includes('cut.jpg'));
  assert.equal(sniffRasterFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])), 'jpeg');
  assert.equal(lumaBt601(255, 255, 255), 255);
  assert.equal(lumaBt601(0, 0, 0), 0);
});
