import type { Detector } from '../../detector/Detector.js';
import { DrfdsError } from '../../errors/DrfdsError.js';
import { readCaseDisplayImage } from './caseImage.js';
import type { ModelBox, ModelOutput, Study, StudyCase } from '../domain/types.js';

/** The aided viewer shows at most this many boxes per case (the best-scoring ones). */
export const maxModelBoxesPerCase = 10;

/** Runs the detector over every case at study set-up and keeps its boxes at its two operating points. */
export async function runModelOnCases(detector: Detector, cases: readonly StudyCase[]): Promise<{ model: NonNullable<Study['model']>; outputs: Map<number, ModelOutput> }> {
  const outputs = new Map<number, ModelOutput>();
  for (const studyCase of cases) {
    const image = await readCaseDisplayImage(studyCase.imagePath);
    if (image.width !== studyCase.width || image.height !== studyCase.height) {
      throw new DrfdsError('study/bad-dataset', `${studyCase.imagePath} is ${image.width}×${image.height} but the data set says ${studyCase.width}×${studyCase.height}`, { httpStatus: 400 });
    }
    const detection = await detector.detect(image);
    const boxes: ModelBox[] = detection.findings.slice(0, maxModelBoxesPerCase).map((finding) => ({ ...finding.box, score: finding.score, operatingPoint: finding.operatingPoint }));
    outputs.set(studyCase.id, { score: detection.probability, boxes });
  }
  const model = { name: detector.model.name, version: detector.model.version, sha256: detector.model.sha256, trained: detector.model.trained, thresholds: { highSensitivity: detector.manifest.operatingPoints.highSensitivity, highSpecificity: detector.manifest.operatingPoints.highSpecificity } };
  return { model, outputs };
}

/**
 * Model output from a COCO results file (`[{image_id, category_id, bbox, score}]`, keyed by the data set's image id
 * or file name) instead of running the detector: for a model run elsewhere.
 */
export function modelOutputsFromPredictions(
  predictions: ReadonlyArray<{ image_id: number | string; bbox: readonly number[]; score: number }>,
  cases: readonly StudyCase[],
  thresholds: { highSensitivity: number; highSpecificity: number },
): Map<number, ModelOutput> {
  const outputs = new Map<number, ModelOutput>();
  for (const studyCase of cases) {
    const id = String(studyCase.fields.image_id);
    const mine = predictions.filter((p) => String(p.image_id) === id || String(p.image_id) === studyCase.key).sort((a, b) => b.score - a.score);
    const boxes: ModelBox[] = [];
    for (const p of mine) {
      if (p.score < thresholds.highSensitivity) continue;
      const [x = 0, y = 0, width = 0, height = 0] = p.bbox;
      boxes.push({ x, y, width, height, score: p.score, operatingPoint: p.score >= thresholds.highSpecificity ? 'high-specificity' : 'high-sensitivity' });
    }
    outputs.set(studyCase.id, { score: mine[0]?.score ?? 0, boxes: boxes.slice(0, maxModelBoxesPerCase) });
  }
  return outputs;
}
