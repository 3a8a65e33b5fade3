import type { RadiographMetadata } from '../RadiographMetadata.js';
import type { RenderingInfo } from '../readRadiograph.js';
import type { DetectionResult } from '../../detector/DetectionResult.js';
import type { WriteOptions } from './commonModules.js';
import { resolvedRoot } from './commonModules.js';
import { presentationStateOptionsFromRendering } from './presentationStateOptions.js';
import { resultUids } from './resultUids.js';
import { writePresentationState } from './writePresentationState.js';
import { writeResultSr } from './writeResultSr.js';

export interface DicomResults {
  /** Comprehensive SR (TID 1500), Part 10 bytes. */
  readonly sr: Uint8Array;
  readonly srSopInstanceUid: string;
  /** Grayscale Softcopy Presentation State, Part 10 bytes. */
  readonly presentationState: Uint8Array;
  readonly presentationStateSopInstanceUid: string;
  /** What the presentation state could not reproduce of the source's rendering (e.g. a VOI LUT table). */
  readonly notes: readonly string[];
}

/**
 * Both DICOM results for one analysed radiograph, as the service sends them to the PACS: the SR and a presentation
 * state that shows the source with the window the detector saw (`rendering` from the reader). Same options and
 * derived UIDs as writeResultSr / writePresentationState.
 */
export function writeDicomResults(
  radiograph: { readonly metadata: RadiographMetadata; readonly rendering?: RenderingInfo },
  result: DetectionResult,
  options: WriteOptions = {},
): DicomResults {
  const now = options.now ?? new Date();
  const fromRendering = radiograph.rendering === undefined ? { options: {}, notes: [] } : presentationStateOptionsFromRendering(radiograph.rendering);
  const uids = resultUids(resolvedRoot(options), radiograph.metadata, result.model);
  return {
    sr: writeResultSr(radiograph.metadata, result, { ...options, now }),
    srSopInstanceUid: uids.srInstance,
    presentationState: writePresentationState(radiograph.metadata, result, { ...fromRendering.options, ...options, now }),
    presentationStateSopInstanceUid: uids.presentationStateInstance,
    notes: fromRendering.notes,
  };
}
