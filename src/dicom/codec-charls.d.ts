/** Types for the parts of @cornerstonejs/codec-charls (CharLS 2.x, Emscripten WASM build) the reader uses. */
declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  interface CharlsFrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
  }
  interface JpegLSDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    decode(): void;
    getFrameInfo(): CharlsFrameInfo;
    getDecodedBuffer(): Uint8Array;
    delete(): void;
  }
  interface CharlsModule {
    JpegLSDecoder: new () => JpegLSDecoder;
  }
  const factory: (options?: Record<string, unknown>) => Promise<CharlsModule>;
  export default factory;
}
