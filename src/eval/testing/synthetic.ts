import { createRandom } from '../stats/random.js';
import type { CocoBox } from '../coco.js';

export interface SyntheticCoco {
  info: Record<string, unknown>;
  images: Array<Record<string, unknown> & { id: number; file_name: string; width: number; height: number }>;
  annotations: Array<{ id: number; image_id: number; category_id: number; bbox: CocoBox; area: number; iscrowd: 0 }>;
  categories: Array<{ id: number; name: string }>;
}

export interface SyntheticPrediction {
  image_id: number;
  category_id: number;
  bbox: CocoBox;
  score: number;
}

/** A generated COCO test set: fracture images carry 1–2 boxes; fields hip, hardware, site, age feed subgroups. */
export function syntheticTruth(images: number, seed: number, prevalence = 0.4): SyntheticCoco {
  const r = createRandom(seed);
  const coco: SyntheticCoco = { info: { description: 'synthetic test set' }, images: [], annotations: [], categories: [{ id: 1, name: 'fracture' }] };
  for (let i = 0; i < images; i += 1) {
    const id = 1000 + i;
    coco.images.push({
      id,
      file_name: `IMG${id}.png`,
      width: 1024,
      height: 1024,
      hip: r.next() < 0.5 ? 1 : 0,
      hardware: r.next() < 0.2 ? 1 : 0,
      site: ['A', 'B', 'C'][r.integer(3)] as string,
      age: Math.round(60 + 15 * r.normal()),
    });
    if (r.next() < prevalence) {
      const boxes = r.next() < 0.3 ? 2 : 1;
      for (let b = 0; b < boxes; b += 1) {
        const w = 60 + r.integer(120);
        const h = 60 + r.integer(120);
        const bbox: CocoBox = [r.integer(1024 - w), r.integer(1024 - h), w, h];
        coco.annotations.push({ id: coco.annotations.length + 1, image_id: id, category_id: 1, bbox, area: w * h, iscrowd: 0 });
      }
    }
  }
  return coco;
}

/**
 * Predictions of a simulated detector: each reference box is found (a jittered copy, higher score) with
 * probability `hit`; false-positive boxes appear at random; some images have no detection at all.
 */
export function syntheticPredictions(truth: SyntheticCoco, seed: number, quality: { hit: number; separation: number; fpPerImage: number }): SyntheticPrediction[] {
  const r = createRandom(seed);
  const out: SyntheticPrediction[] = [];
  const logistic = (x: number): number => 1 / (1 + Math.exp(-x));
  const round = (x: number): number => Math.round(x * 1e4) / 1e4;
  for (const image of truth.images) {
    for (const a of truth.annotations.filter((ann) => ann.image_id === image.id)) {
      if (r.next() >= quality.hit) continue;
      const jitter = (): number => Math.round(8 * r.normal());
      const bbox: CocoBox = [a.bbox[0] + jitter(), a.bbox[1] + jitter(), Math.max(1, a.bbox[2] + jitter()), Math.max(1, a.bbox[3] + jitter())];
      out.push({ image_id: image.id, category_id: 1, bbox, score: round(logistic(quality.separation + r.normal())) });
    }
    let falsePositives = 0;
    while (r.next() < quality.fpPerImage / (1 + quality.fpPerImage) && falsePositives < 5) falsePositives += 1;
    for (let k = 0; k < falsePositives; k += 1) {
      const w = 40 + r.integer(100);
      const h = 40 + r.integer(100);
      out.push({ image_id: image.id, category_id: 1, bbox: [r.integer(1024 - w), r.integer(1024 - h), w, h], score: round(logistic(-1 + r.normal())) });
    }
  }
  return out;
}
