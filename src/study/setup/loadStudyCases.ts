import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { DrfdsError } from '../../errors/DrfdsError.js';
import type { StudyBox } from '../domain/types.js';
import type { NewStudyCase } from '../store/StudyStore.js';

/** Which images of the data set become cases. */
export interface CaseSelection {
  /** Keep images whose entry has `field` equal to `equals` (e.g. FracAtlas `hip` = 1). */
  readonly where?: Readonly<Record<string, string | number>>;
  /** Keep only these COCO image ids / file names. */
  readonly images?: readonly (number | string)[];
  /** At most this many fracture and this many fracture-free cases, first by image id (a balanced study set). */
  readonly maxPositive?: number;
  readonly maxNegative?: number;
}

interface CocoImage { id: number; file_name: string; width: number; height: number; [field: string]: unknown }
interface CocoAnnotation { image_id: number; category_id: number; bbox: [number, number, number, number] }
interface Coco { images: CocoImage[]; annotations: CocoAnnotation[]; categories?: Array<{ id: number; name: string }> }

const bad = (path: string, message: string): DrfdsError => new DrfdsError('study/bad-dataset', `${path}: ${message}`, { httpStatus: 400 });

/**
 * Reads a COCO data set (the project's dataset contract: category `fracture`, an image without annotations is
 * fracture-free) into study cases: truth, reference boxes, and the subgroup fields copied from each image entry.
 */
export function loadStudyCases(annotationsPath: string, imagesDir: string, options: { selection?: CaseSelection; subgroupFields?: readonly string[] } = {}): NewStudyCase[] {
  let coco: Coco;
  try {
    coco = JSON.parse(readFileSync(annotationsPath, 'utf8')) as Coco;
  } catch (error) {
    throw bad(annotationsPath, `cannot read it as COCO JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(coco.images) || !Array.isArray(coco.annotations)) throw bad(annotationsPath, 'needs "images" and "annotations" lists (COCO detection format)');
  const fracture = coco.categories?.find((c) => c.name === 'fracture')?.id;
  const boxesByImage = new Map<number, StudyBox[]>();
  for (const annotation of coco.annotations) {
    if (fracture !== undefined && annotation.category_id !== fracture) continue;
    const [x, y, width, height] = annotation.bbox;
    const list = boxesByImage.get(annotation.image_id) ?? [];
    list.push({ x, y, width, height });
    boxesByImage.set(annotation.image_id, list);
  }
  const selection = options.selection ?? {};
  const wanted = selection.images ? new Set(selection.images.map(String)) : undefined;
  let positives = 0;
  let negatives = 0;
  const cases: NewStudyCase[] = [];
  for (const image of [...coco.images].sort((a, b) => a.id - b.id)) {
    if (wanted && !wanted.has(String(image.id)) && !wanted.has(image.file_name)) continue;
    if (selection.where && !Object.entries(selection.where).every(([field, value]) => String(image[field]) === String(value))) continue;
    const referenceBoxes = boxesByImage.get(image.id) ?? [];
    const truth: 0 | 1 = referenceBoxes.length > 0 ? 1 : 0;
    if (truth === 1 && selection.maxPositive !== undefined && positives >= selection.maxPositive) continue;
    if (truth === 0 && selection.maxNegative !== undefined && negatives >= selection.maxNegative) continue;
    const imagePath = resolve(imagesDir, image.file_name);
    if (relative(resolve(imagesDir), imagePath).startsWith('..') || isAbsolute(image.file_name)) throw bad(annotationsPath, `image ${image.id} file_name "${image.file_name}" leaves the image folder`);
    if (!existsSync(imagePath)) throw bad(annotationsPath, `image ${image.id}: ${join(imagesDir, image.file_name)} does not exist`);
    // The COCO image id is always kept (predictions files refer to it); analysis only splits by `subgroupFields`.
    const fields: Record<string, string | number | null> = { image_id: image.id };
    for (const field of options.subgroupFields ?? []) {
      const value = image[field];
      fields[field] = typeof value === 'number' || typeof value === 'string' ? value : null;
    }
    if (truth === 1) positives += 1;
    else negatives += 1;
    cases.push({ key: image.file_name, imagePath, width: image.width, height: image.height, truth, referenceBoxes, fields });
  }
  return cases;
}
