import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../workers/startModuleWorker.js';
import { DrfdsError } from '../errors/DrfdsError.js';
import type { ModelIdentity } from './DetectionResult.js';
import { loadModelPackage } from './loadModelPackage.js';
import type { PredictedBox, PredictWorkerReply, PredictWorkerSetup } from './predictProtocol.js';

/** One COCO detection result (docs/cli.md, ARCHITECTURE "Predictions"): bbox [x, y, w, h] in stored-image pixels. */
export interface CocoResult {
  readonly image_id: number;
  readonly category_id: number;
  readonly bbox: [number, number, number, number];
  readonly score: number;
}

export interface PredictOptions {
  readonly datasetPath: string;
  readonly imagesDir: string;
  readonly outPath: string;
  readonly modelDir: string;
  /** Worker threads, each with its own session (default 2). */
  readonly workers?: number;
  /** onnxruntime intra-op threads per worker (default: cores / workers, at least 1). */
  readonly threadsPerWorker?: number;
  /** Called after each image (for the progress bar). */
  readonly onProgress?: (progress: PredictProgress) => void;
  /** Called once per image that failed (one line each). */
  readonly onImageError?: (message: string) => void;
  /** Stop after this many images in this run (tests of resuming). */
  readonly limit?: number;
}

export interface PredictProgress {
  readonly done: number;
  readonly total: number;
  readonly resumed: number;
  readonly failed: number;
  readonly elapsedMs: number;
}

export interface PredictSummary {
  readonly images: number;
  readonly resumed: number;
  readonly failed: number;
  readonly results: number;
  readonly elapsedMs: number;
  readonly imagesPerSecond: number;
  readonly model: ModelIdentity;
  readonly complete: boolean;
}

interface DatasetImage {
  readonly id: number;
  readonly file_name: string;
}

/** The journal sits next to the output: one JSON line per finished image, after a header naming the model. */
export function journalPath(outPath: string): string {
  return `${outPath}.journal.jsonl`;
}

function readDataset(path: string): { images: DatasetImage[]; categories: Array<{ id: number; name: string }> } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new DrfdsError('predict/bad-dataset', `${path}: cannot read the COCO data set: ${error instanceof Error ? error.message : String(error)}`);
  }
  const data = json as { images?: unknown; categories?: unknown };
  if (!Array.isArray(data.images) || !Array.isArray(data.categories)) throw new DrfdsError('predict/bad-dataset', `${path}: not a COCO detection file (needs "images" and "categories")`);
  const images: DatasetImage[] = [];
  for (const image of data.images as Array<Record<string, unknown>>) {
    if (typeof image.id !== 'number' || typeof image.file_name !== 'string') throw new DrfdsError('predict/bad-dataset', `${path}: an image entry lacks a numeric "id" or a "file_name"`);
    images.push({ id: image.id, file_name: image.file_name });
  }
  const categories: Array<{ id: number; name: string }> = [];
  for (const category of data.categories as Array<Record<string, unknown>>) {
    if (typeof category.id === 'number' && typeof category.name === 'string') categories.push({ id: category.id, name: category.name });
  }
  return { images, categories };
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

export function toCocoResults(imageId: number, boxes: readonly PredictedBox[], categoryForLabel: ReadonlyMap<number, number>): CocoResult[] {
  const out: CocoResult[] = [];
  for (const box of boxes) {
    const category = categoryForLabel.get(box.label);
    if (category === undefined) continue;
    out.push({ image_id: imageId, category_id: category, bbox: [round3(box.x1), round3(box.y1), round3(box.x2 - box.x1), round3(box.y2 - box.y1)], score: box.score });
  }
  return out;
}

interface JournalHeader {
  readonly journal: 'drfds-predict/1';
  readonly dataset: string;
  readonly model: { readonly name: string; readonly version: string; readonly sha256: string };
}

interface JournalEntry {
  readonly image_id: number;
  readonly results: CocoResult[];
}

function readJournal(path: string, header: JournalHeader): Map<number, CocoResult[]> {
  const done = new Map<number, CocoResult[]>();
  if (!existsSync(path)) return done;
  const lines = readFileSync(path, 'utf8').split('\n');
  const first = lines[0] ? (JSON.parse(lines[0]) as JournalHeader) : undefined;
  if (first?.journal !== 'drfds-predict/1' || first.model.sha256 !== header.model.sha256 || first.dataset !== header.dataset) {
    throw new DrfdsError(
      'predict/journal-mismatch',
      `${path} holds an interrupted run with another model or data set; delete it to start over, or rerun with the same --model and --dataset to resume`,
    );
  }
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    try {
      const entry = JSON.parse(line) as JournalEntry;
      done.set(entry.image_id, entry.results);
    } catch {
      // The last line of a run killed mid-write is incomplete: that image is simply done again.
    }
  }
  return done;
}

