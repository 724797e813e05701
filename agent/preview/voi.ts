/**
 * Grey-level rendering of one frame to 8 bits, pure: modality LUT (rescale slope/intercept),
 * then a VOI window (linear, PS3.3 C.11.2.1.2) or a VOI LUT, then MONOCHROME1 inversion.
 * CT presets (HU, center/width): brain 40/80, subdural 75/215, bone 600/2800, lung −600/1500.
 * Without a window in the dataset, a robust window from the 1st–99th percentiles is used.
 */
export interface Window {
  name: string;
  center: number;
  width: number;
}

export const CT_PRESETS: readonly Window[] = [
  { name: 'brain', center: 40, width: 80 },
  { name: 'subdural', center: 75, width: 215 },
  { name: 'bone', center: 600, width: 2800 },
  { name: 'lung', center: -600, width: 1500 },
];

export interface VoiLut {
  firstMapped: number;
  bits: number;
  data: Uint16Array;
}

export interface GreyFrame {
  /** Samples as stored (one per pixel). */
  samples: Uint8Array | Uint16Array | Int16Array;
  bitsStored: number;
  signed: boolean;
  slope: number;
  intercept: number;
  monochrome1: boolean;
}

/** Stored samples of a little-endian native frame, sign-extended from bits stored when signed. */
export function storedSamples(frame: Uint8Array, bitsAllocated: number, bitsStored: number, signed: boolean): Uint8Array | Uint16Array | Int16Array {
  if (bitsAllocated === 8) return frame;
  const aligned = frame.byteOffset % 2 === 0 ? frame : frame.slice();
  const words = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length >> 1);
  if (!signed) {
    if (bitsStored >= 16) return words;
    const mask = (1 << bitsStored) - 1;
    const out = new Uint16Array(words.length);
    for (let i = 0; i < words.length; i++) out[i] = words[i]! & mask;
    return out;
  }
  const out = new Int16Array(words.length);
  const shift = 32 - bitsStored;
  for (let i = 0; i < words.length; i++) out[i] = (words[i]! << shift) >> shift;
  return out;
}

/** A window covering the 1st–99th percentile of modality values. */
export function percentileWindow(f: GreyFrame): Window {
  const n = f.samples.length;
  if (n === 0) return { name: 'auto', center: 0, width: 1 };
  const step = Math.max(1, Math.floor(n / 65536));
  const vals: number[] = [];
  for (let i = 0; i < n; i += step) vals.push(f.samples[i]!);
  vals.sort((a, b) => a - b);
  const lo = vals[Math.floor(vals.length * 0.01)]! * f.slope + f.intercept;
  const hi = vals[Math.min(vals.length - 1, Math.floor(vals.length * 0.99))]! * f.slope + f.intercept;
  return { name: 'auto', center: (lo + hi) / 2, width: Math.max(1, hi - lo) };
}

/** 8-bit grey level of one modality value through a linear window (PS3.3 C.11.2.1.2.1). */
function windowed(v: number, w: Window): number {
  const c = w.center - 0.5;
  const width = Math.max(1, w.width - 1);
  if (v <= c - width / 2) return 0;
  if (v > c + width / 2) return 255;
  return ((v - c) / width + 0.5) * 255;
}

/** 8-bit grey pixels of a frame through a linear window (a table over the stored range). */
export function applyWindow(f: GreyFrame, w: Window): Uint8Array {
  const n = f.samples.length;
  const out = new Uint8Array(n);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const s = f.samples[i]!;
    if (s < min) min = s;
    if (s > max) max = s;
  }
  if (n === 0) return out;
  const lut = new Uint8Array(max - min + 1);
  for (let s = min; s <= max; s++) {
    const y = windowed(s * f.slope + f.intercept, w);
    lut[s - min] = f.monochrome1 ? 255 - y : y;
  }
  for (let i = 0; i < n; i++) out[i] = lut[f.samples[i]! - min]!;
  return out;
}

/** 8-bit grey pixels of a frame through a VOI LUT (values outside the LUT clamp to its ends). */
export function applyVoiLut(f: GreyFrame, lut: VoiLut): Uint8Array {
  const out = new Uint8Array(f.samples.length);
  const last = lut.data.length - 1;
  const shift = Math.max(0, lut.bits - 8);
  for (let i = 0; i < out.length; i++) {
    const v = Math.round(f.samples[i]! * f.slope + f.intercept) - lut.firstMapped;
    const y = lut.data[v < 0 ? 0 : v > last ? last : v]! >> shift;
    out[i] = f.monochrome1 ? 255 - y : y;
  }
  return out;
}
