/**
 * `npm run bench -- compress [--reps N] [--codecs a,b] [--series name,…]`
 * One JSON line per (series, codec): ratio (raw pixel bytes / codestream bytes), fileRatio (whole
 * files before / after), encodeMBps and decodeMBps of raw pixel bytes on one core (median of
 * `reps` passes over the series), every frame verified bit-exact. Anchors in the same run:
 * gzip and zstd of the same whole files. Then the preview time per series, and what the policy
 * chooses for the named link profiles from these very measurements.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { SHARED_CT, SHARED_MR, SHARED_DICOM, SHARED_SYNTAXES, listFiles } from '../data.ts';
import { loadCodecs, CODEC_IDS, CODEC_TRANSFER_SYNTAX, type CodecId, type Codecs } from '../../lib/codec/frame-codecs.ts';
import { frameFormat, decodeFrames, transcodeCandidate } from '../../lib/codec/transcode.ts';
import type { LocatedPixelData } from '../../lib/codec/pixel-data.ts';
import { chooseCodec, LINK_PROFILES_BPS, type CodecMeasurement } from '../../agent/compress/policy.ts';
import { renderSeriesPreview } from '../../agent/preview/render.ts';
import { compressInstanceWith } from '../../agent/compress/compress-instance.ts';

interface Series {
  name: string;
  files: string[];
  contentClass: string;
  /** The series whose figures stand for its content class in the policy lines. */
  reference?: boolean;
}

