/**
 * Per-frame lossless codecs behind one interface, loaded from their wasm builds:
 * JPEG-LS (CharLS, @cornerstonejs/codec-charls), HTJ2K (OpenJPH, @cornerstonejs/codec-openjph),
 * JPEG 2000 (OpenJPEG, @cornerstonejs/codec-openjpeg), JPEG XL and RLE (dcmjs-codecs), plus
 * decoders for the other encapsulated syntaxes (JPEG baseline/extended/lossless via dcmjs-codecs).
 * Contract: `encode` returns one codestream for one native frame (little-endian samples, the
 * dataset's planar configuration); `decode` returns exactly one native frame in the layout the
 * dataset's attributes describe. Neither checks losslessness: callers verify by decoding.
 * wasm files are located next to each package, or in `wasmDir` when given (bundles: WASM_FILES).
 * One `Codecs` per thread; calls are synchronous and must not interleave across await points.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import charlsFactory from '@cornerstonejs/codec-charls/wasmjs';
import openjphFactory from '@cornerstonejs/codec-openjph/wasmjs';
import openjpegFactory from '@cornerstonejs/codec-openjpeg/wasmjs';
import dcmjsCodecs from 'dcmjs-codecs';
import { TS } from '../dicom/transfer-syntax.ts';

/** Codecs Relais can encode with. */
export type CodecId = 'jpeg-ls' | 'htj2k' | 'j2k' | 'jpeg-xl' | 'rle';
export const CODEC_IDS: readonly CodecId[] = ['jpeg-ls', 'htj2k', 'j2k', 'jpeg-xl', 'rle'];

export const CODEC_TRANSFER_SYNTAX: Readonly<Record<CodecId, string>> = {
  'jpeg-ls': TS.jpegLsLossless,
  htj2k: TS.htj2kLossless,
  j2k: TS.j2kLossless,
  'jpeg-xl': TS.jpegXlLossless,
  rle: TS.rle,
};

/** What a frame looks like (from the Image Pixel module). */
export interface FrameFormat {
  width: number;
  height: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  signed: boolean;
  planarConfiguration: number;
  photometricInterpretation: string;
}

export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

/** wasm files a bundle must ship next to itself (pass that folder as `wasmDir`). */
export const WASM_FILES = [
  'node_modules/@cornerstonejs/codec-charls/dist/charlswasm.wasm',
  'node_modules/@cornerstonejs/codec-openjph/dist/openjphjs.wasm',
  'node_modules/@cornerstonejs/codec-openjpeg/dist/openjpegwasm.wasm',
  'node_modules/dcmjs-codecs/build/dcmjs-native-codecs.wasm',
] as const;

export interface Codecs {
  /** Why `id` cannot encode this format losslessly, or null when it can. */
  cannotEncode(id: CodecId, f: FrameFormat): string | null;
  encode(id: CodecId, frame: Uint8Array, f: FrameFormat): Uint8Array;
  canDecode(transferSyntaxUid: string): boolean;
  decode(transferSyntaxUid: string, encoded: Uint8Array, f: FrameFormat): Uint8Array;
}

export interface LoadCodecsOptions {
  /** Folder holding the four WASM_FILES (bundled agent); default: inside each package. */
  wasmDir?: string;
}

/** Loads and initialises every codec (≈100 ms); call once per thread. */
export async function loadCodecs(opts: LoadCodecsOptions = {}): Promise<Codecs> {
  const locate = (pkgWasm: string) => (file: string) =>
    opts.wasmDir ? join(opts.wasmDir, file) : join(fileURLToPath(new URL('.', import.meta.resolve(pkgWasm))), file);
  const quiet = { print: () => {}, printErr: () => {} };
  const [charls, openjph, openjpeg] = await Promise.all([
    charlsFactory({ ...quiet, locateFile: locate('@cornerstonejs/codec-charls/wasm') }),
    openjphFactory({ ...quiet, locateFile: locate('@cornerstonejs/codec-openjph/wasm') }),
    openjpegFactory({ ...quiet, locateFile: locate('@cornerstonejs/codec-openjpeg/wasm') }),
  ]);
  const { NativeCodecs, Context, log } = dcmjsCodecs;
  log.setLevel('silent');
  if (!NativeCodecs.isInitialized()) {
    const wasm = opts.wasmDir
      ? join(opts.wasmDir, 'dcmjs-native-codecs.wasm')
      : join(fileURLToPath(new URL('.', import.meta.resolve('dcmjs-codecs'))), 'dcmjs-native-codecs.wasm');
    await NativeCodecs.initializeAsync({ webAssemblyModulePathOrUrl: wasm });
  }
  return new WasmCodecs(charls, openjph, openjpeg, NativeCodecs, Context);
}

