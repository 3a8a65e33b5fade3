import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { PixelSpacingInfo } from '../dicom/RadiographMetadata.js';
import type { GrayImage8 } from '../image/GrayImage.js';
import { ResizeHelper } from '../image/ResizeHelper.js';
import { ReusableBuffer } from '../memory/ReusableBuffer.js';
import type { DetectionResult, Finding, ModelIdentity } from './DetectionResult.js';
import { decide, operatingPointOf } from './decision.js';
import { loadModelPackage, type ModelPackage } from './loadModelPackage.js';
import type { ModelManifest } from './ModelManifest.js';
import { createDetectorSession, type DetectorSession, type SessionOptions } from './onnxSession.js';
import { postprocess, type Candidate } from './postprocess.js';
import { preprocess } from './preprocess.js';

export interface DetectOptions {
  /** Pixel spacing of the image (from DICOM); boxes then also get millimetre sizes. */
  readonly pixelSpacing?: PixelSpacingInfo;
}

/** What the detector knows about one image: a DetectionResult without the file-level fields (file, source, read time). */
export interface ImageDetection extends Omit<DetectionResult, 'file' | 'image' | 'timingsMs'> {
  readonly image: { readonly width: number; readonly height: number };
  /** Every box after score filter and NMS (≥ postprocessing.scoreThreshold), best first: what COCO results need. */
  readonly candidates: readonly Candidate[];
  readonly timingsMs: { readonly preprocess: number; readonly inference: number; readonly postprocess: number };
}

export interface Detector {
  readonly model: ModelIdentity;
  readonly manifest: ModelManifest;
  readonly package: ModelPackage;
  detect(image: GrayImage8, options?: DetectOptions): Promise<ImageDetection>;
  release(): Promise<void>;
}

export function untrainedWarning(model: Pick<ModelIdentity, 'name' | 'version'>): string {
  return `model ${model.name} ${model.version} is an UNTRAINED placeholder (training.trained = false): its boxes and probabilities are random and mean nothing clinically`;
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

/** Turns post-processed candidates into the reported findings: boxes passing at least the high-sensitivity point. */
export function toFindings(candidates: readonly Candidate[], manifest: ModelManifest, pixelSpacing?: PixelSpacingInfo): Finding[] {
  const findings: Finding[] = [];
  for (const candidate of candidates) {
    const operatingPoint = operatingPointOf(candidate.score, manifest.operatingPoints);
    if (operatingPoint === undefined) continue;
    const width = candidate.box.x2 - candidate.box.x1;
    const height = candidate.box.y2 - candidate.box.y1;
    const box = { x: round2(candidate.box.x1), y: round2(candidate.box.y1), width: round2(width), height: round2(height) };
    findings.push(pixelSpacing === undefined
      ? { box, score: candidate.score, operatingPoint }
      : {
          box,
          score: candidate.score,
          operatingPoint,
          boxMm: { width: round2(width * pixelSpacing.columnSpacingMm), height: round2(height * pixelSpacing.rowSpacingMm), calibrated: pixelSpacing.calibrated },
        });
  }
  return findings;
}

/** Composes preprocess → onnxruntime session → postprocess for one loaded package. */
export function composeDetector(pkg: ModelPackage, session: DetectorSession, helper?: ResizeHelper): Detector {
  const { manifest } = pkg;
  const model: ModelIdentity = { name: manifest.name, version: manifest.version, sha256: pkg.onnxSha256, trained: manifest.training.trained };
  const thresholds = { highSensitivity: manifest.operatingPoints.highSensitivity, highSpecificity: manifest.operatingPoints.highSpecificity };
  // The model input's memory, reused from image to image (a detect running concurrently gets fresh memory).
  const inputMemory = new ReusableBuffer();
  return {
    model,
    manifest,
    package: pkg,
    async detect(image: GrayImage8, options: DetectOptions = {}): Promise<ImageDetection> {
      const t0 = performance.now();
      const input = preprocess(image, manifest.preprocessing, inputMemory, helper);
      const t1 = performance.now();
      const raw = await session.run(input).finally(() => inputMemory.giveBack(input.data.buffer));
      const t2 = performance.now();
      const candidates = postprocess(raw, manifest.postprocessing, { factors: input.factors, width: image.width, height: image.height }, manifest.name);
      const probability = candidates.reduce((best, c) => Math.max(best, c.score), 0);
      const findings = toFindings(candidates, manifest, options.pixelSpacing);
      const t3 = performance.now();
      return {
        probability,
        decision: decide(probability, thresholds),
        thresholds,
        findings,
        candidates,
        image: { width: image.width, height: image.height },
        model,
        timingsMs: { preprocess: t1 - t0, inference: t2 - t1, postprocess: t3 - t2 },
        warnings: model.trained ? [] : [untrainedWarning(model)],
      };
    },
    async release() {
      await helper?.close();
      await session.release();
    },
  };
}

/** Loads and hash-checks the package at `packageDir`, opens its ONNX session, and returns the detector. */
export async function createDetector(packageDir: string, options: SessionOptions = {}): Promise<Detector> {
  const pkg = await loadModelPackage(packageDir);
  const session = await createDetectorSession(pkg, options);
  // A detector given the machine's cores (onnxruntime's default, or more than one thread) also resizes large images
  // on two threads; one given a single thread (`--threads 1`, predict's two workers on a 2-core machine) stays on one.
  const threads = options.intraOpNumThreads ?? 0;
  const helper = threads !== 1 && availableParallelism() > 1 ? ResizeHelper.start() : undefined;
  return composeDetector(pkg, session, helper);
}
