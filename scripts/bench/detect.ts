/**
 * `npm run bench detect`: end-to-end detection time per radiograph on this machine, split into read (file → the
 * displayed 8-bit image: DICOM decode + pixel pipeline, or JPEG decode) / preprocess (resize, normalise, pad) /
 * session.run / postprocess (score filter, NMS, map back), for RG2_JPLL.dcm (1760×2140, JPEG lossless) and a batch
 * of FracAtlas hip images, with the shipped model package (models/drfds-hip) — and, for the pipeline alone, the tiny
 * test package. The pipeline's share (everything but session.run) is measured in the same runs as session.run.
 * Peak memory: a fresh `drfds detect` process on the largest input (RSS from /usr/bin/time). Throughput of
 * `drfds predict` with 2 workers × 1 intra-op thread vs 1 worker × 2 threads, same images, same run.
 * Anchor, measured side by side in the same run: torchvision's plain fasterrcnn_resnet50_fpn (random init, exported
 * by scripts/bench/anchor/export_plain_fasterrcnn.py with Debian's PyTorch, cached in tmp/bench-anchor/) in
 * onnxruntime-node at the same 512×640 model input (the issue quotes ~0.57 s for it here); goal ≤ 0.8 s end to end,
 * pipeline ≤ 15 % of session.run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchSection } from '../bench.js';
import { repositoryRoot } from '../../src/cli/packageVersion.js';
import { createDetector, type Detector } from '../../src/detector/Detector.js';
import { detectFile } from '../../src/detector/detectFile.js';
import { predictDataset } from '../../src/detector/predictDataset.js';

const root = repositoryRoot();
const shared = join(root, '..', 'shared');
const rg2 = join(shared, 'dicom', 'hip', 'RG2_JPLL.dcm');
const fracatlas = join(shared, 'data', 'fracatlas');
const shippedDir = join(root, 'models', 'drfds-hip');
const tinyDir = join(root, 'fixtures', 'models', 'tiny-random');

interface Split {
  read: number;
  preprocess: number;
  inference: number;
  postprocess: number;
  total: number;
  /** (total − session.run) / session.run, each run's own, then averaged the same way: the pipeline's share measured within one run. */
  share: number;
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (value: number): string => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`);
const pct = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(1)} %`;

/** Per-stage mean over different images, or median over repeats of one image (robust to other jobs' bursts). */
async function timeFiles(detector: Detector, files: string[], average: (values: number[]) => number = mean): Promise<Split> {
  const splits: Array<Omit<Split, 'share'>> = [];
  for (const file of files) splits.push({ ...(await detectFile(detector, file)).result.timingsMs });
  return {
    read: average(splits.map((s) => s.read)),
    preprocess: average(splits.map((s) => s.preprocess)),
    inference: average(splits.map((s) => s.inference)),
    postprocess: average(splits.map((s) => s.postprocess)),
    total: average(splits.map((s) => s.total)),
    share: average(splits.map((s) => (s.total - s.inference) / s.inference)),
  };
}

function row(label: string, n: number, s: Split): string {
  const around = s.total - s.inference;
  return `| ${label} | ${n} | ${ms(s.read)} | ${ms(s.preprocess)} | ${ms(s.inference)} | ${ms(s.postprocess)} | **${ms(s.total)}** | ${ms(around)}; ${(100 * s.share).toFixed(1)} % | ${ms(s.preprocess + s.postprocess)} = ${pct(s.preprocess + s.postprocess, s.inference)} |`;
}

function hipImages(count: number): { files: string[]; coco: unknown } {
  const coco = JSON.parse(readFileSync(join(fracatlas, 'annotations.coco.json'), 'utf8')) as { images: Array<{ id: number; file_name: string; hip?: number }>; categories: unknown[] };
  const images = coco.images.filter((image) => image.hip === 1).sort((a, b) => a.id - b.id).slice(0, count);
  return { files: images.map((image) => join(fracatlas, 'images', image.file_name)), coco: { images, annotations: [], categories: coco.categories } };
}

function peakRssMiB(modelDir: string): number | undefined {
  const run = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '--import', 'tsx', join(root, 'src', 'detector', 'testing', 'runCli.ts'), 'detect', '--model', modelDir, rg2], { encoding: 'utf8', cwd: root });
  const kb = Number(run.stderr.trim().split('\n').pop());
  return Number.isFinite(kb) ? kb / 1024 : undefined;
}