/** Bits the codec must carry: bitsStored when every sample fits in it, else bitsAllocated. */
export function codingPrecision(frame: Uint8Array, f: FrameFormat): number {
  if (f.bitsStored >= f.bitsAllocated) return f.bitsAllocated;
  if (f.bitsAllocated === 8) {
    const limit = 1 << f.bitsStored;
    for (let i = 0; i < frame.length; i++) if (frame[i]! >= limit) return 8;
    return f.bitsStored;
  }
  const words = new Uint16Array(frame.buffer, frame.byteOffset, frame.length >> 1);
  const limit = 1 << f.bitsStored;
  for (let i = 0; i < words.length; i++) if (words[i]! >= limit) return f.bitsAllocated;
  return f.bitsStored;
}

/** A Uint8Array copy of a typed view into wasm memory (views die with the coder). */
function copyOut(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
}

function frameBytes(f: FrameFormat): number {
  return f.width * f.height * f.samplesPerPixel * (f.bitsAllocated / 8);
}

/** Interleaved (RGBRGB…) ↔ planar (RR…GG…BB…) for 8-bit samples. */
function toPlanar(src: Uint8Array, samples: number): Uint8Array {
  const n = src.length / samples;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < n; i++) for (let s = 0; s < samples; s++) out[s * n + i] = src[i * samples + s]!;
  return out;
}
function toInterleaved(src: Uint8Array, samples: number): Uint8Array {
  const n = src.length / samples;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < n; i++) for (let s = 0; s < samples; s++) out[i * samples + s] = src[s * n + i]!;
  return out;
}

/** Widens 8-bit decoded samples into 16-bit words when the dataset allocates 16 bits. */
function widen(decoded: Uint8Array, f: FrameFormat): Uint8Array {
  const expected = frameBytes(f);
  if (decoded.length === expected) return decoded;
  if (f.bitsAllocated === 16 && decoded.length * 2 === expected) {
    const out = new Uint16Array(decoded.length);
    for (let i = 0; i < decoded.length; i++) out[i] = decoded[i]!;
    return new Uint8Array(out.buffer);
  }
  throw new CodecError(`decoded frame has ${decoded.length} bytes, ${expected} expected`);
}

class WasmCodecs implements Codecs {
  constructor(
    private readonly charls: any,
    private readonly openjph: any,
    private readonly openjpeg: any,
    private readonly native: any,
    private readonly Context: any,
  ) {}

  cannotEncode(id: CodecId, f: FrameFormat): string | null {
    if (f.bitsAllocated !== 8 && f.bitsAllocated !== 16) return `bits allocated ${f.bitsAllocated}`;
    if (f.bitsStored < 2 || f.bitsStored > f.bitsAllocated) return `bits stored ${f.bitsStored}`;
    const mono = f.samplesPerPixel === 1 && (f.photometricInterpretation === 'MONOCHROME1' || f.photometricInterpretation === 'MONOCHROME2');
    const rgb = f.samplesPerPixel === 3 && f.photometricInterpretation === 'RGB' && f.bitsAllocated === 8 && f.planarConfiguration === 0;
    if (!mono && !rgb) return `photometric ${f.photometricInterpretation} with ${f.samplesPerPixel} samples (planar ${f.planarConfiguration})`;
    if (id === 'rle' && !mono) return 'RLE is used for monochrome only';
    return null;
  }

  encode(id: CodecId, frame: Uint8Array, f: FrameFormat): Uint8Array {
    const why = this.cannotEncode(id, f);
    if (why) throw new CodecError(`${id} cannot encode: ${why}`);
    if (frame.length !== frameBytes(f)) throw new CodecError(`frame has ${frame.length} bytes, ${frameBytes(f)} expected`);
    switch (id) {
      case 'jpeg-ls':
        return this.encodeCharls(frame, f);
      case 'htj2k':
        return this.encodeJ2k(this.openjph.HTJ2KEncoder, frame, f);
      case 'j2k':
        return this.encodeJ2k(this.openjpeg.J2KEncoder, frame, f);
      case 'jpeg-xl':
        return this.nativeEncode('encodeJpegXl', frame, f);
      case 'rle':
        return this.nativeEncode('encodeRle', frame, f);
    }
  }

  canDecode(ts: string): boolean {
    return DECODERS.has(ts);
  }

  decode(ts: string, encoded: Uint8Array, f: FrameFormat): Uint8Array {
    const kind = DECODERS.get(ts);
    if (!kind) throw new CodecError(`no decoder for transfer syntax ${ts}`);
    let out: Uint8Array;
    switch (kind) {
      case 'charls':
        out = this.decodeCharls(encoded, f);
        break;
      case 'openjph':
        out = this.decodeJ2k(this.openjph.HTJ2KDecoder, encoded);
        break;
      case 'openjpeg':
        out = this.decodeJ2k(this.openjpeg.J2KDecoder, encoded);
        break;
      default:
        out = this.nativeDecode(kind, encoded, f);
    }
    out = widen(out, f);
    if (f.samplesPerPixel > 1 && f.planarConfiguration === 1 && kind !== 'decodeRle') out = toPlanar(out, f.samplesPerPixel);
    return out;
  }

