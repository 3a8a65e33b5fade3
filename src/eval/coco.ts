import { readFileSync } from 'node:fs';
import { DrfdsError } from '../errors/DrfdsError.js';

/** A COCO box [x, y, width, height] in the pixel space of the image as stored. */
export type CocoBox = [number, number, number, number];

/** One image of the truth file, with the optional fields (site, scanner, hip, hardware…) that feed subgroups. */
export interface TruthImage {
  id: number;
  fileName: string | undefined;
  /** Every field of the COCO image entry, as written. */
  fields: Record<string, unknown>;
}

/** A COCO detection data set reduced to what evaluation needs: one entry per image, fracture boxes per image. */
export interface GroundTruth {
  source: string;
  images: TruthImage[];
  /** Index into `images` by COCO image id. */
  indexById: Map<number, number>;
  fractureCategoryId: number;
  /** Every category id of the truth file; predictions of categories other than fracture are ignored. */
  categoryIds: Set<number>;
  /** Reference fracture boxes, by image index. */
  boxesByImage: CocoBox[][];
  /** True for an image with at least one fracture annotation (an image without one is fracture-free). */
  isFracture: boolean[];
}

export interface ScoredBox {
  bbox: CocoBox;
  score: number;
}

/** One model's predictions, grouped by image index of the truth, each image's boxes by descending score. */
export interface ModelPredictions {
  name: string;
  source: string;
  boxesByImage: ScoredBox[][];
  /** Per-image score: the highest box score on the image, 0 when it has none. */
  imageScores: Float64Array;
}

