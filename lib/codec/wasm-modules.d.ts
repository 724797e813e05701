/** Types for the emscripten factories of the @cornerstonejs codec packages (they ship none). */
declare module '@cornerstonejs/codec-charls/wasmjs' {
  const factory: (opts?: Record<string, unknown>) => Promise<any>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjph/wasmjs' {
  const factory: (opts?: Record<string, unknown>) => Promise<any>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjpeg/wasmjs' {
  const factory: (opts?: Record<string, unknown>) => Promise<any>;
  export default factory;
}
