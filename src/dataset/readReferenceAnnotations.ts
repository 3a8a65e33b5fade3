import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { DrfdsError, describeThrown } from '../errors/DrfdsError.js';
import { parseCsv } from './parseCsv.js';

/** How an annotation names its DICOM image: a path (relative to the DICOM folder) or a SOP Instance UID. */
export type ReferenceKind = 'path' | 'uid' | 'path-or-uid';

/** One image the hospital's reference standard covers (with or without fracture boxes). */
export interface ReferenceImage {
  /** Unique key of the image within the annotations (COCO image id, or the CSV reference string). */
  readonly key: string;
  readonly reference: string;
  readonly referenceKind: ReferenceKind;
  /** Where it was given, for error messages: "COCO image id 3", "CSV line 4". */
  readonly where: string;
  /** The COCO image id, kept in the output so results map back to the hospital's own file. */
  readonly sourceId?: number;
  /** Width/height the annotations declare; must equal the DICOM Columns/Rows. */
  readonly declaredSize?: { readonly width: number; readonly height: number };
  /** Per-image fields carried to the output (subgroup and any other COCO image fields). */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A reference fracture box, [x, y, width, height] in the pixels of the DICOM image as stored. */
export interface ReferenceBox {
  readonly imageKey: string;
  readonly bbox: readonly [number, number, number, number];
  readonly where: string;
  readonly sourceId?: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface ReferenceAnnotations {
  readonly format: 'coco' | 'csv';
  readonly images: readonly ReferenceImage[];
  readonly boxes: readonly ReferenceBox[];
}

/** Throws one error listing every problem found, so a curator fixes the file in one pass. */
export function throwProblems(code: string, source: string, problems: readonly string[]): void {
  if (problems.length === 0) return;
  const shown = problems.slice(0, 50);
  const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : '';
  throw new DrfdsError(code, `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  ${shown.join('\n  ')}${more}`, { httpStatus: 400 });
}

/** Reads COCO JSON (`.json`) or CSV (`.csv`, or anything else that does not start with `{`). */
export async function readReferenceAnnotations(path: string): Promise<ReferenceAnnotations> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (thrown) {
    throw new DrfdsError('dataset/unreadable-annotations', `${path}: cannot read the annotations file: ${describeThrown(thrown)}`, { cause: thrown });
  }
  const looksJson = extname(path).toLowerCase() === '.json' || text.trimStart().startsWith('{');
  return looksJson ? parseCocoAnnotations(text, path) : parseCsvAnnotations(text, path);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validBox(values: readonly unknown[]): values is [number, number, number, number] {
  return values.length === 4 && values.every((value) => typeof value === 'number' && Number.isFinite(value));
}

/** COCO detection JSON whose image `file_name` is a DICOM path (relative to --dicom) or a SOP Instance UID. */
export function parseCocoAnnotations(text: string, source: string): ReferenceAnnotations {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (thrown) {
    throw new DrfdsError('dataset/bad-coco', `${source}: not valid JSON: ${describeThrown(thrown)}`, { httpStatus: 400 });
  }
  if (!isRecord(document) || !Array.isArray(document['images'])) {
    throw new DrfdsError('dataset/bad-coco', `${source}: a COCO file needs an "images" array (and "annotations", "categories").`, { httpStatus: 400 });
  }
  const problems: string[] = [];
  const categories = Array.isArray(document['categories']) ? document['categories'] : [];
  const fractureCategories = new Set<number>();
  for (const category of categories) {
    if (isRecord(category) && typeof category['id'] === 'number') {
      if (String(category['name']).toLowerCase() === 'fracture') fractureCategories.add(category['id']);
    }
  }
  const images: ReferenceImage[] = [];
  const ids = new Set<number>();
  document['images'].forEach((entry: unknown, index: number) => {
    const where = `COCO images[${index}]`;
    if (!isRecord(entry)) {
      problems.push(`${where} is not an object.`);
      return;
    }
    const { id, file_name: fileName, width, height, ...fields } = entry;
    if (typeof id !== 'number' || !Number.isInteger(id)) {
      problems.push(`${where} has no integer "id".`);
      return;
    }
    if (ids.has(id)) {
      problems.push(`${where}: image id ${id} is used twice.`);
      return;
    }
    ids.add(id);
    if (typeof fileName !== 'string' || fileName.trim() === '') {
      problems.push(`COCO image id ${id} has no "file_name" (a DICOM path relative to --dicom, or a SOP Instance UID).`);
      return;
    }
    const declared = typeof width === 'number' && typeof height === 'number' ? { declaredSize: { width, height } } : {};
    images.push({ key: `coco:${id}`, reference: fileName.trim(), referenceKind: 'path-or-uid', where: `COCO image id ${id} ("${fileName}")`, sourceId: id, fields, ...declared });
  });
  const boxes: ReferenceBox[] = [];
  const boxIds = new Set<number>();
  const annotations = Array.isArray(document['annotations']) ? document['annotations'] : [];
  annotations.forEach((entry: unknown, index: number) => {
    if (!isRecord(entry)) {
      problems.push(`COCO annotations[${index}] is not an object.`);
      return;
    }
    const { id, image_id: imageId, category_id: categoryId, bbox, area: _area, iscrowd: _iscrowd, segmentation: _segmentation, ...fields } = entry;
    const where = `COCO annotation ${typeof id === 'number' ? `id ${id}` : `[${index}]`}`;
    if (typeof id === 'number') {
      if (boxIds.has(id)) {
        problems.push(`${where}: annotation id ${id} is used twice.`);
        return;
      }
      boxIds.add(id);
    }
    if (typeof imageId !== 'number' || !ids.has(imageId)) {
      problems.push(`${where} refers to image_id ${String(imageId)}, which is not in "images".`);
      return;
    }
    if (typeof categoryId !== 'number' || !fractureCategories.has(categoryId)) {
      problems.push(`${where} has category_id ${String(categoryId)}; only a category named "fracture" is allowed.`);
      return;
    }
    if (!Array.isArray(bbox) || !validBox(bbox) || bbox[2] <= 0 || bbox[3] <= 0) {
      problems.push(`${where} has bbox ${JSON.stringify(bbox)}; expected [x, y, width, height] with positive width and height.`);
      return;
    }
    boxes.push({ imageKey: `coco:${imageId}`, bbox, where, ...(typeof id === 'number' ? { sourceId: id } : {}), fields });
  });
  throwProblems('dataset/bad-coco', source, problems);
  return { format: 'coco', images, boxes };
}

const REFERENCE_COLUMNS: Record<string, ReferenceKind> = {
  file: 'path',
  file_name: 'path',
  path: 'path',
  uid: 'uid',
  sop_instance_uid: 'uid',
  sopinstanceuid: 'uid',
};
const BOX_COLUMNS = ['x', 'y', 'width', 'height'] as const;
const OPTIONAL_COLUMNS = ['subgroup'] as const;

/**
 * CSV with a header: one reference column (`file` — a DICOM path relative to --dicom — or `uid` — a SOP Instance
 * UID), `x,y,width,height` and optionally `subgroup`. One row per box; a row with the four box fields empty lists a
 * fracture-free image. Rows of one image must agree on its subgroup.
 */
export function parseCsvAnnotations(text: string, source: string): ReferenceAnnotations {
  const { header, rows } = parseCsv(text, source);
  const lower = header.map((name) => name.toLowerCase());
  const referenceColumns = lower.map((name, index) => ({ name, index })).filter(({ name }) => name in REFERENCE_COLUMNS);
  const problems: string[] = [];
  const unknown = lower.filter((name) => !(name in REFERENCE_COLUMNS) && !(BOX_COLUMNS as readonly string[]).includes(name) && !(OPTIONAL_COLUMNS as readonly string[]).includes(name));
  if (unknown.length > 0) problems.push(`line 1: unknown column${unknown.length === 1 ? '' : 's'} ${unknown.map((name) => `"${name}"`).join(', ')}; allowed: file or uid, x, y, width, height, subgroup.`);
  if (referenceColumns.length !== 1) problems.push(`line 1: the header needs exactly one of the columns "file" (DICOM path) or "uid" (SOP Instance UID), found ${referenceColumns.length}.`);
  const missing = BOX_COLUMNS.filter((name) => !lower.includes(name));
  if (missing.length > 0) problems.push(`line 1: missing column${missing.length === 1 ? '' : 's'} ${missing.join(', ')}.`);
  throwProblems('dataset/bad-csv', source, problems);

  const referenceColumn = referenceColumns[0]!;
  const referenceKind = REFERENCE_COLUMNS[referenceColumn.name]!;
  const column = (name: string): number => lower.indexOf(name);
  const subgroupColumn = column('subgroup');
  const images = new Map<string, { image: ReferenceImage; subgroup: string | undefined; subgroupLine: number; negativeLine?: number; boxLine?: number }>();
  const boxes: ReferenceBox[] = [];
  for (const row of rows) {
    const where = `CSV line ${row.line}`;
    if (row.fields.length !== header.length) {
      problems.push(`${where}: ${row.fields.length} fields, the header has ${header.length}.`);
      continue;
    }
    const reference = (row.fields[referenceColumn.index] ?? '').trim();
    if (reference === '') {
      problems.push(`${where}: the "${header[referenceColumn.index]}" field is empty.`);
      continue;
    }
    const subgroupText = subgroupColumn >= 0 ? (row.fields[subgroupColumn] ?? '').trim() : '';
    const subgroup = subgroupText === '' ? undefined : subgroupText;
    const boxTexts = BOX_COLUMNS.map((name) => (row.fields[column(name)] ?? '').trim());
    const negative = boxTexts.every((value) => value === '');
    let bbox: [number, number, number, number] | undefined;
    if (!negative) {
      const numbers = boxTexts.map((value) => (value === '' ? Number.NaN : Number(value)));
      if (!validBox(numbers) || numbers[2] <= 0 || numbers[3] <= 0) {
        problems.push(`${where}: x, y, width, height must be numbers with positive width and height (all four empty for a fracture-free image), got "${boxTexts.join('", "')}".`);
        continue;
      }
      bbox = numbers;
    }
    let entry = images.get(reference);
    if (entry === undefined) {
      entry = {
        image: { key: `csv:${reference}`, reference, referenceKind, where: `${where} ("${reference}")`, fields: {} },
        subgroup,
        subgroupLine: row.line,
      };
      images.set(reference, entry);
    } else if (subgroup !== undefined) {
      if (entry.subgroup !== undefined && entry.subgroup !== subgroup) {
        problems.push(`${where}: subgroup "${subgroup}" for "${reference}" contradicts "${entry.subgroup}" on line ${entry.subgroupLine}.`);
        continue;
      }
      if (entry.subgroup === undefined) {
        entry.subgroup = subgroup;
        entry.subgroupLine = row.line;
      }
    }
    if (negative) {
      entry.negativeLine ??= row.line;
    } else {
      entry.boxLine ??= row.line;
      boxes.push({ imageKey: `csv:${reference}`, bbox: bbox!, where, fields: {} });
    }
    if (entry.negativeLine !== undefined && entry.boxLine !== undefined) {
      problems.push(`${where}: "${reference}" is listed fracture-free on line ${entry.negativeLine} but has a box on line ${entry.boxLine}.`);
      entry.negativeLine = undefined;
    }
  }
  throwProblems('dataset/bad-csv', source, problems);
  const imageList = [...images.values()].map(({ image, subgroup }) => (subgroup === undefined ? image : { ...image, fields: { subgroup } }));
  return { format: 'csv', images: imageList, boxes };
}
