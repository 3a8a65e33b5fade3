/**
 * `npm run bench dicom`: decode + render (PS3.3 C.11 pipeline, the file's window) of the RG2 hip radiograph
 * (1760×2140, 10 bits) in each of its encodings, beside DCMTK 3.6 rendering the same file to PGM in the same run
 * (`dcmj2pnm`, `dcml2pnm` for JPEG-LS, `+Wi 1`). Ours runs in-process from the file on disk (read, parse, decode,
 * pipeline); DCMTK's time is its whole command (process start ≈ a few ms, read, decode, render, write PGM).
 * Runs are interleaved (ours, DCMTK, ours, …) so both see the same machine load; medians (and minima) of 7.
 * Peak RSS: a fresh process reading the largest file, measured by getrusage(RUSAGE_CHILDREN).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchSection } from '../bench.js';
import { repositoryRoot } from '../../src/cli/packageVersion.js';
import { readRadiographFile } from '../../src/dicom/index.js';

const RUNS = 7;
const ENCODINGS: Array<[string, string]> = [
  ['RG2_ExplLE.dcm', 'Explicit VR Little Endian'],
  ['RG2_ImplLE.dcm', 'Implicit VR Little Endian'],
  ['RG2_Deflate.dcm', 'Deflated Explicit VR LE'],
  ['RG2_RLE.dcm', 'RLE Lossless'],
  ['RG2_JPEGBase.dcm', 'JPEG Baseline 8-bit'],
  ['RG2_JPLY.dcm', 'JPEG Extended 12-bit'],
  ['RG2_JPEGLL14.dcm', 'JPEG Lossless process 14'],
  ['RG2_JPLL.dcm', 'JPEG Lossless SV1'],
  ['RG2_JLSL.dcm', 'JPEG-LS lossless'],
  ['RG2_JLSN.dcm', 'JPEG-LS near-lossless'],
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function timeDcmtk(tool: string, file: string, out: string): number {
  const start = performance.now();
  const result = spawnSync(tool, ['-q', '+Wi', '1', '+op', file, out]);
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`${tool} failed on ${file}: ${String(result.stderr)}`);
  return ms;
}

async function timeOurs(file: string): Promise<number> {
  const start = performance.now();
  const radiograph = await readRadiographFile(file);
  const ms = performance.now() - start;
  if (radiograph.display.data.length !== radiograph.display.width * radiograph.display.height) throw new Error('bad image');
  return ms;
}

/** Peak RSS (MiB) of a child process, from getrusage(RUSAGE_CHILDREN) in a Python parent. */
function peakRssMiB(command: string[]): number {
  const script = 'import resource, subprocess, sys\nsubprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\nprint(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)';
  const kib = Number(execFileSync('/usr/bin/python3', ['-c', script, ...command], { encoding: 'utf8' }).trim());
  return kib / 1024;
}

export async function run(): Promise<BenchSection> {
  const hip = join(repositoryRoot(), '..', 'shared', 'dicom', 'hip');
  const dir = mkdtempSync(join(tmpdir(), 'drfds-bench-dicom-'));
  const rows: string[] = [];
  const loadBefore = loadavg().map((v) => v.toFixed(1)).join(' / ');
  let worst = 0;
  try {
    for (const [name, label] of ENCODINGS) {
      const file = join(hip, name);
      const tool = name.startsWith('RG2_JLS') ? 'dcml2pnm' : 'dcmj2pnm';
      const out = join(dir, 'out.pgm');
      await timeOurs(file); // warm-up: JIT and first use of the codec
      timeDcmtk(tool, file, out);
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let i = 0; i < RUNS; i += 1) {
        ours.push(await timeOurs(file));
        theirs.push(timeDcmtk(tool, file, out));
      }
      const ratio = median(ours) / median(theirs);
      const best = Math.min(...ours) / Math.min(...theirs);
      worst = Math.max(worst, ratio);
      rows.push(
        `| ${label} | \`${name}\` | ${median(ours).toFixed(0)} (${Math.min(...ours).toFixed(0)}) | ${median(theirs).toFixed(0)} (${Math.min(...theirs).toFixed(0)}) \`${tool}\` | ${ratio.toFixed(2)}× (${best.toFixed(2)}×) |`,
      );
    }
    const largest = join(hip, 'RG2_ExplLE.dcm');
    const reader = `import { readRadiographFile } from ${JSON.stringify(join(repositoryRoot(), 'src', 'dicom', 'index.ts'))}; await readRadiographFile(${JSON.stringify(largest)});`;
    const baseline = `import ${JSON.stringify(join(repositoryRoot(), 'src', 'dicom', 'index.ts'))};`;
    const oursRss = peakRssMiB([process.execPath, '--import', 'tsx', '--input-type=module', '-e', reader]);
    const biggest = join(hip, '..', 'dx', 'NM_Kakadu44_SOTmarkerincons.dcm');
    const biggestReader = reader.replace(JSON.stringify(largest), JSON.stringify(biggest));
    const biggestRss = peakRssMiB([process.execPath, '--import', 'tsx', '--input-type=module', '-e', biggestReader]);
    const baseRss = peakRssMiB([process.execPath, '--import', 'tsx', '--input-type=module', '-e', baseline]);
    const dcmtkRss = peakRssMiB(['dcmj2pnm', '-q', '+Wi', '1', '+op', largest, join(dir, 'rss.pgm')]);
    return {
      title: 'DICOM decode + render (RG2 hip, 1760×2140) vs DCMTK',
      markdown: [
        `Decode + PS3.3 C.11 rendering with the file's window, median of ${RUNS} interleaved runs after one warm-up.`,
        'Ours: `readRadiographFile` in-process (dicom-parser + dcmjs-codecs WASM). DCMTK 3.6.7: the whole command writing PGM.',
        '',
        '| encoding | file | ours, ms: median (min) | DCMTK, ms: median (min) | ours / DCMTK: medians (minima) |',
        '|---|---|---:|---:|---:|',
        ...rows,
        '',
        `Worst ratio of medians: **${worst.toFixed(2)}×** (goal ≤ 1.5×).`,
        '',
        `Peak RSS reading the largest RG2 file (\`RG2_ExplLE.dcm\`, 7.5 MB): ours ${oursRss.toFixed(0)} MiB in a fresh Node process`,
        `(of which ${baseRss.toFixed(0)} MiB is Node + tsx + the instantiated WASM codecs before any file), DCMTK \`dcmj2pnm\` ${dcmtkRss.toFixed(0)} MiB.`,
        `The largest image of shared/dicom (\`dx/NM_Kakadu44_SOTmarkerincons.dcm\`, 2048×2500, JPEG 2000): ours ${biggestRss.toFixed(0)} MiB (DCMTK cannot decode JPEG 2000).`,
        '',
        `Load average while measuring: ${loadBefore} → ${loadavg().map((v) => v.toFixed(1)).join(' / ')} (1/5/15 min; other jobs shared the 2 cores,`,
        'so absolute times are inflated for both columns; the interleaved ratio is the comparison).',
      ].join('\n'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
