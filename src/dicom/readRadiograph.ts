import { readFile } from 'node:fs/promises';
import { DrfdsError, describeThrown } from '../errors/DrfdsError.js';
import type { GrayImage8 } from '../image/GrayImage.js';
import { checkRadiograph } from './checkRadiograph.js';
import { dicomError } from './dicomError.js';
import { readImagePixelModule, type ImagePixelModule } from './imagePixelModule.js';
import { parseDataSet } from './parseDataSet.js';
import type { ModalityTransform } from './pipeline/modalityLut.js';
import { renderSamples, type VoiSelection } from './pipeline/renderPipeline.js';
import type { VoiTransform } from './pipeline/voiLut.js';
import { codecsSettled } from './nativeCodecs.js';
import { withFirstFrame } from './pixelData.js';
import { readFileVoi, readInvert, readModalityTransform } from './pixelTransforms.js';
import { radiographWarnings } from './radiographWarnings.js';
import type { RadiographMetadata } from './RadiographMetadata.js';
import { readMetadata } from './readMetadata.js';
import { transferSyntaxInfo, transferSyntaxName, type TransferSyntaxInfo } from './transferSyntax.js';

/**
 * Which VOI to apply: `file` = the file's first window (with its VOI LUT Function) or VOI LUT, falling back to
 * min–max when it has none; `minmax` = the full range of modality values present; `linear` = a given window.
 */
export type WindowChoice = { kind: 'file' } | { kind: 'minmax' } | { kind: 'linear'; center: number; width: number };

/** Where the applied VOI came from. */
export type VoiSource = 'file-window' | 'file-voi-lut' | 'minmax-fallback' | 'minmax' | 'linear';

export interface RenderingInfo {
  readonly modality: ModalityTransform;
  readonly voi: VoiTransform;
  readonly voiSource: VoiSource;
  /** MONOCHROME1 or Presentation LUT Shape INVERSE. */
  readonly inverted: boolean;
  /** Smallest and largest modality value present in the image. */
  readonly modalityRange: { readonly min: number; readonly max: number };
}

export interface Radiograph {
  readonly metadata: RadiographMetadata;
  /** The 8-bit image a radiologist sees (PS3.3 C.11 pipeline, MONOCHROME1 already inverted: 0 = black). */
  readonly display: GrayImage8;
  /** Header findings that do not stop reading (e.g. "View Position is LAT"). */
  readonly warnings: string[];
  /** How `display` was produced (for reports, and for presentation states that must reproduce it). */
  readonly rendering: RenderingInfo;
}

export interface ReadRadiographOptions {
  readonly window?: WindowChoice;
  /** Names the file in error messages (a path, an upload name, a SOP Instance UID). */
  readonly source?: string;
}

function voiSelection(choice: WindowChoice, fileVoi: ReturnType<typeof readFileVoi>, source: string): { selection: VoiSelection; voiSource: VoiSource } {
  switch (choice.kind) {
    case 'minmax':
      return { selection: { kind: 'minmax' }, voiSource: 'minmax' };
    case 'linear':
      if (!Number.isFinite(choice.center) || !Number.isFinite(choice.width) || choice.width < 1) {
        throw dicomError('dicom/invalid-window', source, `a linear window needs a finite center and a width ≥ 1, got ${choice.center},${choice.width}`);
      }
      return {
        selection: { kind: 'transform', transform: { kind: 'window', center: choice.center, width: choice.width, function: 'LINEAR' } },
        voiSource: 'linear',
      };
    case 'file':
      // The documented fallback when the file has no VOI: min–max of the modality values (docs/dicom.md).
      return fileVoi === undefined
        ? { selection: { kind: 'minmax' }, voiSource: 'minmax-fallback' }
        : { selection: { kind: 'transform', transform: fileVoi.transform }, voiSource: fileVoi.source };
  }
}

/**
 * Reads one DICOM radiograph: checks it, decodes its first (only) frame and renders it through the PS3.3 C.11
 * pipeline. Synchronous (JPEG 2000 decoding can take 0.2–0.8 s; run it in a worker where that matters).
 * Throws DrfdsError (codes `dicom/…`, see docs/dicom.md) for anything it cannot read faithfully.
 */