function startWorker(setup: PredictWorkerSetup): Worker {
  return startModuleWorker(import.meta.url, 'predictWorker', { workerData: setup });
}

/**
 * Batch inference over a COCO data set into COCO results. Each worker thread holds its own session; results are
 * appended to a journal next to the output as each image finishes, so an interrupted run resumes where it stopped.
 * The output file is written (atomically) once all images are done; then the journal is removed.
 */
export async function predictDataset(options: PredictOptions): Promise<PredictSummary> {
  const pkg = await loadModelPackage(options.modelDir);
  const model: ModelIdentity = { name: pkg.manifest.name, version: pkg.manifest.version, sha256: pkg.onnxSha256, trained: pkg.manifest.training.trained };
  const datasetPath = resolve(options.datasetPath);
  const dataset = readDataset(datasetPath);
  // Map the package's class indices to the data set's category ids by name ("fracture").
  const categoryForLabel = new Map<number, number>();
  pkg.manifest.classes.forEach((name, index) => {
    const category = dataset.categories.find((c) => c.name === name);
    if (index > 0 && category !== undefined) categoryForLabel.set(index, category.id);
  });
  if (categoryForLabel.size === 0) {
    throw new DrfdsError('predict/no-category', `${datasetPath}: no category named ${pkg.manifest.classes.slice(1).map((c) => `"${c}"`).join(' or ')}, the model's class`);
  }
  const header: JournalHeader = { journal: 'drfds-predict/1', dataset: datasetPath, model: { name: model.name, version: model.version, sha256: model.sha256 } };
  const journal = journalPath(resolve(options.outPath));
  const done = readJournal(journal, header);
  if (!existsSync(journal)) writeFileSync(journal, `${JSON.stringify(header)}\n`);
  const resumed = dataset.images.filter((image) => done.has(image.id)).length;
  let todo = dataset.images.filter((image) => !done.has(image.id));
  if (options.limit !== undefined) todo = todo.slice(0, options.limit);

  const workers = Math.max(1, Math.min(options.workers ?? 2, todo.length || 1));
  const threads = options.threadsPerWorker ?? Math.max(1, Math.floor(availableParallelism() / workers));
  const start = performance.now();
  let failed = 0;
  let finished = 0;
  const report = (): void => options.onProgress?.({ done: resumed + finished + failed, total: dataset.images.length, resumed, failed, elapsedMs: performance.now() - start });

  if (todo.length > 0) {
    await new Promise<void>((resolveAll, rejectAll) => {
      let next = 0;
      let live = workers;
      let aborted = false;
      const pool: Worker[] = [];
      const feed = (worker: Worker): void => {
        const image = todo[next];
        if (image === undefined) {
          worker.postMessage({ type: 'stop' });
          return;
        }
        next += 1;
        worker.postMessage({ type: 'job', imageId: image.id, path: join(options.imagesDir, image.file_name) });
      };
      for (let i = 0; i < workers; i += 1) {
        const setup: PredictWorkerSetup = { modelDir: pkg.dir, threads };
        const worker = startWorker(setup);
        pool.push(worker);
        worker.on('message', (reply: PredictWorkerReply) => {
          if (reply.type === 'ready') {
            feed(worker);
          } else if (reply.type === 'fatal') {
            aborted = true;
            for (const w of pool) void w.terminate();
            rejectAll(new DrfdsError('predict/worker-failed', reply.message));
          } else if (reply.type === 'done') {
            const entry: JournalEntry = { image_id: reply.imageId, results: toCocoResults(reply.imageId, reply.boxes, categoryForLabel) };
            appendFileSync(journal, `${JSON.stringify(entry)}\n`);
            done.set(reply.imageId, entry.results);
            finished += 1;
            report();
            feed(worker);
          } else {
            failed += 1;
            options.onImageError?.(reply.message);
            report();
            feed(worker);
          }
        });
        worker.on('error', (error) => {
          aborted = true;
          for (const w of pool) void w.terminate();
          rejectAll(error);
        });
        worker.on('exit', () => {
          live -= 1;
          if (live === 0 && !aborted) resolveAll();
        });
      }
    });
  }
  const elapsedMs = performance.now() - start;
  const complete = dataset.images.every((image) => done.has(image.id));
  let results = 0;
  if (complete) {
    const all: CocoResult[] = [];
    for (const image of [...dataset.images].sort((a, b) => a.id - b.id)) all.push(...(done.get(image.id) ?? []));
    results = all.length;
    const tmp = `${options.outPath}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(all)}\n`);
    renameSync(tmp, options.outPath);
    rmSync(journal, { force: true });
  }
  return { images: dataset.images.length, resumed, failed, results, elapsedMs, imagesPerSecond: (finished * 1000) / Math.max(elapsedMs, 1), model, complete };
}
