/**
 * Compresses one instance file losslessly, in the calling thread (the pool runs it in workers).
 * Contract (never degrade): the compressed file is written — durably, under a new name in
 * `outputDir` — only after it was decoded again and proved identical to the input
 * (verifyTranscode: bytes outside Pixel Data equal, frames bit-exact, and for Explicit VR LE input
 * toNative gives the original file back byte for byte). The input file is never modified.
 * Outcomes: 'compressed' (path = new file), 'passthrough' (path = input; content that must travel
 * as it is: lossy, already compressed, implicit VR, odd pixels, no gain…), 'failed' (path = input;
 * a codec error, a verification mismatch or a write error — the original travels). Never throws
 * for the content of the file; unexpected errors become 'failed'.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Codecs, CodecId } from '../../lib/codec/frame-codecs.ts';
import { encodeInstance, transcodeCandidate, verifyTranscode } from '../../lib/codec/transcode.ts';
import { ensureDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { chooseCodec, contentClassOf, type CodecMeasurements } from './policy.ts';
import { DEFAULT_MEASUREMENTS } from './measurements.ts';

export interface CompressPolicyInput {
  /** Current uplink rate estimate, bits/s (default: rural-4g, 10 Mbit/s). */
  linkRateBps?: number;
  /** Codec measurements per content class (default: DEFAULT_MEASUREMENTS). */
  measurements?: CodecMeasurements;
  /** Encode speed required as a multiple of the link rate (default 10). */
  headroom?: number;
  /** Codecs the receiving side accepts (default: all). */
  allowedCodecs?: CodecId[];
  /** Force one codec (tests, operators); the policy is skipped. */
  codec?: CodecId;
  /** Keep the original unless the file shrinks by at least this fraction (default 0.05). */
  minSaving?: number;
  /** Larger instances travel as they are (memory bound: ≈4× the file while verifying). Default 512 MiB. */
  maxInstanceBytes?: number;
  /** Name of the output file in outputDir (default: the input's base name). */
  outputName?: string;
}

export type CompressOutcome = 'compressed' | 'passthrough' | 'failed';

export interface CompressResult {
  outcome: CompressOutcome;
  /** The file to ship: the new file when compressed, else the input path. */
  path: string;
  transferSyntaxUid: string;
  originalBytes: number;
  compressedBytes: number;
  /** Why the instance was passed through or failed; the policy's reason when compressed. */
  reason: string;
  codec?: CodecId;
  encodeMs?: number;
  verifyMs?: number;
}

export async function compressInstanceWith(codecs: Codecs, inputPath: string, outputDir: string, policy: CompressPolicyInput = {}): Promise<CompressResult> {
  let original: Buffer;
  try {
    const size = (await stat(inputPath)).size;
    const max = policy.maxInstanceBytes ?? 512 * 1024 * 1024;
    if (size > max) return { outcome: 'passthrough', path: inputPath, transferSyntaxUid: '', originalBytes: size, compressedBytes: size, reason: `too-large: ${size} bytes > ${max}` };
    original = await readFile(inputPath);
  } catch (err) {
    return { outcome: 'failed', path: inputPath, transferSyntaxUid: '', originalBytes: 0, compressedBytes: 0, reason: `read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  const base = { path: inputPath, originalBytes: original.length, compressedBytes: original.length };
  let transferSyntaxUid = '';
  try {
    const candidate = transcodeCandidate(original, codecs);
    transferSyntaxUid = candidate.located?.meta.transferSyntaxUid ?? '';
    if (!candidate.ok) return { ...base, outcome: 'passthrough', transferSyntaxUid, reason: candidate.reason };
    const image = candidate.located.image;
    let codec = policy.codec;
    let reason = 'codec forced';
    if (!codec) {
      const decision = chooseCodec({
        contentClass: contentClassOf(image),
        linkRateBps: policy.linkRateBps,
        measurements: policy.measurements ?? DEFAULT_MEASUREMENTS,
        headroom: policy.headroom,
        allowed: policy.allowedCodecs,
      });
      if (!decision.codec) return { ...base, outcome: 'passthrough', transferSyntaxUid, reason: `policy: ${decision.reason}` };
      codec = decision.codec;
      reason = decision.reason;
    }
    const t0 = performance.now();
    const encoded = encodeInstance(original, candidate.located, codec, codecs);
    const t1 = performance.now();
    const minSaving = policy.minSaving ?? 0.05;
    if (encoded.bytes.length > original.length * (1 - minSaving)) {
      return { ...base, outcome: 'passthrough', transferSyntaxUid, reason: `no-gain: ${codec} gives ${encoded.bytes.length} of ${original.length} bytes` };
    }
    const mismatch = verifyTranscode(original, encoded.bytes, codecs);
    const t2 = performance.now();
    if (mismatch) return { ...base, outcome: 'failed', transferSyntaxUid, codec, reason: `verify: ${mismatch}` };
    const outPath = join(outputDir, policy.outputName ?? basename(inputPath));
    if (resolve(outPath) === resolve(inputPath)) return { ...base, outcome: 'failed', transferSyntaxUid, codec, reason: 'output would overwrite the input' };
    await ensureDir(outputDir);
    await writeFileDurable(outPath, encoded.bytes);
    return {
      outcome: 'compressed',
      path: outPath,
      transferSyntaxUid: encoded.transferSyntaxUid,
      originalBytes: original.length,
      compressedBytes: encoded.bytes.length,
      reason,
      codec,
      encodeMs: Math.round(t1 - t0),
      verifyMs: Math.round(t2 - t1),
    };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ...base, outcome: 'failed', transferSyntaxUid, reason: `${e.code ? `write: ${e.code}` : `codec: ${e.message ?? String(err)}`}` };
  }
}
