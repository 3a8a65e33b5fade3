import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePresentationState, writeResultSr } from '../dicom/write/index.js';
import { renderOverlayPng, type OverlayBox } from '../image/renderOverlay.js';
import type { DetectionResult } from './DetectionResult.js';
import type { FileDetection } from './detectFile.js';

/** Boxes of a result for the overlay: high-specificity solid, high-sensitivity dotted, labelled with the score. */
export function overlayBoxes(result: DetectionResult): OverlayBox[] {
  return result.findings.map((finding) => ({
    ...finding.box,
    label: finding.score.toFixed(2),
    style: finding.operatingPoint === 'high-specificity' ? 'solid' : 'dotted',
  }));
}

export function overlayCaption(result: DetectionResult): string {
  const untrained = result.model.trained ? '' : ' · UNTRAINED PLACEHOLDER MODEL';
  return `${result.decision} · p = ${result.probability.toFixed(2)}${untrained}`;
}

export interface WrittenOutputs {
  readonly json: string;
  readonly overlay: string;
  readonly sr?: string;
  readonly gsps?: string;
}

/**
 * Writes one image's outputs into `outDir` under `name`: `<name>.json` (the DetectionResult), `<name>.overlay.png`
 * (boxes drawn on the displayed image, plus `extraBoxes`, e.g. reference boxes), and for DICOM input
 * `<name>.sr.dcm` (TID 1500 Comprehensive SR) and `<name>.gsps.dcm` (Grayscale Softcopy Presentation State).
 */
export async function writeDetectionOutputs(outDir: string, name: string, detection: FileDetection, extraBoxes: readonly OverlayBox[] = []): Promise<WrittenOutputs> {
  await mkdir(outDir, { recursive: true });
  const { result, input } = detection;
  const json = join(outDir, `${name}.json`);
  await writeFile(json, `${JSON.stringify(result, null, 2)}\n`);
  const overlay = join(outDir, `${name}.overlay.png`);
  await writeFile(overlay, await renderOverlayPng(input.image, [...extraBoxes, ...overlayBoxes(result)], { caption: overlayCaption(result) }));
  if (input.metadata === undefined) return { json, overlay };
  const sr = join(outDir, `${name}.sr.dcm`);
  await writeFile(sr, writeResultSr(input.metadata, result));
  const voi = input.rendering?.voi;
  const modality = input.rendering?.modality;
  const gsps = join(outDir, `${name}.gsps.dcm`);
  await writeFile(
    gsps,
    writePresentationState(input.metadata, result, {
      ...(voi?.kind === 'window' ? { voiWindow: { center: voi.center, width: voi.width } } : {}),
      ...(modality?.kind === 'rescale' && (modality.slope !== 1 || modality.intercept !== 0) ? { rescale: { slope: modality.slope, intercept: modality.intercept } } : {}),
    }),
  );
  return { json, overlay, sr, gsps };
}
