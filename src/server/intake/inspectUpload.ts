import sharp from 'sharp';
import { checkRadiograph } from '../../dicom/checkRadiograph.js';
import { dicomError } from '../../dicom/dicomError.js';
import { readImagePixelModule } from '../../dicom/imagePixelModule.js';
import { isProbablyDicom } from '../../dicom/isProbablyDicom.js';
import { parseDataSet } from '../../dicom/parseDataSet.js';
import { readMetadata } from '../../dicom/readMetadata.js';
import { transferSyntaxInfo, transferSyntaxName } from '../../dicom/transferSyntax.js';
import { DrfdsError, describeThrown } from '../../errors/DrfdsError.js';
import { sniffRasterFormat } from '../../image/decodeImage.js';
import type { SourceFormat } from '../../queue/JobQueue.js';

export interface InspectedUpload {
  readonly format: SourceFormat;
  /** DICOM only. */
  readonly sopClassUid?: string;
  readonly sopInstanceUid?: string;
}

/** Content types the API accepts for a single image body; anything else is 415. */
export const ACCEPTED_CONTENT_TYPES = ['application/dicom', 'image/jpeg', 'image/png', 'application/octet-stream'] as const;

const EXPECTED_FORMAT: Readonly<Record<string, SourceFormat | undefined>> = {
  'application/dicom': 'dicom',
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'application/octet-stream': undefined,
};

/**
 * The header checks of an upload, done before it is acknowledged, in a few milliseconds (no pixel decoding): a
 * DICOM must parse, use a supported transfer syntax, carry pixel data of a single-frame grayscale projection
 * radiograph and the UIDs the results need; a JPEG/PNG must have a readable header. What only decoding can reveal
 * (corrupt compressed pixel data) fails the job later, with its reason, at GET /api/v1/images/{id}.
 * Throws DrfdsError with a 4xx httpStatus and a reason naming `source`.
 */
export async function inspectUpload(bytes: Uint8Array, source: string, declaredType?: string): Promise<InspectedUpload> {
  if (bytes.length === 0) throw new DrfdsError('upload/empty', `${source}: the body is empty; send the image bytes`, { httpStatus: 400 });
  const declared = declaredType?.split(';')[0]?.trim().toLowerCase();
  if (declared !== undefined && declared !== '' && !(declared in EXPECTED_FORMAT)) {
    throw new DrfdsError('upload/unsupported-media-type', `${source}: content type ${declared} is not accepted; send application/dicom, image/jpeg, image/png (or application/octet-stream, or multipart/form-data with a "file" part)`, { httpStatus: 415 });
  }
  const raster = sniffRasterFormat(bytes);
  const format: SourceFormat | undefined = raster ?? (isProbablyDicom(bytes) ? 'dicom' : undefined);
  if (format === undefined) {
    throw new DrfdsError('upload/not-an-image', `${source}: the bytes are neither DICOM, JPEG nor PNG (unrecognised file signature)`, { httpStatus: 415 });
  }
  const expected = declared === undefined ? undefined : EXPECTED_FORMAT[declared];
  if (expected !== undefined && expected !== format) {
    throw new DrfdsError('upload/content-type-mismatch', `${source}: declared as ${declared} but the bytes are ${format.toUpperCase()}`, { httpStatus: 415 });
  }
  if (format === 'dicom') return inspectDicom(bytes, source);
  try {
    const meta = await sharp(bytes, { failOn: 'error' }).metadata();
    if (!meta.width || !meta.height) throw new Error('no image size in the header');
  } catch (error) {
    throw new DrfdsError('upload/unreadable-image', `${source}: the ${format.toUpperCase()} header cannot be read: ${describeThrown(error)}`, { httpStatus: 422 });
  }
  return { format };
}

function inspectDicom(bytes: Uint8Array, source: string): InspectedUpload {
  const { dataSet, transferSyntaxUid } = parseDataSet(bytes, source);
  if (transferSyntaxInfo(transferSyntaxUid) === undefined) {
    throw dicomError('dicom/unsupported-transfer-syntax', source, `the transfer syntax ${transferSyntaxUid} (${transferSyntaxName(transferSyntaxUid)}) is not supported; send it as Explicit VR Little Endian, JPEG, JPEG-LS, JPEG 2000 or RLE`);
  }
  try {
    const pixel = readImagePixelModule(dataSet, source);
    checkRadiograph(dataSet, pixel, source);
    const metadata = readMetadata(dataSet, pixel, transferSyntaxUid, source);
    if (dataSet.elements.x7fe00010 === undefined) throw dicomError('dicom/missing-attribute', source, 'the file has no Pixel Data (7FE0,0010): it holds no image');
    return { format: 'dicom', sopClassUid: metadata.sopClassUid, sopInstanceUid: metadata.sopInstanceUid };
  } catch (thrown) {
    if (thrown instanceof DrfdsError) throw thrown;
    throw dicomError('dicom/malformed', source, `the DICOM data set is malformed: ${describeThrown(thrown)}`, thrown);
  }
}
