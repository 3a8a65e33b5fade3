/**
 * The DICOM reader of DR-FDS: Part 10 files and raw data sets in every transfer syntax of docs/dicom.md,
 * rendered through the PS3.3 C.11 pixel pipeline to the 8-bit image a radiologist sees.
 */
export { readRadiograph, readRadiographFile, readRadiographMetadata, readRadiographMetadataFile } from './readRadiograph.js';
export type { Radiograph, ReadRadiographOptions, RenderingInfo, VoiSource, WindowChoice } from './readRadiograph.js';
export { isProbablyDicom } from './isProbablyDicom.js';
export { readPixelSpacing } from './readMetadata.js';
export { supportedTransferSyntaxes, transferSyntaxInfo } from './transferSyntax.js';
export type { TransferSyntaxInfo, PixelEncoding } from './transferSyntax.js';
export type { DicomErrorCode } from './dicomError.js';
export type { ModalityTransform } from './pipeline/modalityLut.js';
export type { VoiTransform, VoiLutFunction } from './pipeline/voiLut.js';
export type { RadiographMetadata, PixelSpacingInfo, PatientStudyAttributes } from './RadiographMetadata.js';
