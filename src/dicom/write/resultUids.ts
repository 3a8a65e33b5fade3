import type { RadiographMetadata } from '../RadiographMetadata.js';
import type { ModelIdentity } from '../../detector/DetectionResult.js';
import { deriveUid } from './deriveUid.js';

/**
 * Every UID DR-FDS writes for one source image and one model, derived (deriveUid) from the root, the kind of UID,
 * the model name and version and the source's UIDs — so re-running the same model on the same image produces the
 * same instances (a PACS receiving them again replaces, not duplicates) and a new model version produces new ones.
 * Series are per study, model and object kind: all results of one model version in a study share a series.
 */
export interface ResultUids {
  readonly srInstance: string;
  readonly srSeries: string;
  readonly presentationStateInstance: string;
  readonly presentationStateSeries: string;
  /** Device Observer UID (TID 1004) of the model version. */
  readonly deviceObserver: string;
  /** Tracking Unique Identifier of measurement group `index` (0 = image level, n = finding n). */
  tracking(index: number): string;
}

export function resultUids(root: string, source: RadiographMetadata, model: ModelIdentity): ResultUids {
  const modelParts = [model.name, model.version];
  return {
    srInstance: deriveUid(root, 'sr-instance', ...modelParts, source.sopInstanceUid),
    srSeries: deriveUid(root, 'sr-series', ...modelParts, source.studyInstanceUid),
    presentationStateInstance: deriveUid(root, 'gsps-instance', ...modelParts, source.sopInstanceUid),
    presentationStateSeries: deriveUid(root, 'gsps-series', ...modelParts, source.studyInstanceUid),
    deviceObserver: deriveUid(root, 'device-observer', ...modelParts),
    tracking: (index: number) => deriveUid(root, 'tracking', ...modelParts, source.sopInstanceUid, String(index)),
  };
}
