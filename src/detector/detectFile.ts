import { performance } from 'node:perf_hooks';
import type { DetectionResult } from './DetectionResult.js';
import type { Detector, ImageDetection } from './Detector.js';
import { readInputImage, type InputImage } from './readInputImage.js';

/** A file's result together with what was read (the DICOM header is needed for SR / presentation state). */
export interface FileDetection {
  readonly result: DetectionResult;
  readonly input: InputImage;
  /** Every post-processed box, for COCO results. */
  readonly candidates: ImageDetection['candidates'];
}

/** Detection on an already-read input; `readMs` is how long reading it took (reported in timingsMs). */
export async function detectInput(detector: Detector, input: InputImage, readMs: number, options: { file?: string } = {}): Promise<FileDetection> {
  const t0 = performance.now();
  const detection = await detector.detect(input.image, input.metadata?.pixelSpacing ? { pixelSpacing: input.metadata.pixelSpacing } : {});
  const total = readMs + (performance.now() - t0);
  const result: DetectionResult = {
    file: options.file ?? input.path,
    probability: detection.probability,
    decision: detection.decision,
    thresholds: detection.thresholds,
    findings: detection.findings,
    image: { width: input.image.width, height: input.image.height, source: input.source },
    model: detection.model,
    timingsMs: { read: readMs, ...detection.timingsMs, total },
    warnings: [...input.warnings, ...detection.warnings],
  };
  return { result, input, candidates: detection.candidates };
}

/** read → detect for one file; the result carries the read time and the input's warnings. */
export async function detectFile(detector: Detector, path: string, options: { file?: string } = {}): Promise<FileDetection> {
  const t0 = performance.now();
  const input = await readInputImage(path);
  return detectInput(detector, input, performance.now() - t0, options);
}

export type FileOutcome = { readonly file: string; readonly detection: FileDetection } | { readonly file: string; readonly error: unknown };

/**
 * Detection over many files in order. Never throws for a file: each outcome is a detection or that file's error.
 * `fileLabel` names a file in its result (default: the path). Files are read one after the other, not ahead:
 * onnxruntime-node's session.run occupies the JavaScript thread, so reading ahead gains nothing and would only
 * blur the read times.
 */
export async function* detectFiles(detector: Detector, files: readonly string[], fileLabel: (path: string) => string = (path) => path): AsyncGenerator<FileOutcome> {
  for (const file of files) {
    try {
      yield { file, detection: await detectFile(detector, file, { file: fileLabel(file) }) };
    } catch (error) {
      yield { file, error };
    }
  }
}
