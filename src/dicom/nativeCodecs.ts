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
 * Decodes one compressed frame to native little-endian samples and lends them to `use`: a view of the codec's
 * WebAssembly memory, valid only during the call (it must not escape). dcmjs-codecs' public decode copies every
 * frame out into fresh memory (7.5 MB for a 1760×2140 CR: ~20 ms of page faults here), so the frame is read in place
 * through the library's decoder-context calls (pinned at 0.0.8; the DICOM tests decode every encoding through this
 * path). Throws whatever the codec throws (an Error carrying the codec's message); the caller names the file.
 */
export function withDecodedFrame<T>(encoding: Exclude<PixelEncoding, 'native'>, encoded: Uint8Array, geometry: FrameGeometry, use: (samples: Uint8Array) => T): T {
  if (encoding === 'jpeg-ls') return withDecodedJpegLs(encoded, geometry, use);
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
  const messages: string[] = [];
  captured = messages;
  let handle: number;
  try {
    handle = decodeWith(encoding, context);
  } catch (error) {
    refreshAfterFailure();
    throw error;
  } finally {
    captured = undefined;
  }
  try {
    if (encoding === 'jpeg') {
      const fatal = messages.map((message) => message.replace(/^.*EmitMessage::/, '').trim()).find((message) => FATAL_JPEG_WARNING.test(message));
      if (fatal !== undefined) throw new Error(`libjpeg: ${fatal}`);
    }
    const wasm = codecs.wasmApi;
    return use(new Uint8Array(wasm.wasmMemory.buffer, wasm.wasmGetDecodedBuffer(handle), wasm.wasmGetDecodedBufferSize(handle)));
  } finally {
    codecs.wasmApi.wasmReleaseCodecsContext(handle);
  }
}

/**
 * The parts of dcmjs-codecs 0.0.8's NativeCodecs that decode into a context without copying the result out: what
 * its own decodeJpeg/decodeRle/decodeJpeg2000 do before their last step (_releaseDecoderContext, the copy).
 */
interface CodecsInternals {
  _createDecoderContext(context: InstanceType<typeof Context>): number;
  _createDecoderParameters(parameters: { convertColorspaceToRgb?: boolean }): number;
  _releaseDecoderParameters(parameters: number): void;
  readonly wasmApi: {
    readonly wasmMemory: { readonly buffer: ArrayBuffer };
    wasmDecodeJpeg(context: number, parameters: number): void;
    wasmDecodeRle(context: number, parameters: number): void;
    wasmDecodeJpeg2000(context: number, parameters: number): void;
    wasmDecodeJpegLs(context: number, parameters: number): void;
    wasmGetDecodedBuffer(context: number): number;
    wasmGetDecodedBufferSize(context: number): number;
    wasmReleaseCodecsContext(context: number): void;
  };
}
const codecs = NativeCodecs as unknown as CodecsInternals;

/** Runs the decoder into a fresh codec context and returns the context's handle (the caller releases it). */
function decodeWith(encoding: Exclude<PixelEncoding, 'native'>, context: InstanceType<typeof Context>): number {
  const handle = codecs._createDecoderContext(context);
  // Grayscale only reaches here; never let libjpeg convert a colour space.
  const parameters = codecs._createDecoderParameters({ convertColorspaceToRgb: false });
  // A throwing decoder leaves its context and parameters behind, as in the library's own decode calls: the module
  // is replaced after any failure (refreshAfterFailure).
  switch (encoding) {
    case 'rle':
      codecs.wasmApi.wasmDecodeRle(handle, parameters);
      break;
    case 'jpeg':
      codecs.wasmApi.wasmDecodeJpeg(handle, parameters);
      break;
    case 'jpeg-ls': // normally CharLS through codec-charls (withDecodedJpegLs); kept for completeness
      codecs.wasmApi.wasmDecodeJpegLs(handle, parameters);
      break;
    case 'jpeg-2000':
      codecs.wasmApi.wasmDecodeJpeg2000(handle, parameters);
      break;
  }
  codecs._releaseDecoderParameters(parameters);
  return handle;
}

/** JPEG-LS (ISO 14495-1) with CharLS. Its C++ exceptions arrive as numbers: they become an Error here. */
function withDecodedJpegLs<T>(encoded: Uint8Array, geometry: FrameGeometry, use: (samples: Uint8Array) => T): T {
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
    return use(decoder.getDecodedBuffer()); // a view of the WASM heap, valid until delete()
  } finally {
    decoder.delete();
  }
}
