import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { DrfdsError } from '../errors/DrfdsError.js';
import type { ModelManifest } from './ModelManifest.js';

export interface ModelPackage {
  /** Absolute path of the package folder. */
  readonly dir: string;
  readonly manifest: ModelManifest;
  /** Absolute path of model.onnx. */
  readonly onnxPath: string;
  /** sha256 of model.onnx (hex), checked against the manifest. */
  readonly onnxSha256: string;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function invalid(dir: string, what: string): DrfdsError {
  return new DrfdsError('model/invalid-manifest', `model package ${dir}: model.json ${what}`, { httpStatus: 500 });
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** Checks model.json at the boundary: every field the runtime reads, with its type and range. */
export function validateManifest(json: unknown, dir: string): ModelManifest {
  if (!isObject(json)) throw invalid(dir, 'is not a JSON object');
  if (json.format !== 'drfds-model/1') throw invalid(dir, `has format ${JSON.stringify(json.format)}; this runtime reads "drfds-model/1"`);
  for (const key of ['name', 'version'] as const) if (!isNonEmptyString(json[key])) throw invalid(dir, `lacks a "${key}" string`);
  const classes = json.classes;
  if (!Array.isArray(classes) || classes.length < 2 || !classes.every(isNonEmptyString)) throw invalid(dir, 'needs "classes": ["background", ...]');
  const input = json.input;
  if (!isObject(input) || !isNonEmptyString(input.name) || input.channels !== 1 || input.dtype !== 'float32' || input.layout !== 'NCHW') {
    throw invalid(dir, 'needs "input": {"name": ..., "channels": 1, "dtype": "float32", "layout": "NCHW"} (only 1-channel float32 NCHW is supported)');
  }
  const pre = json.preprocessing;
  if (!isObject(pre) || !isObject(pre.resize)) throw invalid(dir, 'lacks "preprocessing.resize"');
  const { shortSide, maxSide } = pre.resize;
  if (!isFiniteNumber(shortSide) || !isFiniteNumber(maxSide) || shortSide < 1 || maxSide < shortSide) {
    throw invalid(dir, 'needs "preprocessing.resize" {"shortSide", "maxSide"} with 1 ≤ shortSide ≤ maxSide');
  }
  if (pre.interpolation !== 'bilinear') throw invalid(dir, `has interpolation ${JSON.stringify(pre.interpolation)}; only "bilinear" is supported`);
  if (!isFiniteNumber(pre.scale) || pre.scale <= 0) throw invalid(dir, 'needs a positive "preprocessing.scale"');
  const oneNumber = (value: unknown): boolean => Array.isArray(value) && value.length === 1 && isFiniteNumber(value[0]);
  if (!oneNumber(pre.mean) || !oneNumber(pre.std) || !((pre.std as number[])[0]! > 0)) throw invalid(dir, 'needs one-element "preprocessing.mean" and positive "preprocessing.std"');
  if (!Number.isInteger(pre.padToMultipleOf) || (pre.padToMultipleOf as number) < 1) throw invalid(dir, 'needs an integer "preprocessing.padToMultipleOf" ≥ 1');
  if (!isFiniteNumber(pre.padValue)) throw invalid(dir, 'needs a numeric "preprocessing.padValue"');
  const outputs = json.outputs;
  if (!isObject(outputs) || !isNonEmptyString(outputs.boxes) || !isNonEmptyString(outputs.scores) || !isNonEmptyString(outputs.labels)) {
    throw invalid(dir, 'needs "outputs": {"boxes", "scores", "labels"} graph output names');
  }
  const post = json.postprocessing;
  if (!isObject(post) || !isFiniteNumber(post.scoreThreshold) || !isFiniteNumber(post.nmsIouThreshold) || !Number.isInteger(post.maxDetectionsPerImage) || (post.maxDetectionsPerImage as number) < 1) {
    throw invalid(dir, 'needs "postprocessing": {"scoreThreshold", "nmsIouThreshold", "maxDetectionsPerImage"}');
  }
  const op = json.operatingPoints;
  const unit = (value: unknown): boolean => isFiniteNumber(value) && value >= 0 && value <= 1;
  if (!isObject(op) || !unit(op.threshold) || !unit(op.highSensitivity) || !unit(op.highSpecificity)) {
    throw invalid(dir, 'needs "operatingPoints": {"threshold", "highSensitivity", "highSpecificity"} in [0, 1]');
  }
  if ((op.highSensitivity as number) > (op.highSpecificity as number)) throw invalid(dir, 'has operatingPoints.highSensitivity above highSpecificity');
  const files = json.files;
  if (!isObject(files) || !isObject(files['model.onnx'])) throw invalid(dir, 'must list "files": {"model.onnx": {"sha256", "bytes"}}');
  for (const [name, entry] of Object.entries(files)) {
    if (!isObject(entry) || typeof entry.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.sha256) || !Number.isInteger(entry.bytes)) {
      throw invalid(dir, `has a bad "files" entry for ${name} (needs a lowercase hex sha256 and integer bytes)`);
    }
    if (isAbsolute(name) || normalize(name).split(sep).includes('..')) throw invalid(dir, `lists a file outside the package: ${name}`);
  }
  if (!isObject(json.training) || typeof json.training.trained !== 'boolean') throw invalid(dir, 'needs "training": {"trained": true|false}');
  return json as unknown as ModelManifest;
}

/**
 * Loads a model package: reads and validates model.json, then checks the size and sha256 of every file it lists.
 * Refuses a missing package (`model/missing`), a bad manifest (`model/invalid-manifest`) and any file whose size or
 * hash differs (`model/tampered`) — a tampered or half-copied model must never run.
 */
export async function loadModelPackage(packageDir: string): Promise<ModelPackage> {
  const dir = resolve(packageDir);
  const manifestPath = join(dir, 'model.json');
  if (!existsSync(manifestPath)) {
    throw new DrfdsError('model/missing', `no model package at ${dir} (model.json not found); pass --model with a package folder`, { httpStatus: 500 });
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (error) {
    throw invalid(dir, `is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const manifest = validateManifest(json, dir);
  let onnxSha256 = '';
  for (const [name, entry] of Object.entries(manifest.files)) {
    const path = join(dir, name);
    if (!existsSync(path)) throw new DrfdsError('model/tampered', `model package ${dir}: ${name} is listed in model.json but missing; reinstall the package`, { httpStatus: 500 });
    const bytes = statSync(path).size;
    if (bytes !== entry.bytes) {
      throw new DrfdsError('model/tampered', `model package ${dir}: ${name} has ${bytes} bytes, model.json says ${entry.bytes}; the package is damaged or altered — reinstall it`, { httpStatus: 500 });
    }
    const sha = await sha256File(path);
    if (sha !== entry.sha256) {
      throw new DrfdsError('model/tampered', `model package ${dir}: sha256 of ${name} does not match model.json; the package is damaged or altered — reinstall it`, { httpStatus: 500 });
    }
    if (name === 'model.onnx') onnxSha256 = sha;
  }
  return { dir, manifest, onnxPath: join(dir, 'model.onnx'), onnxSha256 };
}
