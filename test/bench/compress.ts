/**
 * `npm run bench -- compress [--reps N] [--codecs a,b] [--series name,…]`
 * One JSON line per (series, codec): ratio (raw pixel bytes / codestream bytes), fileRatio (whole
 * files before / after), encodeMBps and decodeMBps of raw pixel bytes per CPU-second of one core
 * (median of `reps` passes; CPU time, so that a busy shared machine does not halve the figure;
 * the wall-clock figures are printed beside them as *Wall), every frame verified bit-exact. Anchors in the same run:
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
import { chooseCodec, LINK_PROFILES_BPS, verifiedThroughput, type CodecMeasurement } from '../../agent/compress/policy.ts';
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
      const r = await measureCodec(id, located, frames, codecs, reps);
      const ratio = rawPixel / r.encodedBytes;
      const fileRatio = fileBytes / (fileBytes - rawPixel + r.encodedBytes + 16 * base.frames);
      const mbps = (s: number) => round(rawPixel / 1e6 / s, 1);
      emit({ ...base, codec: id, ratio: round(ratio), fileRatio: round(fileRatio), encodeMBps: mbps(r.encodeCpuS), decodeMBps: mbps(r.decodeCpuS), encodeMBpsWall: mbps(r.encodeS), decodeMBpsWall: mbps(r.decodeS), verified: r.verified });
      if (series.reference) (measured[series.contentClass] ??= []).push({ codec: id, ratio: round(ratio), encodeMBps: mbps(r.encodeCpuS), decodeMBps: mbps(r.decodeCpuS) });
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
      const encCpu: number[] = [];
      const decCpu: number[] = [];
      let out: Buffer[] = [];
      for (let r = 0; r < reps; r++) {
        const e = await timed(async () => {
          const o: Buffer[] = [];
          for (const b of bytes) o.push(await enc(b));
          return o;
        });
        out = e.value;
        encTimes.push(e.wall);
        encCpu.push(e.cpu);
        const d = await timed(async () => {
          for (const o of out) await dec(o);
        });
        decTimes.push(d.wall);
        decCpu.push(d.cpu);
      }
      const packed = out.reduce((n, b) => n + b.length, 0);
      const mbps = (s: number) => round(fileBytes / 1e6 / s, 1);
      emit({ ...base, codec: name, ratio: round(fileBytes / packed), fileRatio: round(fileBytes / packed), encodeMBps: mbps(median(encCpu)), decodeMBps: mbps(median(decCpu)), encodeMBpsWall: mbps(median(encTimes)), decodeMBpsWall: mbps(median(decTimes)), anchor: true, note: 'whole file bytes' });
    }
    if (series.reference) {
      // The agent's whole path (policy on rural-4g, encode, verify by decoding, durable write).
      const dir = mkdtempSync(join(tmpdir(), 'relais-bench-pipeline-'));
      try {
        let after = 0;
        let codec = '';
        const outputs: string[] = [];
        const t = await timed(async () => {
          for (const [i, f] of series.files.entries()) {
            const r = await compressInstanceWith(codecs, f, dir, { outputName: `${i}.dcm` });
            after += r.compressedBytes;
            codec = r.codec ?? r.outcome;
            outputs.push(r.path);
          }
        });
        // Headers (e.g. Siemens CSA private tags) stay raw in the spliced file: zstd on the wire
        // packs them; the image codec packs the pixels.
        let withZstd = 0;
        for (const o of outputs) withZstd += (await zstdCompress(readFileSync(o), 3)).length;
        const row = { series: series.name, codec: `pipeline:${codec}`, kind: 'pipeline', fileRatio: round(fileBytes / after), fileRatioThenZstd3: round(fileBytes / withZstd), fileMBps: round(fileBytes / 1e6 / t.cpu, 1), fileMBpsWall: round(fileBytes / 1e6 / t.wall, 1), note: 'policy at rural-4g + read + encode + verify (decode, compare) + durable write, one worker' };
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
        const cpu: number[] = [];
        let images = 0;
        let previewBytes = 0;
        for (let r = 0; r < Math.max(5, reps); r++) {
          const t = await timed(() => renderSeriesPreview(series.files, dir, { codecs }));
          times.push(t.wall * 1000);
          cpu.push(t.cpu * 1000);
          images = t.value.images.length;
          previewBytes = t.value.images.reduce((n, i) => n + i.bytes, 0);
        }
        // Wall clock (a latency), with the CPU it took across threads (libvips encodes off-thread).
        emit({ series: series.name, codec: 'preview-webp', previewMs: round(median(times), 1), previewCpuMs: round(median(cpu), 1), images, previewKB: round(previewBytes / 1024, 1), targetMs: 200 });
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
    const eligible = ct.filter((m) => verifiedThroughput(m) >= (10 * link) / 8e6);
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
      verifiedMBps: round(verifiedThroughput(chosen), 1),
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

/** Wall seconds and CPU seconds (user + system of this process) of `fn`. */
async function timed<T>(fn: () => T | Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { value, wall, cpu: (c.user + c.system) / 1e6 };
}

async function measureCodec(id: CodecId, located: LocatedPixelData[], frames: Uint8Array[][], codecs: Codecs, reps: number) {
  const encTimes: number[] = [];
  const decTimes: number[] = [];
  const encCpu: number[] = [];
  const decCpu: number[] = [];
  let encoded: Uint8Array[][] = [];
  let verified = true;
  // Warm-up (JIT, wasm memory growth) on the first file, untimed.
  frames[0]!.forEach((fr) => codecs.decode(CODEC_TRANSFER_SYNTAX[id], codecs.encode(id, fr, frameFormat(located[0]!)), frameFormat(located[0]!)));
  for (let r = 0; r < reps; r++) {
    const enc = await timed(() => located.map((l, i) => frames[i]!.map((fr) => codecs.encode(id, fr, frameFormat(l)))));
    encoded = enc.value;
    encTimes.push(enc.wall);
    encCpu.push(enc.cpu);
    const ts = CODEC_TRANSFER_SYNTAX[id];
    const dec = await timed(() => located.map((l, i) => encoded[i]!.map((e) => codecs.decode(ts, e, frameFormat(l)))));
    const decoded = dec.value;
    decTimes.push(dec.wall);
    decCpu.push(dec.cpu);
    if (r === 0) {
      decoded.forEach((fs, i) => fs.forEach((d, j) => {
        if (!Buffer.from(d).equals(frames[i]![j]!)) verified = false;
      }));
    }
  }
  return { encodeS: median(encTimes), decodeS: median(decTimes), encodeCpuS: median(encCpu), decodeCpuS: median(decCpu), encodedBytes: encoded.flat().reduce((n, e) => n + e.length, 0), verified };
}
