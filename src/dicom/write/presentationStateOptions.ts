import type { RenderingInfo } from '../readRadiograph.js';
import type { PresentationStateOptions } from './writePresentationState.js';

/**
 * The presentation-state options that reproduce how the reader rendered the source (`Radiograph.rendering`), so the
 * PACS viewer shows what the detector saw: a linear/sigmoid window becomes the Softcopy VOI LUT, a rescale the
 * Modality LUT module. A VOI LUT table or a Modality LUT Sequence is not copied (the viewer's default applies);
 * `notes` says so.
 */
export function presentationStateOptionsFromRendering(rendering: RenderingInfo): { options: Pick<PresentationStateOptions, 'voiWindow' | 'rescale'>; notes: string[] } {
  const notes: string[] = [];
  const options: { voiWindow?: PresentationStateOptions['voiWindow']; rescale?: PresentationStateOptions['rescale'] } = {};
  if (rendering.voi.kind === 'window') {
    options.voiWindow = { center: rendering.voi.center, width: rendering.voi.width, function: rendering.voi.function };
  } else {
    notes.push('the source is displayed through a VOI LUT table, which the presentation state does not copy');
  }
  if (rendering.modality.kind === 'rescale') {
    if (rendering.modality.slope !== 1 || rendering.modality.intercept !== 0) {
      options.rescale = { slope: rendering.modality.slope, intercept: rendering.modality.intercept };
    }
  } else {
    notes.push('the source has a Modality LUT Sequence, which the presentation state does not copy');
  }
  return { options, notes };
}