const SERIES: Series[] = [
  { name: 'ct-philips-ingenuity-phantom', files: listFiles(SHARED_CT), contentClass: 'CT', reference: true },
  { name: 'mr-siemens-prisma-t1-sag', files: listFiles(SHARED_MR), contentClass: 'MR', reference: true },
  { name: 'cr-fuji-wg04-rg3', files: listFiles(join(SHARED_DICOM, 'cr-fuji-wg04-rg3')), contentClass: 'CR', reference: true },
  { name: 'wg04-ct1-ge', files: [join(SHARED_SYNTAXES, 'wg04-ct1-ge', 'CT1_UNC.dcm')], contentClass: 'CT' },
  { name: 'enhanced-ct-2-frames', files: [join(SHARED_SYNTAXES, 'pydicom-data', 'eCT_Supplemental.dcm')], contentClass: 'CT' },
  { name: 'mr-trio-384', files: [join(SHARED_SYNTAXES, 'siemens-trio-mr-one-image-9-syntaxes', '1.dcm')], contentClass: 'MR' },
  { name: 'us-rgb', files: [join(SHARED_SYNTAXES, 'pydicom-data', 'US1_UNCR.dcm')], contentClass: 'color', reference: true },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const emit = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench: 'compress', ...o })}\n`);

export async function main(args: string[]): Promise<void> {
  const reps = Number(arg(args, 'reps') ?? 3);
  const codecIds = (arg(args, 'codecs')?.split(',') as CodecId[] | undefined) ?? [...CODEC_IDS];
  const only = arg(args, 'series')?.split(',');
  const codecs = await loadCodecs();
  // The package's index.js drops the level argument: call its napi bindings directly.
  const zstd = createRequire(import.meta.url)('@mongodb-js/zstd/bindings.js') as {
    compress(data: Buffer, level?: number): Promise<Buffer>;
    decompress(data: Buffer): Promise<Buffer>;
  };
  const zstdCompress = (b: Buffer, level: number) => zstd.compress(b, level);
  const zstdDecompress = (b: Buffer) => zstd.decompress(b);
  const measured: Record<string, CodecMeasurement[]> = {};
  const pipelines: Record<string, { fileRatio: number; fileMBps: number }> = {};
  const previews: Record<string, number> = {};

  for (const series of SERIES.filter((s) => !only || only.includes(s.name))) {
    const bytes = series.files.map((f) => readFileSync(f));
    const located = bytes.map((b) => {
      const c = transcodeCandidate(b, codecs);
      if (!c.ok) throw new Error(`${series.name}: not a transcode candidate (${c.reason})`);
      return c.located;
    });
    const frames = located.map((l) => decodeFrames(l, codecs));
    const rawPixel = frames.flat().reduce((n, f) => n + f.length, 0);
    const fileBytes = bytes.reduce((n, b) => n + b.length, 0);
    const base = { series: series.name, files: bytes.length, frames: frames.flat().length, rawPixelMB: round(rawPixel / 1e6, 3) };

    for (const id of codecIds) {
      if (located.some((l) => codecs.cannotEncode(id, frameFormat(l)))) continue;
      const r = measureCodec(id, located, frames, codecs, reps);
      const ratio = rawPixel / r.encodedBytes;
      const fileRatio = fileBytes / (fileBytes - rawPixel + r.encodedBytes + 16 * base.frames);
      emit({ ...base, codec: id, ratio: round(ratio), fileRatio: round(fileRatio), encodeMBps: round(rawPixel / 1e6 / r.encodeS, 1), decodeMBps: round(rawPixel / 1e6 / r.decodeS, 1), verified: r.verified });
      if (series.reference) (measured[series.contentClass] ??= []).push({ codec: id, ratio: round(ratio), encodeMBps: round(rawPixel / 1e6 / r.encodeS, 1), decodeMBps: round(rawPixel / 1e6 / r.decodeS, 1) });
    }
    // Anchors: general-purpose compressors on the same whole files.
    const generic: Array<[string, (b: Buffer) => Promise<Buffer>, (b: Buffer) => Promise<Buffer>]> = [
      ['gzip-6', async (b) => gzipSync(b, { level: 6 }), async (b) => gunzipSync(b)],
      ['gzip-1', async (b) => gzipSync(b, { level: 1 }), async (b) => gunzipSync(b)],
      ['zstd-3', (b) => zstdCompress(b, 3), (b) => zstdDecompress(b)],
      ['zstd-9', (b) => zstdCompress(b, 9), (b) => zstdDecompress(b)],
    ];
    for (const [name, enc, dec] of generic) {
      const encTimes: number[] = [];
      const decTimes: number[] = [];
      let out: Buffer[] = [];
      const passes = reps;
      for (let r = 0; r < passes; r++) {
        let t = performance.now();
        out = [];
        for (const b of bytes) out.push(await enc(b));
        encTimes.push((performance.now() - t) / 1000);
        t = performance.now();
        for (const o of out) await dec(o);
        decTimes.push((performance.now() - t) / 1000);
      }
      const packed = out.reduce((n, b) => n + b.length, 0);
      emit({ ...base, codec: name, ratio: round(fileBytes / packed), fileRatio: round(fileBytes / packed), encodeMBps: round(fileBytes / 1e6 / median(encTimes), 1), decodeMBps: round(fileBytes / 1e6 / median(decTimes), 1), anchor: true, note: 'whole file bytes' });
    }
    if (series.reference) {
      // The agent's whole path (policy on rural-4g, encode, verify by decoding, durable write).
      const dir = mkdtempSync(join(tmpdir(), 'relais-bench-pipeline-'));
      try {
        const t = performance.now();
        let after = 0;
        let codec = '';
        for (const [i, f] of series.files.entries()) {
          const r = await compressInstanceWith(codecs, f, dir, { outputName: `${i}.dcm` });
          after += r.compressedBytes;
          codec = r.codec ?? r.outcome;
        }
        const s = (performance.now() - t) / 1000;
        const row = { series: series.name, codec: `pipeline:${codec}`, kind: 'pipeline', fileRatio: round(fileBytes / after), fileMBps: round(fileBytes / 1e6 / s, 1), note: 'policy at rural-4g + encode + verify + fsync, one core' };
        emit(row);
        pipelines[series.contentClass] = row;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    if (series.files.length >= 1) {
      const dir = mkdtempSync(join(tmpdir(), 'relais-bench-preview-'));
      try {
        await renderSeriesPreview(series.files, dir, { codecs }); // warm-up (sharp/libvips init)
        const times: number[] = [];
        let images = 0;
        let previewBytes = 0;
        for (let r = 0; r < Math.max(3, reps); r++) {
          const t = performance.now();
          const p = await renderSeriesPreview(series.files, dir, { codecs });
          times.push(performance.now() - t);
          images = p.images.length;
          previewBytes = p.images.reduce((n, i) => n + i.bytes, 0);
        }
        emit({ series: series.name, codec: 'preview-webp', previewMs: round(median(times), 1), images, previewKB: round(previewBytes / 1024, 1), targetMs: 200 });
        if (series.reference) previews[series.contentClass] = median(times);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  // The targets on the CT, from this run.
  const ct = measured.CT;
  if (ct) {
    const link = LINK_PROFILES_BPS['rural-4g']!;
    const choice = chooseCodec({ contentClass: 'CT', linkRateBps: link, measurements: { CT: ct } });
    const chosen = ct.find((m) => m.codec === choice.codec)!;
    const eligible = ct.filter((m) => m.encodeMBps >= (10 * link) / 8e6);
    emit({
      kind: 'targets',
      series: 'ct-philips-ingenuity-phantom',
      codec: chosen.codec,
      ratio: chosen.ratio,
      bestEligibleRatio: Math.max(...eligible.map((m) => m.ratio)),
      bestMeasuredRatio: Math.max(...ct.map((m) => m.ratio)),
      ratioOk: chosen.ratio >= 2.2 && chosen.ratio >= Math.max(...eligible.map((m) => m.ratio)) * 0.97,
      encodeMBps: chosen.encodeMBps,
      encodeTargetMBps: (10 * link) / 8e6,
      encodeOk: chosen.encodeMBps >= (10 * link) / 8e6,
      pipelineFileMBps: pipelines.CT?.fileMBps,
      previewMs: previews.CT !== undefined ? round(previews.CT, 1) : undefined,
      previewOk: previews.CT !== undefined && previews.CT <= 200,
    });
  }
  // What the policy picks from these measurements, per link profile.
  for (const [profile, bps] of Object.entries(LINK_PROFILES_BPS)) {
    for (const [contentClass, list] of Object.entries(measured)) {
      const choice = chooseCodec({ contentClass, linkRateBps: bps, measurements: { [contentClass]: list } });
      emit({ kind: 'policy', profile, linkMbps: bps / 1e6, contentClass, codec: choice.codec, reason: choice.reason });
    }
  }
}

function measureCodec(id: CodecId, located: LocatedPixelData[], frames: Uint8Array[][], codecs: Codecs, reps: number) {
  const encTimes: number[] = [];
  const decTimes: number[] = [];
  let encoded: Uint8Array[][] = [];
  let verified = true;
  // Warm-up (JIT, wasm memory growth) on the first file, untimed.
  frames[0]!.forEach((fr) => codecs.decode(CODEC_TRANSFER_SYNTAX[id], codecs.encode(id, fr, frameFormat(located[0]!)), frameFormat(located[0]!)));
  for (let r = 0; r < reps; r++) {
    let t = performance.now();
    encoded = located.map((l, i) => frames[i]!.map((fr) => codecs.encode(id, fr, frameFormat(l))));
    encTimes.push((performance.now() - t) / 1000);
    const ts = CODEC_TRANSFER_SYNTAX[id];
    t = performance.now();
    const decoded = located.map((l, i) => encoded[i]!.map((e) => codecs.decode(ts, e, frameFormat(l))));
    decTimes.push((performance.now() - t) / 1000);
    if (r === 0) {
      decoded.forEach((fs, i) => fs.forEach((d, j) => {
        if (!Buffer.from(d).equals(frames[i]![j]!)) verified = false;
      }));
    }
  }
  return { encodeS: median(encTimes), decodeS: median(decTimes), encodedBytes: encoded.flat().reduce((n, e) => n + e.length, 0), verified };
}