  private encodeCharls(frame: Uint8Array, f: FrameFormat): Uint8Array {
    const enc = new this.charls.JpegLSEncoder();
    try {
      const bitsPerSample = codingPrecision(frame, f);
      enc.getDecodedBuffer({ width: f.width, height: f.height, bitsPerSample, componentCount: f.samplesPerPixel }).set(frame);
      if (f.samplesPerPixel > 1) enc.setInterleaveMode(2); // sample-interleaved, as stored (planar configuration 0)
      enc.encode();
      return copyOut(enc.getEncodedBuffer());
    } finally {
      enc.delete();
    }
  }

  private decodeCharls(encoded: Uint8Array, f: FrameFormat): Uint8Array {
    const dec = new this.charls.JpegLSDecoder();
    try {
      dec.getEncodedBuffer(encoded.length).set(encoded);
      dec.decode();
      const out = copyOut(dec.getDecodedBuffer());
      // CharLS returns component-planar data for interleave mode 0 (none).
      if (f.samplesPerPixel > 1 && dec.getInterleaveMode() === 0) return toInterleaved(out, f.samplesPerPixel);
      return out;
    } finally {
      dec.delete();
    }
  }

  private encodeJ2k(Encoder: any, frame: Uint8Array, f: FrameFormat): Uint8Array {
    const enc = new Encoder();
    try {
      const bitsPerSample = codingPrecision(frame, f);
      // Signed samples are coded as signed only when they use every allocated bit (sign-extended
      // values of fewer bits would not fit); otherwise the stored bit pattern is coded unsigned.
      const isSigned = f.signed && bitsPerSample === f.bitsAllocated && f.bitsAllocated === f.bitsStored;
      enc.getDecodedBuffer({ width: f.width, height: f.height, bitsPerSample, componentCount: f.samplesPerPixel, isSigned, isUsingColorTransform: false }).set(frame);
      enc.setQuality(true, 0);
      enc.encode();
      return copyOut(enc.getEncodedBuffer());
    } finally {
      enc.delete();
    }
  }

  private decodeJ2k(Decoder: any, encoded: Uint8Array): Uint8Array {
    const dec = new Decoder();
    try {
      dec.getEncodedBuffer(encoded.length).set(encoded);
      dec.decode();
      return copyOut(dec.getDecodedBuffer());
    } finally {
      dec.delete();
    }
  }

  private context(f: FrameFormat, buffers: { decodedBuffer?: Uint8Array; encodedBuffer?: Uint8Array }): unknown {
    return new this.Context({
      width: f.width,
      height: f.height,
      bitsAllocated: f.bitsAllocated,
      bitsStored: f.bitsStored,
      samplesPerPixel: f.samplesPerPixel,
      pixelRepresentation: f.signed ? 1 : 0,
      planarConfiguration: f.planarConfiguration,
      photometricInterpretation: f.photometricInterpretation,
      ...buffers,
    });
  }

  private nativeEncode(fn: 'encodeJpegXl' | 'encodeRle', frame: Uint8Array, f: FrameFormat): Uint8Array {
    // Use the returned Context: the one passed in is not updated (libraries.md §2).
    const out = this.native[fn](this.context(f, { decodedBuffer: frame }), { lossy: false });
    const bytes: Uint8Array | undefined = out.getEncodedBuffer();
    if (!bytes || bytes.length === 0) throw new CodecError(`${fn} produced nothing`);
    return copyOut(bytes);
  }

  private nativeDecode(fn: string, encoded: Uint8Array, f: FrameFormat): Uint8Array {
    const out = this.native[fn](this.context(f, { encodedBuffer: encoded }), {});
    const bytes: Uint8Array | undefined = out.getDecodedBuffer();
    if (!bytes || bytes.length === 0) throw new CodecError(`${fn} produced nothing`);
    return copyOut(bytes);
  }
}

/** Which decoder reads which encapsulated transfer syntax. */
const DECODERS: ReadonlyMap<string, string> = new Map([
  ['1.2.840.10008.1.2.4.80', 'charls'],
  ['1.2.840.10008.1.2.4.81', 'charls'],
  ['1.2.840.10008.1.2.4.201', 'openjph'],
  ['1.2.840.10008.1.2.4.202', 'openjph'],
  ['1.2.840.10008.1.2.4.203', 'openjph'],
  ['1.2.840.10008.1.2.4.90', 'openjpeg'],
  ['1.2.840.10008.1.2.4.91', 'openjpeg'],
  ['1.2.840.10008.1.2.4.110', 'decodeJpegXl'],
  ['1.2.840.10008.1.2.4.111', 'decodeJpegXl'],
  ['1.2.840.10008.1.2.4.112', 'decodeJpegXl'],
  ['1.2.840.10008.1.2.5', 'decodeRle'],
  ['1.2.840.10008.1.2.4.50', 'decodeJpeg'],
  ['1.2.840.10008.1.2.4.51', 'decodeJpeg'],
  ['1.2.840.10008.1.2.4.57', 'decodeJpeg'],
  ['1.2.840.10008.1.2.4.70', 'decodeJpeg'],
]);
