/**
 * Native (uncompressed) pixel data to frames, pure: stored values masked to BitsStored (with
 * HighBit honoured), sign-extended when PixelRepresentation is 1, big-endian words swapped,
 * rescale slope/intercept and the dataset's VOI windows carried with each grey frame;
 * RGB (interleaved or planar) and YBR_FULL to interleaved RGB. Anything else (compressed,
 * palette colour, 1-bit) is refused with a message naming what was found.
 * Contract: `decodeFrames` never reads past the pixel data it is given; frames share no memory
 * with the input buffer (the file's bytes can be dropped once decoded).
 */
/** A linear VOI window in modality units. */
export interface Window {
  center: number;
  width: number;
}

export interface PixelModule {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  photometric: string;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  /** 1: two's complement. */
  pixelRepresentation: number;
  planarConfiguration: number;
  numberOfFrames: number;
  slope: number;
  intercept: number;
  windows: Window[];
  /** [between rows, between columns] in mm (PixelSpacing, else ImagerPixelSpacing). */
  pixelSpacing?: [number, number];
  bigEndian: boolean;
}

export interface GreyFrame {
  kind: 'grey';
  width: number;
  height: number;
  samples: Uint8Array | Int8Array | Uint16Array | Int16Array | Int32Array | Uint32Array;
  minStored: number;
  maxStored: number;
  slope: number;
  intercept: number;
  monochrome1: boolean;
  windows: Window[];
}

export interface RgbFrame {
  kind: 'rgb';
  width: number;
  height: number;
  rgb: Uint8Array;
}

export type DecodedFrame = GreyFrame | RgbFrame;

export class UnsupportedImage extends Error {}

/** Bytes per frame of native pixel data. */
export function frameBytes(m: PixelModule): number {
  return (m.rows * m.columns * m.samplesPerPixel * m.bitsAllocated) / 8;
}

/** Stored values of one grey frame: masked to BitsStored below HighBit, sign-extended if signed. */
export function storedValues(bytes: Uint8Array, m: PixelModule): GreyFrame['samples'] {
  const n = m.rows * m.columns;
  const shift = m.highBit + 1 - m.bitsStored;
  const signed = m.pixelRepresentation === 1;
  const bits = m.bitsStored;
  if (m.bitsAllocated === 8) {
    const out = signed ? new Int8Array(n) : new Uint8Array(n);
    const mask = bits >= 8 ? 0xff : (1 << bits) - 1;
    for (let i = 0; i < n; i++) {
      const v = (bytes[i]! >> shift) & mask;
      out[i] = signed ? (v << (32 - bits)) >> (32 - bits) : v;
    }
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = !m.bigEndian;
  if (m.bitsAllocated === 16) {
    const out = signed ? new Int16Array(n) : new Uint16Array(n);
    const mask = bits >= 16 ? 0xffff : (1 << bits) - 1;
    for (let i = 0; i < n; i++) {
      const v = (view.getUint16(i * 2, little) >> shift) & mask;
      out[i] = signed ? (v << (32 - bits)) >> (32 - bits) : v;
    }
    return out;
  }
  if (m.bitsAllocated === 32) {
    const out = signed ? new Int32Array(n) : new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      let v = view.getUint32(i * 4, little) >>> shift;
      if (bits < 32) v = v & (2 ** bits - 1);
      out[i] = signed && bits < 32 && v >= 2 ** (bits - 1) ? v - 2 ** bits : v;
    }
    return out;
  }
  throw new UnsupportedImage(`BitsAllocated ${m.bitsAllocated} is not supported`);
}

function range(s: GreyFrame['samples']): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < s.length; i++) {
    const v = s[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return s.length === 0 ? [0, 0] : [min, max];
}

function toRgb(bytes: Uint8Array, m: PixelModule): Uint8Array {
  if (m.bitsAllocated !== 8) throw new UnsupportedImage(`colour with BitsAllocated ${m.bitsAllocated} is not supported`);
  const n = m.rows * m.columns;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = m.planarConfiguration === 1 ? bytes[c * n + i]! : bytes[i * 3 + c]!;
  }
  if (m.photometric === 'YBR_FULL') {
    const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
    for (let i = 0; i < out.length; i += 3) {
      const y = out[i]!;
      const cb = out[i + 1]! - 128;
      const cr = out[i + 2]! - 128;
      out[i] = clamp(y + 1.402 * cr);
      out[i + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr);
      out[i + 2] = clamp(y + 1.772 * cb);
    }
  }
  return out;
}

/** Every frame of native pixel data (`pixelData`: the value of (7FE0,0010), all frames). */
export function decodeFrames(pixelData: Uint8Array, m: PixelModule): DecodedFrame[] {
  const size = frameBytes(m);
  if (!Number.isInteger(size) || size <= 0) throw new UnsupportedImage(`BitsAllocated ${m.bitsAllocated} is not supported`);
  const grey = m.photometric === 'MONOCHROME1' || m.photometric === 'MONOCHROME2';
  const colour = m.samplesPerPixel === 3 && (m.photometric === 'RGB' || m.photometric === 'YBR_FULL');
  if (!(grey && m.samplesPerPixel === 1) && !colour) throw new UnsupportedImage(`photometric interpretation ${m.photometric} is not supported`);
  const count = Math.max(1, m.numberOfFrames);
  if (pixelData.byteLength < size * count) throw new UnsupportedImage(`pixel data holds ${pixelData.byteLength} bytes, ${size * count} expected`);
  const frames: DecodedFrame[] = [];
  for (let f = 0; f < count; f++) {
    const bytes = pixelData.subarray(f * size, (f + 1) * size);
    if (colour) {
      frames.push({ kind: 'rgb', width: m.columns, height: m.rows, rgb: toRgb(bytes, m) });
      continue;
    }
    const samples = storedValues(bytes, m);
    const [minStored, maxStored] = range(samples);
    frames.push({
      kind: 'grey', width: m.columns, height: m.rows, samples, minStored, maxStored,
      slope: m.slope, intercept: m.intercept, monochrome1: m.photometric === 'MONOCHROME1', windows: m.windows,
    });
  }
  return frames;
}
