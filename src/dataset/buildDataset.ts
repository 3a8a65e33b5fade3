import { access, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import type { RadiographMetadata } from '../dicom/RadiographMetadata.js';
import { readRadiographFile } from '../dicom/index.js';
import { DrfdsError, describeThrown } from '../errors/DrfdsError.js';
import type { GrayImage8 } from '../image/GrayImage.js';
import { cohortFields, dicomProvenance, type CohortFields, type DicomProvenance } from './cohortFields.js';
import { DicomFolder } from './dicomFolder.js';
import { readReferenceAnnotations, throwProblems, type ReferenceBox, type ReferenceImage } from './readReferenceAnnotations.js';

/** What the builder needs from the DICOM reader (src/dicom readRadiographFile). */
export type RadiographFileReader = (path: string) => Promise<{ metadata: RadiographMetadata; display: GrayImage8; warnings: readonly string[] }>;

export interface BuildDatasetOptions {
  readonly dicomDir: string;
  readonly annotationsPath: string;
  readonly outDir: string;
  /** Downscale images whose longer side exceeds this (boxes and pixel spacing follow). Default: keep the stored size. */
  readonly maxSide?: number;
  /** Replace an existing dataset in outDir. */
  readonly overwrite?: boolean;
  readonly read?: RadiographFileReader;
  readonly onImage?: (done: number, total: number, file: string) => void;
}

export interface DatasetImage extends CohortFields {
  id: number;
  file_name: string;
  width: number;
  height: number;
  original_width: number;
  original_height: number;
  dicom: DicomProvenance;
  [extra: string]: unknown;
}

export interface DatasetAnnotation {
  id: number;
  image_id: number;
  category_id: 1;
  bbox: [number, number, number, number];
  area: number;
  iscrowd: 0;
  [extra: string]: unknown;
}

export interface DatasetCoco {
  info: { description: string; version: string; date_created: string };
  images: DatasetImage[];
  annotations: DatasetAnnotation[];
  categories: [{ id: 1; name: 'fracture'; supercategory: 'fracture' }];
}

export interface BuildDatasetReport {
  readonly outDir: string;
  readonly annotationsFile: string;
  readonly images: number;
  readonly fractureImages: number;
  readonly boxes: number;
  readonly resizedImages: number;
  /** Reader warnings (e.g. a lateral view), per DICOM file. */
  readonly warnings: ReadonlyArray<{ readonly file: string; readonly warning: string }>;
  readonly elapsedMs: number;
}

export const DATASET_ANNOTATIONS_FILE = 'annotations.coco.json';
export const DATASET_IMAGES_DIR = 'images';
export const DATASET_REPORT_FILE = 'build-report.json';

/** Box coordinates keep 3 decimals (a thousandth of a pixel) after scaling. */
function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** "hip/RG2 JPLL.dcm" → "hip__RG2_JPLL.png": traceable, flat, filesystem-safe; a counter keeps names unique. */
function imageFileName(relativePath: string, used: Set<string>): string {
  const stem = relativePath.replace(/\.(dcm|dicom|dic)$/i, '').replace(/\//g, '__').replace(/[^A-Za-z0-9._-]/g, '_') || 'image';
  let name = `${stem}.png`;
  for (let n = 2; used.has(name.toLowerCase()); n += 1) name = `${stem}-${n}.png`;
  used.add(name.toLowerCase());
  return name;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * `drfds dataset build`: a hospital's DICOM radiographs plus reference boxes → the DR-FDS dataset format
 * (docs/dataset-format.md): `images/*.png` (8-bit, rendered by the DICOM pixel pipeline exactly as the detector sees
 * them), `annotations.coco.json` (boxes in the pixels of those PNGs, per-image cohort fields from the headers) and
 * `build-report.json`. Every problem of the annotations (unknown files or UIDs, boxes outside the image, sizes that
 * disagree, unreadable DICOM) is collected and reported together; the COCO file is written only when there is none.
 */
export async function buildDataset(options: BuildDatasetOptions): Promise<BuildDatasetReport> {
  const started = Date.now();
  const read: RadiographFileReader = options.read ?? ((path) => readRadiographFile(path));
  if (options.maxSide !== undefined && (!Number.isInteger(options.maxSide) || options.maxSide < 32)) {
    throw new DrfdsError('dataset/bad-option', `--max-side must be an integer of at least 32, got ${options.maxSide}.`);
  }
  const cocoPath = join(options.outDir, DATASET_ANNOTATIONS_FILE);
  if (!options.overwrite && (await exists(cocoPath))) {
    throw new DrfdsError('dataset/output-exists', `${cocoPath} already exists; choose another --out folder or pass --force to replace the dataset.`);
  }
  const annotations = await readReferenceAnnotations(options.annotationsPath);
  if (annotations.images.length === 0) {
    throw new DrfdsError('dataset/empty', `${options.annotationsPath} lists no images; a dataset needs at least one (a CSV row with empty box fields lists a fracture-free image).`);
  }
  const folder = new DicomFolder(options.dicomDir);
  if (!(await exists(folder.root))) {
    throw new DrfdsError('dataset/no-dicom-folder', `The DICOM folder ${folder.root} does not exist.`);
  }

  // 1. Every annotated image must name exactly one DICOM file, and no file may be named twice.
  const problems: string[] = [];
  const resolved: Array<{ image: ReferenceImage; path: string; relativePath: string }> = [];
  const byFile = new Map<string, ReferenceImage>();
  for (const image of annotations.images) {
    const resolution = await folder.resolve(image.reference, image.referenceKind);
    if (!resolution.ok) {
      problems.push(`${image.where}: ${resolution.problem}`);
      continue;
    }
    const earlier = byFile.get(resolution.path);
    if (earlier !== undefined) {
      problems.push(`${image.where} names the same DICOM file (${resolution.relativePath}) as ${earlier.where}.`);
      continue;
    }
    byFile.set(resolution.path, image);
    resolved.push({ image, ...resolution });
  }
  throwProblems('dataset/unknown-reference', options.annotationsPath, problems);

  const boxesByImage = new Map<string, ReferenceBox[]>();
  for (const box of annotations.boxes) boxesByImage.set(box.imageKey, [...(boxesByImage.get(box.imageKey) ?? []), box]);

  // 2. Read, check and render each image; write its PNG.
  await mkdir(join(options.outDir, DATASET_IMAGES_DIR), { recursive: true });
  const usedNames = new Set<string>();
  const images: DatasetImage[] = [];
  const outputBoxes: Array<{ imageId: number; box: ReferenceBox; bbox: [number, number, number, number] }> = [];
  const warnings: Array<{ file: string; warning: string }> = [];
  const usedImageIds = new Set(resolved.flatMap(({ image }) => (image.sourceId === undefined ? [] : [image.sourceId])));
  let nextImageId = 1;
  let resizedImages = 0;
  for (const [index, { image, path, relativePath }] of resolved.entries()) {
    options.onImage?.(index, resolved.length, relativePath);
    let radiograph: Awaited<ReturnType<RadiographFileReader>>;
    try {
      radiograph = await read(path);
    } catch (thrown) {
      problems.push(`${image.where}: ${describeThrown(thrown)}`);
      continue;
    }
    const { metadata, display } = radiograph;
    for (const warning of radiograph.warnings) warnings.push({ file: relativePath, warning });
    if (image.declaredSize !== undefined && (image.declaredSize.width !== display.width || image.declaredSize.height !== display.height)) {
      problems.push(
        `${image.where} declares ${image.declaredSize.width}×${image.declaredSize.height} pixels but ${relativePath} is ${display.width}×${display.height}; boxes must be in the pixels of the DICOM image as stored.`,
      );
      continue;
    }
    const boxes = boxesByImage.get(image.key) ?? [];
    let boxesOk = true;
    for (const box of boxes) {
      const [x, y, w, h] = box.bbox;
      if (x < 0 || y < 0 || x + w > display.width || y + h > display.height) {
        problems.push(`${box.where}: box [${box.bbox.join(', ')}] lies outside ${relativePath} (${display.width}×${display.height} pixels).`);
        boxesOk = false;
      }
    }
    if (!boxesOk || problems.length > 0) continue; // keep checking the rest, write nothing more

    let width = display.width;
    let height = display.height;
    const longer = Math.max(width, height);
    if (options.maxSide !== undefined && longer > options.maxSide) {
      width = Math.max(1, Math.round((display.width * options.maxSide) / longer));
      height = Math.max(1, Math.round((display.height * options.maxSide) / longer));
      resizedImages += 1;
    }
    const scale = { x: width / display.width, y: height / display.height };
    const fileName = imageFileName(relativePath, usedNames);
    try {
      let pipeline = sharp(Buffer.from(display.data.buffer, display.data.byteOffset, display.data.byteLength), {
        raw: { width: display.width, height: display.height, channels: 1 },
      });
      if (width !== display.width || height !== display.height) pipeline = pipeline.resize(width, height, { fit: 'fill', kernel: 'lanczos3' });
      await pipeline.toColourspace('b-w').png({ compressionLevel: 6 }).toFile(join(options.outDir, DATASET_IMAGES_DIR, fileName));
    } catch (thrown) {
      throw new DrfdsError('dataset/write-failed', `Cannot write ${fileName} in ${options.outDir}: ${describeThrown(thrown)}`, { cause: thrown });
    }
    let id = image.sourceId;
    if (id === undefined) {
      while (usedImageIds.has(nextImageId)) nextImageId += 1;
      id = nextImageId;
      usedImageIds.add(id);
    }
    images.push({
      ...image.fields,
      id,
      file_name: fileName,
      width,
      height,
      original_width: display.width,
      original_height: display.height,
      ...cohortFields(metadata, scale),
      dicom: dicomProvenance(metadata, relativePath),
    });
    for (const box of boxes) {
      const [x, y, w, h] = box.bbox;
      outputBoxes.push({ imageId: id, box, bbox: scale.x === 1 && scale.y === 1 ? [x, y, w, h] : [round3(x * scale.x), round3(y * scale.y), round3(w * scale.x), round3(h * scale.y)] });
    }
  }
  throwProblems('dataset/bad-annotations', options.annotationsPath, problems);

  // 3. The COCO file, written last: its presence marks a complete dataset.
  const usedBoxIds = new Set(outputBoxes.flatMap(({ box }) => (box.sourceId === undefined ? [] : [box.sourceId])));
  let nextBoxId = 1;
  const cocoAnnotations: DatasetAnnotation[] = outputBoxes.map(({ imageId, box, bbox }) => {
    // COCO boxes keep their ids; CSV boxes are numbered in file order.
    let id = box.sourceId;
    if (id === undefined) {
      while (usedBoxIds.has(nextBoxId)) nextBoxId += 1;
      id = nextBoxId;
      usedBoxIds.add(id);
    }
    return { ...box.fields, id, image_id: imageId, category_id: 1, bbox, area: round3(bbox[2] * bbox[3]), iscrowd: 0 };
  });
  const coco: DatasetCoco = {
    info: {
      description: `DR-FDS dataset built by "drfds dataset build" from ${basename(folder.root)}/ and ${basename(options.annotationsPath)} (${annotations.format})`,
      version: '1',
      date_created: new Date().toISOString(),
    },
    images,
    annotations: cocoAnnotations,
    categories: [{ id: 1, name: 'fracture', supercategory: 'fracture' }],
  };
  const report: BuildDatasetReport = {
    outDir: options.outDir,
    annotationsFile: options.annotationsPath,
    images: images.length,
    fractureImages: new Set(cocoAnnotations.map((annotation) => annotation.image_id)).size,
    boxes: cocoAnnotations.length,
    resizedImages,
    warnings,
    elapsedMs: Date.now() - started,
  };
  await writeFile(join(options.outDir, DATASET_REPORT_FILE), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(cocoPath, `${JSON.stringify(coco)}\n`);
  return report;
}