async function predictThroughput(modelDir: string, coco: unknown, count: number, workers: number, threads: number): Promise<{ wall: number; perSecond: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'drfds-bench-'));
  try {
    const dataset = join(dir, 'subset.json');
    writeFileSync(dataset, JSON.stringify(coco));
    const start = performance.now();
    await predictDataset({ datasetPath: dataset, imagesDir: join(fracatlas, 'images'), outPath: join(dir, 'out.json'), modelDir, workers, threadsPerWorker: threads });
    const wall = performance.now() - start;
    // Whole command as a user sees it: worker start-up (hash check + session per worker) included.
    return { wall, perSecond: (count * 1000) / wall };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** session.run of the anchor graph at the given model input: median of `runs` after one warm-up run. */
async function anchorSessionRunMs(height: number, width: number, runs: number): Promise<number | undefined> {
  const dir = join(root, 'tmp', 'bench-anchor');
  const onnxPath = join(dir, `fasterrcnn_resnet50_fpn_${height}x${width}.onnx`);
  if (!existsSync(onnxPath)) {
    mkdirSync(dir, { recursive: true });
    const python = process.env.DRFDS_PYTHON ?? '/usr/bin/python3';
    const exported = spawnSync(python, [join(root, 'scripts', 'bench', 'anchor', 'export_plain_fasterrcnn.py'), onnxPath, String(height), String(width)], { encoding: 'utf8' });
    if (exported.status !== 0) {
      console.error(`bench: cannot export the anchor model: ${exported.stderr.slice(-500)}`);
      return undefined;
    }
  }
  const session = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 2, interOpNumThreads: 1, executionMode: 'sequential' });
  const pixels = new Float32Array(3 * height * width);
  for (let i = 0; i < pixels.length; i += 1) pixels[i] = ((i * 2654435761) % 1000) / 1000; // fixed, image-like range [0, 1)
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', pixels, [3, height, width]) };
  await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    await session.run(feeds);
    times.push(performance.now() - start);
  }
  await session.release();
  return median(times);
}