function fail(code: string, message: string): never {
  throw new DrfdsError(code, message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseBox(value: unknown, where: string, source: string): CocoBox {
  if (!Array.isArray(value) || value.length !== 4 || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    fail('EVAL_BAD_BOX', `${source}: ${where} has bbox ${JSON.stringify(value)}; a box is [x, y, width, height], four finite numbers`);
  }
  const box = value as CocoBox;
  if (box[2] < 0 || box[3] < 0) {
    fail('EVAL_BAD_BOX', `${source}: ${where} has a negative width or height (bbox ${JSON.stringify(box)}); COCO boxes are [x, y, width, height] with width, height ≥ 0`);
  }
  return box;
}

/** Reads a JSON file, with errors that name the file: missing, empty or not JSON. */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    fail('EVAL_FILE_UNREADABLE', `cannot read the ${what} file ${path}${code === 'ENOENT' ? ': no such file' : `: ${(error as Error).message}`}`);
  }
  if (text.trim() === '') fail('EVAL_EMPTY_FILE', `the ${what} file ${path} is empty`);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    fail('EVAL_BAD_JSON', `the ${what} file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Validates a COCO detection data set (category `fracture`) and indexes it by image. */
export function parseTruth(value: unknown, source: string): GroundTruth {
  if (!isRecord(value) || !Array.isArray(value.images)) {
    fail('EVAL_BAD_TRUTH', `${source}: the truth must be a COCO detection JSON object with an "images" array`);
  }
  if (value.images.length === 0) fail('EVAL_BAD_TRUTH', `${source}: the truth has no images`);
  const categories = Array.isArray(value.categories) ? value.categories : [];
  const fracture = categories.find((c) => isRecord(c) && typeof c.name === 'string' && c.name.toLowerCase() === 'fracture');
  if (!isRecord(fracture) || typeof fracture.id !== 'number') {
    fail('EVAL_BAD_TRUTH', `${source}: no category named "fracture" in "categories" (found ${JSON.stringify(categories.map((c) => (isRecord(c) ? c.name : c)))})`);
  }
  const fractureCategoryId = fracture.id;
  const images: TruthImage[] = [];
  const indexById = new Map<number, number>();
  value.images.forEach((entry, index) => {
    if (!isRecord(entry) || typeof entry.id !== 'number' || !Number.isFinite(entry.id)) {
      fail('EVAL_BAD_TRUTH', `${source}: images[${index}] has no numeric "id"`);
    }
    if (indexById.has(entry.id)) fail('EVAL_BAD_TRUTH', `${source}: images[${index}] repeats image id ${entry.id}`);
    indexById.set(entry.id, images.length);
    images.push({ id: entry.id, fileName: typeof entry.file_name === 'string' ? entry.file_name : undefined, fields: entry });
  });
  const boxesByImage: CocoBox[][] = images.map(() => []);
  const annotations = value.annotations ?? [];
  if (!Array.isArray(annotations)) fail('EVAL_BAD_TRUTH', `${source}: "annotations" must be an array`);
  annotations.forEach((entry, index) => {
    if (!isRecord(entry)) fail('EVAL_BAD_TRUTH', `${source}: annotations[${index}] is not an object`);
    const imageIndex = typeof entry.image_id === 'number' ? indexById.get(entry.image_id) : undefined;
    if (imageIndex === undefined) {
      fail('EVAL_UNKNOWN_IMAGE', `${source}: annotations[${index}] refers to image_id ${JSON.stringify(entry.image_id)}, which is not in "images"`);
    }
    if (entry.category_id !== fractureCategoryId) return; // other categories do not count as fractures
    (boxesByImage[imageIndex] as CocoBox[]).push(parseBox(entry.bbox, `annotations[${index}] (image_id ${String(entry.image_id)})`, source));
  });
  const categoryIds = new Set(categories.flatMap((c) => (isRecord(c) && typeof c.id === 'number' ? [c.id] : [])));
  return { source, images, indexById, fractureCategoryId, categoryIds, boxesByImage, isFracture: boxesByImage.map((b) => b.length > 0) };
}

/** Validates COCO results `[{image_id, category_id, bbox, score}]` against the truth and groups them by image. */
export function parsePredictions(value: unknown, truth: GroundTruth, source: string, name: string): ModelPredictions {
  if (!Array.isArray(value)) {
    fail('EVAL_BAD_PREDICTIONS', `${source}: predictions must be a COCO results array [{image_id, category_id, bbox, score}]`);
  }
  const boxesByImage: ScoredBox[][] = truth.images.map(() => []);
  value.forEach((entry, index) => {
    if (!isRecord(entry)) fail('EVAL_BAD_PREDICTIONS', `${source}: entry [${index}] is not an object`);
    const imageIndex = typeof entry.image_id === 'number' ? truth.indexById.get(entry.image_id) : undefined;
    if (imageIndex === undefined) {
      fail('EVAL_UNKNOWN_IMAGE', `${source}: entry [${index}] has image_id ${JSON.stringify(entry.image_id)}, which is not an image of the truth ${truth.source}`);
    }
    if (typeof entry.category_id !== 'number' || !truth.categoryIds.has(entry.category_id)) {
      fail('EVAL_BAD_PREDICTIONS', `${source}: entry [${index}] (image_id ${String(entry.image_id)}) has category_id ${JSON.stringify(entry.category_id)}, which is not a category of the truth; its fracture category is ${truth.fractureCategoryId}`);
    }
    const score = entry.score;
    if (typeof score !== 'number' || !(score >= 0 && score <= 1)) {
      fail('EVAL_BAD_SCORE', `${source}: entry [${index}] (image_id ${String(entry.image_id)}) has score ${JSON.stringify(score)}; scores must lie in [0, 1]`);
    }
    const bbox = parseBox(entry.bbox, `entry [${index}] (image_id ${String(entry.image_id)})`, source);
    if (entry.category_id !== truth.fractureCategoryId) return; // another class of a multi-class model: not a fracture call
    (boxesByImage[imageIndex] as ScoredBox[]).push({ bbox, score });
  });
  const imageScores = new Float64Array(truth.images.length);
  boxesByImage.forEach((boxes, i) => {
    boxes.sort((a, b) => b.score - a.score); // stable: equal scores keep file order
    imageScores[i] = boxes[0]?.score ?? 0;
  });
  return { name, source, boxesByImage, imageScores };
}