interface HeaderRead {
  readonly dataSet: ReturnType<typeof parseDataSet>['dataSet'];
  readonly syntax: TransferSyntaxInfo;
  readonly pixel: ImagePixelModule;
  readonly metadata: RadiographMetadata;
  readonly warnings: string[];
}

/** dicom-parser's element readers throw strings/objects on corrupt elements: report them as a malformed file. */
function wrapThirdParty<T>(source: string, run: () => T): T {
  try {
    return run();
  } catch (thrown) {
    if (thrown instanceof DrfdsError) throw thrown;
    if (!(thrown instanceof Error) || /dicomParser/.test(describeThrown(thrown))) {
      throw dicomError('dicom/malformed', source, `the DICOM data set is malformed: ${describeThrown(thrown)}`, thrown);
    }
    throw thrown;
  }
}

function readHeader(bytes: Uint8Array, source: string): HeaderRead {
  const { dataSet, transferSyntaxUid } = parseDataSet(bytes, source);
  const syntax = transferSyntaxInfo(transferSyntaxUid);
  if (syntax === undefined) {
    throw dicomError(
      'dicom/unsupported-transfer-syntax',
      source,
      `the transfer syntax ${transferSyntaxUid} (${transferSyntaxName(transferSyntaxUid)}) is not supported; send it as Explicit VR Little Endian, JPEG, JPEG-LS, JPEG 2000 or RLE`,
    );
  }
  return wrapThirdParty(source, () => {
    const pixel = readImagePixelModule(dataSet, source);
    checkRadiograph(dataSet, pixel, source);
    const metadata = readMetadata(dataSet, pixel, transferSyntaxUid, source);
    return { dataSet, syntax, pixel, metadata, warnings: radiographWarnings(metadata) };
  });
}

/**
 * The header half of readRadiograph: the same checks and metadata, without decoding Pixel Data (fast, for
 * indexing a folder). A file that passes here can still fail in readRadiograph on corrupt pixel data.
 */
export function readRadiographMetadata(bytes: Uint8Array, options: { source?: string } = {}): { metadata: RadiographMetadata; warnings: string[] } {
  const { metadata, warnings } = readHeader(bytes, options.source ?? 'DICOM input');
  return { metadata, warnings };
}

/**
 * Reads one DICOM radiograph: checks it, decodes its first (only) frame and renders it through the PS3.3 C.11
 * pipeline. Synchronous (JPEG 2000 decoding can take 0.2–0.8 s; run it in a worker where that matters).
 * Throws DrfdsError (codes `dicom/…`, see docs/dicom.md) for anything it cannot read faithfully.
 */
export function readRadiograph(bytes: Uint8Array, options: ReadRadiographOptions = {}): Radiograph {
  const source = options.source ?? 'DICOM input';
  const { dataSet, syntax, pixel, metadata, warnings } = readHeader(bytes, source);
  return wrapThirdParty(source, () => {
    const modality = readModalityTransform(dataSet, pixel, source);
    const fileVoi = readFileVoi(dataSet, pixel, source, warnings);
    const { selection, voiSource } = voiSelection(options.window ?? { kind: 'file' }, fileVoi, source);
    const inverted = readInvert(dataSet, pixel);

    const rendered = withFirstFrame(dataSet, pixel, syntax, source, (samples) => renderSamples(samples, { layout: pixel, modality, voi: selection, invert: inverted }));
    return {
      metadata,
      display: { width: pixel.columns, height: pixel.rows, data: rendered.pixels },
      warnings,
      rendering: { modality, voi: rendered.voi, voiSource, inverted, modalityRange: rendered.modalityRange },
    };
  });
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (thrown) {
    throw dicomError('dicom/unreadable-file', path, `cannot read the file: ${describeThrown(thrown)}`, thrown);
  }
}

/** Reads a file from disk; errors name the path. */
export async function readRadiographFile(path: string, options: { window?: WindowChoice } = {}): Promise<Radiograph> {
  const bytes = await readBytes(path);
  await codecsSettled();
  return readRadiograph(bytes, { ...options, source: path });
}

/** The header of a file on disk (no pixel decoding); errors name the path. */
export async function readRadiographMetadataFile(path: string): Promise<{ metadata: RadiographMetadata; warnings: string[] }> {
  return readRadiographMetadata(await readBytes(path), { source: path });
}
