/** Writing DR-FDS results as DICOM: Comprehensive SR (TID 1500, IHE AI Results) and a Grayscale Softcopy Presentation State. */
export { writeResultSr, buildResultSrDataset, COMPREHENSIVE_SR_STORAGE } from './writeResultSr.js';
export {
  writePresentationState,
  buildPresentationStateDataset,
  GRAYSCALE_SOFTCOPY_PRESENTATION_STATE_STORAGE,
  GRAPHIC_LAYERS,
  type PresentationStateOptions,
} from './writePresentationState.js';
export { deriveUid, isValidUid, DEFAULT_UID_ROOT } from './deriveUid.js';
export { resultUids, type ResultUids } from './resultUids.js';
export type { WriteOptions } from './commonModules.js';
export { CODES, LOCAL_CODING_SCHEME, type CodedConcept } from './codes.js';
export { IMPLEMENTATION_CLASS_UID, EXPLICIT_VR_LITTLE_ENDIAN } from './part10.js';
export { presentationStateOptionsFromRendering } from './presentationStateOptions.js';
export { writeDicomResults, type DicomResults } from './writeDicomResults.js';
