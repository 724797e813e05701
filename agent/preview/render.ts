/**
 * Series preview: a few key slices of a series rendered with sharp to small WebP files plus a
 * tiny JSON description (preview.json), written durably into `outDir`.
 * Key slices: `keySlices` evenly spaced through the series ordered by Instance Number (frames of
 * a multi-frame object count as slices). CT: every key slice in each preset of CT_PRESETS.
 * Other monochrome images: their own first Window Center/Width, else their VOI LUT, else a
 * 1st–99th percentile window. RGB: as stored. Compressed input is decoded with lib/codec.
 * Contract: never modifies its inputs; files it cannot render are skipped (listed in `skipped`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type dicomParser from 'dicom-parser';
import { readDicomHeader } from '../../lib/dicom/header.ts';
import { locatePixelData, type LocatedPixelData } from '../../lib/codec/pixel-data.ts';
import type { Codecs } from '../../lib/codec/frame-codecs.ts';
import { decodeFrames } from '../../lib/codec/transcode.ts';
import { ensureDir, fsyncDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { open } from 'node:fs/promises';
import { applyVoiLut, applyWindow, CT_PRESETS, percentileWindow, storedSamples, type GreyFrame, type VoiLut, type Window } from './voi.ts';

export interface PreviewOptions {
  codecs: Codecs;
  /** Number of key slices (default 3). */
  keySlices?: number;
  /** Longest side of each WebP, pixels (default 256). */
  size?: number;
  /** WebP quality (default 70). */
  quality?: number;
}

export interface PreviewImage {
  file: string;
  /** 0-based position in the series ordered by Instance Number (then frame). */
  sliceIndex: number;
  instanceNumber?: number;
  window: Window | { name: 'voi-lut' } | { name: 'rgb' };
  width: number;
  height: number;
  bytes: number;
}

export interface SeriesPreview {
  seriesInstanceUid?: string;
  modality?: string;
  sliceCount: number;
  images: PreviewImage[];
  skipped: number;
  descriptionFile: string;
}

interface Slice {
  path: string;
  frame: number;
  instanceNumber?: number;
}

/** Renders the preview of the series made of `files` into `outDir`. */
export async function renderSeriesPreview(files: readonly string[], outDir: string, opts: PreviewOptions): Promise<SeriesPreview> {
  const k = opts.keySlices ?? 3;
  const size = opts.size ?? 256;
  const quality = opts.quality ?? 70;
  const heads = await Promise.all(
    files.map(async (path) => {
      try {
        return { path, h: await readDicomHeader(path) };
      } catch {
        return null;
      }
    }),
  );
  const readable = heads.filter((x): x is NonNullable<typeof x> => x !== null && x.h.hasPixelData);
  readable.sort((a, b) => (a.h.instanceNumber ?? 0) - (b.h.instanceNumber ?? 0) || (a.path < b.path ? -1 : 1));
  const slices: Slice[] = [];
  for (const { path, h } of readable) {
    for (let f = 0; f < (h.numberOfFrames ?? 1); f++) {
      const s: Slice = { path, frame: f };
      if (h.instanceNumber !== undefined) s.instanceNumber = h.instanceNumber;
      slices.push(s);
    }
  }
  const picks = keyIndexes(slices.length, k);
  await ensureDir(outDir);
  const images: PreviewImage[] = [];
  let skipped = files.length - readable.length;
  const first = readable[0]?.h;
  const isCt = first?.modality === 'CT';
  const cache = new Map<string, Promise<LocatedPixelData>>();
  const located = (path: string) => {
    let p = cache.get(path);
    if (!p) {
      p = readFile(path).then((bytes) => locatePixelData(bytes));
      cache.set(path, p);
    }
    return p;
  };
  // Key slices are read, decoded and encoded concurrently (libvips and fsync run off the JS thread).
  const perSlice = await Promise.all(picks.map((idx) => renderSlice(idx, slices[idx]!)));
  for (const r of perSlice) {
    if (r) images.push(...r);
    else skipped++;
  }

  async function renderSlice(idx: number, slice: Slice): Promise<PreviewImage[] | null> {
    try {
      const loc = await located(slice.path);
      const frame = decodeOneFrame(loc, slice.frame, opts.codecs);
      const { columns: width, rows: height, samplesPerPixel } = loc.image;
      const renders: Array<{ pixels: Uint8Array; channels: 1 | 3; window: PreviewImage['window'] }> = [];
      if (samplesPerPixel === 3 && loc.image.bitsAllocated === 8 && loc.image.photometricInterpretation === 'RGB') {
        renders.push({ pixels: loc.image.planarConfiguration === 1 ? interleave(frame) : frame, channels: 3, window: { name: 'rgb' } });
      } else if (samplesPerPixel === 1) {
        const grey = greyFrame(loc, frame);
        if (isCt) for (const w of CT_PRESETS) renders.push({ pixels: applyWindow(grey, w), channels: 1, window: w });
        else {
          const own = ownWindow(loc.dataSet);
          const lut = own ? undefined : voiLut(loc.dataSet);
          if (own) renders.push({ pixels: applyWindow(grey, own), channels: 1, window: own });
          else if (lut) renders.push({ pixels: applyVoiLut(grey, lut), channels: 1, window: { name: 'voi-lut' } });
          else {
            const w = percentileWindow(grey);
            renders.push({ pixels: applyWindow(grey, w), channels: 1, window: w });
          }
        }
      } else {
        return null;
      }
      return await Promise.all(
        renders.map(async (r) => {
          const webp = await sharp(r.pixels, { raw: { width, height, channels: r.channels } })
            .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true })
            .webp({ quality, effort: 2 })
            .toBuffer({ resolveWithObject: true });
          const file = `slice${String(idx).padStart(4, '0')}-${r.window.name}.webp`;
          await writeSynced(join(outDir, file), webp.data);
          const img: PreviewImage = { file, sliceIndex: idx, window: r.window, width: webp.info.width, height: webp.info.height, bytes: webp.data.length };
          if (slice.instanceNumber !== undefined) img.instanceNumber = slice.instanceNumber;
          return img;
        }),
      );
    } catch {
      return null;
    }
  }
  const description: Omit<SeriesPreview, 'descriptionFile'> = { sliceCount: slices.length, images, skipped };
  if (first?.seriesInstanceUid) description.seriesInstanceUid = first.seriesInstanceUid;
  if (first?.modality) description.modality = first.modality;
  // The images are synced; one directory fsync makes their names durable, then the description
  // (written durably last) commits the preview: a preview.json never names a missing image.
  await fsyncDir(outDir);
  const descriptionFile = join(outDir, 'preview.json');
  await writeFileDurable(descriptionFile, `${JSON.stringify(description, null, 1)}\n`);
  return { ...description, descriptionFile };
}

