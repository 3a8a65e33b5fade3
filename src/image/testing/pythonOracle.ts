import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Python with Debian's PyTorch, numpy and Pillow (as scripts/test.sh): the oracle for decoding, resizing, normalising and NMS. */
export const PYTHON = process.env.DRFDS_PYTHON ?? '/usr/bin/python3';

/**
 * Runs `script` in that Python with `inputs` written as float32 files; the script sees their paths as `IN[i]` and
 * writes its answers as float32 to `OUT[i]` (as many as `outputs`), which are returned. numpy is imported as np;
 * import torch / PIL in the script where needed (importing torch costs seconds: batch the cases into one call).
 */
export function runPython(script: string, inputs: readonly Float32Array[], outputs = inputs.length): Float32Array[] {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-oracle-'));
  try {
    const inPaths = inputs.map((_, i) => join(dir, `in${i}.f32`));
    const outPaths = Array.from({ length: outputs }, (_, i) => join(dir, `out${i}.f32`));
    inputs.forEach((input, i) => writeFileSync(inPaths[i]!, new Uint8Array(input.buffer, input.byteOffset, input.byteLength)));
    const code = `import numpy as np\nIN=${JSON.stringify(inPaths)}\nOUT=${JSON.stringify(outPaths)}\n${script}\n`;
    const run = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`Python oracle failed: ${run.stderr}`);
    return outPaths.map((path) => {
      const bytes = readFileSync(path);
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A deterministic pseudo-random 8-bit image (LCG) with some structure, for oracle comparisons. */
export function syntheticPixels(width: number, height: number, seed = 1): Uint8Array {
  const data = new Uint8Array(width * height);
  let state = seed >>> 0;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      const smooth = 128 + 100 * Math.sin(x / 7) * Math.cos(y / 11);
      data[y * width + x] = Math.max(0, Math.min(255, Math.round(smooth + ((state >>> 24) - 128) / 4)));
    }
  }
  return data;
}
