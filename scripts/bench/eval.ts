/**
 * `npm run bench eval`: DeLong's paired test (Sun & Xu's O(n log n) algorithm) on 1,000,000 images × 2 models,
 * and pROC's roc.test (DeLong) on 100,000 images in the same run, with our result on those 100,000 beside it.
 * R's time is measured inside R with system.time (R start-up excluded) and as the wall time of the Rscript call.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchSection } from '../bench.js';
import { createRandom } from '../../src/eval/stats/random.js';
import { delongPaired, type CaseControlScores } from '../../src/eval/stats/delong.js';

interface PairedData { labels: Uint8Array; a: Float64Array; b: Float64Array }

/** Detector-like image scores: two correlated models, 4-decimal scores (ties), 0 for images without detections. */
function generate(n: number, seed: number): PairedData {
  const r = createRandom(seed);
  const labels = new Uint8Array(n);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const logistic = (x: number): number => 1 / (1 + Math.exp(-x));
  for (let i = 0; i < n; i += 1) {
    const y = r.next() < 0.3 ? 1 : 0;
    const shared = r.normal();
    labels[i] = y;
    a[i] = Math.round(1e4 * logistic(1.2 * y - 0.8 + 0.9 * shared + 0.5 * r.normal())) / 1e4;
    b[i] = Math.round(1e4 * logistic(1.19 * y - 0.8 + 0.9 * shared + 0.52 * r.normal())) / 1e4;
    if (y === 0 && r.next() < 0.3) a[i] = 0;
    if (y === 0 && r.next() < 0.3) b[i] = 0;
  }
  return { labels, a, b };
}

function split(data: PairedData, scores: Float64Array): CaseControlScores {
  const cases: number[] = [];
  const controls: number[] = [];
  for (let i = 0; i < scores.length; i += 1) (data.labels[i] ? cases : controls).push(scores[i] as number);
  return { cases: Float64Array.from(cases), controls: Float64Array.from(controls) };
}

function timeDelong(data: PairedData, runs: number): { first: number; median: number; z: number; p: number } {
  const first = split(data, data.a);
  const second = split(data, data.b);
  const times: number[] = [];
  let z = NaN;
  let p = NaN;
  for (let k = 0; k < runs; k += 1) {
    const start = performance.now();
    const t = delongPaired(first, second);
    times.push((performance.now() - start) / 1000);
    z = t.statistic;
    p = t.pValue;
  }
  const sorted = [...times].sort((x, y) => x - y);
  return { first: times[0] as number, median: sorted[Math.floor(sorted.length / 2)] as number, z, p };
}

function runPRoc(data: PairedData): { rocTest: number; withRoc: number; wall: number; z: number; p: number; version: string } | string {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-bench-'));
  try {
    const rows = ['label,a,b'];
    for (let i = 0; i < data.labels.length; i += 1) rows.push(`${data.labels[i]},${data.a[i]},${data.b[i]}`);
    writeFileSync(join(dir, 'scores.csv'), `${rows.join('\n')}\n`);
    const script = `suppressMessages(library(pROC))
d <- read.csv(file.path(commandArgs(TRUE)[1], 'scores.csv'))
t1 <- system.time({ r1 <- roc(d$label, d$a, levels = c(0, 1), direction = '<', quiet = TRUE); r2 <- roc(d$label, d$b, levels = c(0, 1), direction = '<', quiet = TRUE); t <- roc.test(r1, r2, method = 'delong', paired = TRUE) })
t2 <- system.time(t <- roc.test(r1, r2, method = 'delong', paired = TRUE))
cat(sprintf('%.17g %.17g %.17g %.17g %s\\n', t1[['elapsed']], t2[['elapsed']], t$statistic, t$p.value, as.character(packageVersion('pROC'))))
`;
    writeFileSync(join(dir, 'bench.R'), script);
    const start = performance.now();
    const out = execFileSync('Rscript', ['--vanilla', join(dir, 'bench.R'), dir], { encoding: 'utf8' }).trim().split(/\s+/);
    const wall = (performance.now() - start) / 1000;
    return { withRoc: Number(out[0]), rocTest: Number(out[1]), wall, z: Number(out[2]), p: Number(out[3]), version: out[4] ?? '?' };
  } catch (error) {
    return `pROC not run: ${(error as Error).message.split('\n')[0] ?? ''}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchSection> {
  const big = generate(1_000_000, 1);
  const ours1m = timeDelong(big, 5);
  const medium = generate(100_000, 2);
  const ours100k = timeDelong(medium, 5);
  const proc = runPRoc(medium);
  const s = (x: number): string => `${x.toFixed(3)} s`;
  const lines = [
    "DeLong's test for two correlated ROC curves (paired, 2 models). Scores are detector-like: 30 % fractures,",
    '4-decimal scores (ties) and 30 % of normal images without detections (score 0). Ours: `delongPaired`',
    "(src/eval/stats/delong.ts, Sun & Xu 2014 midrank algorithm, radix argsort); first call and median of 5.",
    '',
    '| Implementation | Images | Time (first / median) | z | p |',
    '| --- | --- | --- | --- | --- |',
    `| drfds \`delongPaired\` | 1,000,000 | ${s(ours1m.first)} / ${s(ours1m.median)} | ${ours1m.z.toFixed(4)} | ${ours1m.p.toPrecision(4)} |`,
    `| drfds \`delongPaired\` | 100,000 | ${s(ours100k.first)} / ${s(ours100k.median)} | ${ours100k.z.toFixed(6)} | ${ours100k.p.toPrecision(6)} |`,
  ];
  if (typeof proc === 'string') lines.push('', proc);
  else {
    lines.push(
      `| pROC ${proc.version} \`roc.test\` (in R, system.time) | 100,000 | ${s(proc.rocTest)} | ${proc.z.toFixed(6)} | ${proc.p.toPrecision(6)} |`,
      `| pROC ${proc.version} \`roc\` ×2 + \`roc.test\` (in R) | 100,000 | ${s(proc.withRoc)} | | |`,
      `| pROC, wall time of the Rscript call (start-up, CSV read) | 100,000 | ${s(proc.wall)} | | |`,
      '',
      `Agreement on the same 100,000 images: |Δz| = ${Math.abs(proc.z - ours100k.z).toExponential(2)}, |Δp| = ${Math.abs(proc.p - ours100k.p).toExponential(2)}.`,
      `Target: 1,000,000 images × 2 models ≤ 2 s — ${ours1m.median <= 2 ? 'met' : 'NOT met'} (median ${s(ours1m.median)}).`,
    );
  }
  return { title: 'Evaluation: DeLong paired test (drfds vs pROC)', markdown: lines.join('\n') };
}
