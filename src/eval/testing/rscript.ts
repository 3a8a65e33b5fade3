import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs one R script (the oracle of the statistics tests) with Rscript and returns what it printed as
 * `key value` lines. R prints numbers with sprintf('%.17g'); NA and NaN come back as NaN.
 * The files are written to a fresh temp folder whose path the script reads from `commandArgs(TRUE)[1]`.
 */
export function runRscript(script: string, files: Record<string, string> = {}): Map<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-r-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    writeFileSync(join(dir, 'script.R'), script);
    let stdout: string;
    try {
      stdout = execFileSync('Rscript', ['--vanilla', join(dir, 'script.R'), dir], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const e = error as { code?: string; stderr?: string };
      if (e.code === 'ENOENT') throw new Error('Rscript is not installed: the statistics tests use R and pROC as their oracle (Debian: apt-get install r-cran-proc)');
      throw new Error(`Rscript failed: ${e.stderr ?? String(error)}`);
    }
    const values = new Map<string, number>();
    for (const line of stdout.split('\n')) {
      const trimmed = line.trim();
      if (trimmed === '') continue;
      const space = trimmed.lastIndexOf(' ');
      const key = trimmed.slice(0, space);
      const text = trimmed.slice(space + 1);
      values.set(key, text === 'NA' || text === 'NaN' ? NaN : text === 'Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text));
    }
    return values;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** R helper defined at the top of every oracle script: prints `key value` with 17 significant digits. */
export const R_OUT = "out <- function(key, value) cat(key, ' ', if (is.na(value)) 'NA' else sprintf('%.17g', value), '\\n', sep = '')\n";