export async function run(): Promise<BenchSection> {
  const load = loadavg()[0]!.toFixed(1);
  const haveShipped = existsSync(join(shippedDir, 'model.json'));
  const modelDir = haveShipped ? shippedDir : tinyDir;
  const lines: string[] = [];
  const t0 = performance.now();
  const shipped = await createDetector(modelDir, { intraOpNumThreads: 2 });
  const loadMs = performance.now() - t0;
  const m = shipped.model;
  lines.push(
    `Model: **${m.name} ${m.version}** (${haveShipped ? 'the shipped package' : 'models/drfds-hip does not exist yet: the tiny test package'}, sha256 ${m.sha256.slice(0, 12)}…, ` +
      `${m.trained ? 'trained' : '**untrained placeholder**, random weights: timing only'}); load + hash check + session creation ${ms(loadMs)}. ` +
      `onnxruntime-node CPU, 2 intra-op threads; the resize of a large image shared with a second thread (src/image/ResizeHelper.ts). 1-minute load average at the start: ${load} (other jobs on the machine inflate every number).`,
    '',
  );
  // Warm-up on the big radiograph, then the measured runs.
  const warm = (await detectFile(shipped, rg2)).result.timingsMs.inference;
  const slow = warm > 2000;
  const rgRuns = 7; // medians of 7: single runs on this VM vary by ±10 %
  const rgSplit = await timeFiles(shipped, Array(rgRuns).fill(rg2), median);
  const batchCount = slow ? Math.max(2, Math.min(50, Math.floor(60000 / warm))) : 50;
  const batch = hipImages(50);
  const batchSplit = await timeFiles(shipped, batch.files.slice(0, batchCount));
  await shipped.release();
  const anchorMs = await anchorSessionRunMs(512, 640, rgRuns);

  const tiny = await createDetector(tinyDir, { intraOpNumThreads: 2 });
  await detectFile(tiny, rg2);
  const tinyRg = await timeFiles(tiny, Array(5).fill(rg2), median);
  const tinyBatch = await timeFiles(tiny, batch.files);
  await tiny.release();

  lines.push(
    'Times per image; RG2_JPLL rows: median of the runs, FracAtlas rows: mean over the images (each column on its own, so the columns need not add up exactly).',
    '',
    '| input | runs | read | preprocess | session.run | postprocess | total | all but session.run; its share of session.run (per run) | pre + postprocess (share) |',
    '|---|---|---|---|---|---|---|---|---|',
    row(`RG2_JPLL.dcm 1760×2140, ${m.name}`, rgRuns, rgSplit),
    row(`FracAtlas hip batch (first ${batchCount} of the hip images by id), ${m.name}, mean per image`, batchCount, batchSplit),
    row('RG2_JPLL.dcm, tiny-random (pipeline cost with a ~0.3 M-parameter graph)', 5, tinyRg),
    row('FracAtlas hip batch of 50, tiny-random, mean per image', 50, tinyBatch),
    '',
    `Anchor, same run, same 512×640 model input: torchvision's plain fasterrcnn_resnet50_fpn in onnxruntime-node, session.run ` +
      `${anchorMs === undefined ? 'n/a (export failed)' : ms(anchorMs)} (median of ${rgRuns} after a warm-up; the issue quotes ≈ 0.57 s). Goal: ≤ 0.8 s end to end. ` +
      `${m.name}: session.run ${ms(rgSplit.inference)} on RG2_JPLL${anchorMs === undefined ? '' : ` — ${(rgSplit.inference / anchorMs).toFixed(2)}× the anchor`}; ` +
      `end to end ${ms(rgSplit.total)} ${rgSplit.total <= 800 ? '(meets the goal)' : '(**misses the 0.8 s goal**; the graph itself is the cost)'}.`,
    `Pipeline around session.run: preprocess + postprocess ${pct(rgSplit.preprocess + rgSplit.postprocess, rgSplit.inference)} of session.run on RG2_JPLL; ` +
      `with the DICOM read (JPEG lossless decode + VOI, src/dicom) ${(100 * rgSplit.share).toFixed(1)} % ` +
      `(median over the runs of each run's (total − session.run) / session.run; ${rgSplit.share <= 0.15 ? 'within' : 'above'} the 15 % budget).`,
    '',
  );

  const peak = peakRssMiB(modelDir);
  lines.push(`Peak memory, a fresh \`drfds detect\` process on RG2_JPLL.dcm (the largest input) with ${m.name}: **${peak === undefined ? 'n/a' : `${peak.toFixed(0)} MiB`}** RSS.`, '');

  const predictCount = slow ? 4 : 20;
  const sub = hipImages(predictCount);
  const one = await predictThroughput(modelDir, sub.coco, predictCount, 1, 2);
  const two = await predictThroughput(modelDir, sub.coco, predictCount, 2, 1);
  const tinyOne = await predictThroughput(tinyDir, hipImages(50).coco, 50, 1, 2);
  const tinyTwo = await predictThroughput(tinyDir, hipImages(50).coco, 50, 2, 1);
  lines.push(
    '`drfds predict` throughput (FracAtlas hip images; images / wall time of the whole run, worker start-up — hash check and session creation per worker — included):',
    '',
    '| model | images | 1 worker × 2 threads | 2 workers × 1 thread | 2 workers vs 1 |',
    '|---|---|---|---|---|',
    `| ${m.name} | ${predictCount} | ${one.perSecond.toFixed(2)} img/s (wall ${ms(one.wall)}) | ${two.perSecond.toFixed(2)} img/s (wall ${ms(two.wall)}) | ${(two.perSecond / one.perSecond).toFixed(2)}× |`,
    `| tiny-random | 50 | ${tinyOne.perSecond.toFixed(2)} img/s (wall ${ms(tinyOne.wall)}) | ${tinyTwo.perSecond.toFixed(2)} img/s (wall ${ms(tinyTwo.wall)}) | ${(tinyTwo.perSecond / tinyOne.perSecond).toFixed(2)}× |`,
    '',
    `Total bench time ${ms(performance.now() - t0)}.`,
  );
  return { title: 'detect: end-to-end detection, pipeline split, memory, predict throughput', markdown: lines.join('\n') };
}
