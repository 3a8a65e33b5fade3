/**
 * The image codecs: dcmjs-codecs 0.0.8, one WebAssembly module with IJG libjpeg 8/12/16-bit (the JPEG code DCMTK
 * uses), OpenJPEG 2.5.0 (JPEG 2000) and an RLE decoder; JPEG-LS through @cornerstonejs/codec-charls 1.2.7 (CharLS,
 * the same output as dcmjs-codecs' CharLS build, measured 1.8× faster). Both are instantiated once, when this file
 * is first imported (top-level await, ≈ 200 ms), so that decoding can stay synchronous.
 */
import charlsFactory from '@cornerstonejs/codec-charls/decodewasmjs';
import dcmjsCodecs from 'dcmjs-codecs';
import type { PixelEncoding } from './transferSyntax.js';

const { NativeCodecs, Context, log } = dcmjsCodecs;

/**
 * The codecs report through `log.info` when `logCodecsInfo` is on; libjpeg's warnings arrive there too
 * ("Corrupt JPEG data: premature end of data segment"). libjpeg treats a truncated or damaged stream as a
 * warning and fills the missing part of the image, so these messages are captured during each decode.
 */
const INIT_OPTIONS = { logCodecsInfo: true, logCodecsTrace: false };
let captured: string[] | undefined;
log.info = (...parts: unknown[]): void => {
  captured?.push(parts.map(String).join(' '));
};

if (!NativeCodecs.isInitialized()) await NativeCodecs.initializeAsync(INIT_OPTIONS);
const charls = await charlsFactory();

/**
 * libjpeg warnings (IJG jerror.h) after which part of the image is invented: JWRN_JPEG_EOF, JWRN_HIT_MARKER,
 * JWRN_HUFF_BAD_CODE, JWRN_ARITH_BAD_CODE, JWRN_MUST_RESYNC, JWRN_BOGUS_PROGRESSION. Not among them: "extraneous
 * bytes before marker" and "Invalid SOS parameters for sequential JPEG", which valid files from some encoders
 * (RG2_JPLY among them) raise without losing pixels.
 */
const FATAL_JPEG_WARNING = /Premature end of JPEG file|premature end of data segment|bad Huffman code|bad arithmetic code|instead of RST|Inconsistent progression/i;

let refreshing: Promise<void> | undefined;

/**
 * A codec failure throws (or traps) out of the middle of WebAssembly code: the module's own cleanup never runs,
 * so its heap keeps the frame's buffers and its stack pointer may stay moved. After any failure a fresh instance
 * is made in the background (initializeAsync swaps it in only when ready, so decoding goes on meanwhile).
 */
function refreshAfterFailure(): void {
  if (refreshing !== undefined) return;
  refreshing = NativeCodecs.initializeAsync(INIT_OPTIONS)
    .catch(() => undefined) // keep the old instance: it still decodes valid streams
    .finally(() => {
      refreshing = undefined;
    });
}

/** Resolves once a refresh started by a failed decode has completed (readRadiographFile awaits it). */
export async function codecsSettled(): Promise<void> {
  await refreshing;
}

export interface FrameGeometry {
  readonly columns: number;
  readonly rows: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly samplesPerPixel: number;
  readonly pixelRepresentation: number;
  readonly planarConfiguration: number;
  readonly photometricInterpretation: string;
}

/**
 * Decodes one compressed frame to native little-endian samples. Throws whatever the codec throws (an Error
 * carrying the codec's message); the caller turns that into a DrfdsError naming the file.
 */
export function decodeCompressedFrame(encoding: Exclude<PixelEncoding, 'native'>, encoded: Uint8Array, geometry: FrameGeometry): Uint8Array {
  if (encoding === 'jpeg-ls') return decodeJpegLs(encoded, geometry);
  const context = new Context({
    width: geometry.columns,
    height: geometry.rows,
    bitsAllocated: geometry.bitsAllocated,
    bitsStored: geometry.bitsStored,
    samplesPerPixel: geometry.samplesPerPixel,
    pixelRepresentation: geometry.pixelRepresentation,
    planarConfiguration: geometry.planarConfiguration,
    photometricInterpretation: geometry.photometricInterpretation,
    encodedBuffer: encoded,
  });
  let decoded: InstanceType<typeof Context>;
  const messages: string[] = [];
  captured = messages;
  try {
    decoded = decodeWith(encoding, context);
  } catch (error) {
    refreshAfterFailure();
    throw error;
  } finally {
    captured = undefined;
  }
  if (encoding === 'jpeg') {
    const fatal = messages.map((message) => message.replace(/^.*EmitMessage::/, '').trim()).find((message) => FATAL_JPEG_WARNING.test(message));
    if (fatal !== undefined) throw new Error(`libjpeg: ${fatal}`);
  }
  const buffer = decoded.getDecodedBuffer();
  if (buffer === undefined) throw new Error('the codec returned no pixels');
  return buffer;
}

function decodeWith(encoding: Exclude<PixelEncoding, 'native'>, context: InstanceType<typeof Context>): InstanceType<typeof Context> {
  let decoded: InstanceType<typeof Context>;
  switch (encoding) {
    case 'rle':
      decoded = NativeCodecs.decodeRle(context);
      break;
    case 'jpeg':
      // Grayscale only reaches here; never let libjpeg convert a colour space.
      decoded = NativeCodecs.decodeJpeg(context, { convertColorspaceToRgb: false });
      break;
    case 'jpeg-ls': // normally CharLS through codec-charls (decodeJpegLs); kept for completeness
      decoded = NativeCodecs.decodeJpegLs(context);
      break;
    case 'jpeg-2000':
      decoded = NativeCodecs.decodeJpeg2000(context);
      break;
  }
  return decoded;
}

/** JPEG-LS (ISO 14495-1) with CharLS. Its C++ exceptions arrive as numbers: they become an Error here. */
function decodeJpegLs(encoded: Uint8Array, geometry: FrameGeometry): Uint8Array {
  const decoder = new charls.JpegLSDecoder();
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    try {
      decoder.decode();
    } catch (thrown) {
      throw new Error(`CharLS rejected the JPEG-LS stream${typeof thrown === 'number' ? '' : ` (${String(thrown)})`}`);
    }
    const frame = decoder.getFrameInfo();
    if (frame.width !== geometry.columns || frame.height !== geometry.rows || frame.componentCount !== geometry.samplesPerPixel) {
      throw new Error(
        `the JPEG-LS stream holds a ${frame.width}×${frame.height} image with ${frame.componentCount} component(s), the header says ${geometry.columns}×${geometry.rows} with ${geometry.samplesPerPixel}`,
      );
    }
    return decoder.getDecodedBuffer().slice(); // copy out of the WASM heap
  } finally {
    decoder.delete();
  }
}