/** `k` indexes evenly spread over `n` slices, avoiding the first and last. */
export function keyIndexes(n: number, k: number): number[] {
  if (n <= 0) return [];
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>();
  for (let i = 1; i <= k; i++) out.add(Math.min(n - 1, Math.round((i * n) / (k + 1))));
  return [...out];
}

function decodeOneFrame(located: LocatedPixelData, frame: number, codecs: Codecs): Uint8Array {
  const one: LocatedPixelData = { ...located, frames: [located.frames[frame]!] };
  return decodeFrames(one, codecs)[0]!;
}

function greyFrame(located: LocatedPixelData, frame: Uint8Array): GreyFrame {
  const i = located.image;
  const ds = located.dataSet;
  const num = (tag: string, fallback: number) => {
    const v = ds.floatString(tag);
    return v === undefined || Number.isNaN(v) ? fallback : v;
  };
  return {
    samples: storedSamples(frame, i.bitsAllocated, i.bitsStored, i.pixelRepresentation === 1),
    bitsStored: i.bitsStored,
    signed: i.pixelRepresentation === 1,
    slope: num('x00281053', 1) || 1,
    intercept: num('x00281052', 0),
    monochrome1: i.photometricInterpretation === 'MONOCHROME1',
  };
}

function ownWindow(ds: dicomParser.DataSet): Window | undefined {
  const center = ds.floatString('x00281050');
  const width = ds.floatString('x00281051');
  if (center === undefined || width === undefined || Number.isNaN(center) || Number.isNaN(width) || width < 1) return undefined;
  return { name: 'dataset', center, width };
}

function voiLut(ds: dicomParser.DataSet): VoiLut | undefined {
  const item = ds.elements.x00283010?.items?.[0]?.dataSet;
  if (!item) return undefined;
  const desc = item.elements.x00283002;
  const data = item.elements.x00283006;
  if (!desc || !data || desc.length < 6) return undefined;
  const entries = item.uint16('x00283002', 0) || 65536;
  const firstMapped = desc.vr === 'SS' ? (item.int16('x00283002', 1) ?? 0) : (item.uint16('x00283002', 1) ?? 0);
  const bits = item.uint16('x00283002', 2) ?? 16;
  const count = Math.min(entries, data.length >> 1);
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) out[i] = item.uint16('x00283006', i) ?? 0;
  return { firstMapped, bits, data: out };
}

/** Writes and fsyncs a file (its directory entry is synced once for the whole preview). */
async function writeSynced(path: string, data: Uint8Array): Promise<void> {
  const handle = await open(path, 'w', 0o640);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function interleave(planar: Uint8Array): Uint8Array {
  const n = planar.length / 3;
  const out = new Uint8Array(planar.length);
  for (let i = 0; i < n; i++) {
    out[i * 3] = planar[i]!;
    out[i * 3 + 1] = planar[n + i]!;
    out[i * 3 + 2] = planar[2 * n + i]!;
  }
  return out;
}
