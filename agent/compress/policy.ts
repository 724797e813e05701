/**
 * Which lossless codec an instance is encoded with: a pure function of its content class, the
 * link rate estimate and codec measurements (ratio, encode/decode MB/s per core, from
 * `npm run bench -- compress`; defaults in measurements.ts).
 * Rule: a codec is eligible when the agent's throughput with it — encode, then decode again to
 * verify, 1 / (1/encode + 1/decode) — is at least `headroom` × the link rate on one core
 * (default 10×: the compressor never paces the upload, and intake keeps CPU to spare). Among eligible
 * codecs the best ratio wins, i.e. the fewest bytes on the link; ratios within `tolerance` of the
 * best count as equal and the more widely decodable syntax wins (COMPATIBILITY_ORDER). When no
 * codec is fast enough (a LAN), the one with the shortest estimated delivery per raw MB,
 * max(encode time, transfer time), wins.
 */
import type { CodecId } from '../../lib/codec/frame-codecs.ts';

export interface CodecMeasurement {
  codec: CodecId;
  /** Raw pixel bytes / codestream bytes. */
  ratio: number;
  /** Raw pixel MB encoded (decoded) per second on one core. */
  encodeMBps: number;
  decodeMBps: number;
}

/** Measurements per content class ('CT', 'MR', 'CR', 'color', 'default'). */
export type CodecMeasurements = Readonly<Record<string, readonly CodecMeasurement[]>>;

/** Most widely decodable first: DCMTK 3.6.7 and most PACS/viewers read JPEG-LS; JPEG XL the fewest. */
export const COMPATIBILITY_ORDER: readonly CodecId[] = ['jpeg-ls', 'j2k', 'htj2k', 'rle', 'jpeg-xl'];

/** Link rates of the test bed's named profiles (simulators/link), bits per second. */
export const LINK_PROFILES_BPS: Readonly<Record<string, number>> = {
  lan: 1e9,
  flapping: 20e6,
  'rural-4g': 10e6,
  'island-vsat': 4e6,
  'satellite-1m': 1e6,
};

export const DEFAULT_LINK_RATE_BPS = LINK_PROFILES_BPS['rural-4g']!;

export interface PolicyInput {
  contentClass: string;
  /** Current estimate of the uplink rate (bits/s); default: rural-4g (10 Mbit/s). */
  linkRateBps?: number;
  measurements: CodecMeasurements;
  /** Encode speed required, as a multiple of the link rate. Default 10. */
  headroom?: number;
  /** Ratios within this fraction of the best are treated as equal. Default 0.03. */
  tolerance?: number;
  /** Restrict to these codecs (e.g. what the hub or site can decode). */
  allowed?: readonly CodecId[];
}

export interface PolicyDecision {
  codec: CodecId | null;
  reason: string;
}

/** The content class of an image for the measurement table. */
export function contentClassOf(image: { modality?: string; samplesPerPixel: number }): string {
  if (image.samplesPerPixel > 1) return 'color';
  const m = (image.modality ?? '').toUpperCase();
  if (m === 'CT' || m === 'PT' || m === 'NM') return 'CT';
  if (m === 'MR') return 'MR';
  if (m === 'CR' || m === 'DX' || m === 'MG' || m === 'RF' || m === 'XA' || m === 'IO' || m === 'PX') return 'CR';
  return 'default';
}

/** Raw MB/s one core gets through when every frame is encoded then decoded to verify it. */
export function verifiedThroughput(m: CodecMeasurement): number {
  return 1 / (1 / m.encodeMBps + 1 / m.decodeMBps);
}

export function chooseCodec(input: PolicyInput): PolicyDecision {
  const headroom = input.headroom ?? 10;
  const tolerance = input.tolerance ?? 0.03;
  const link = input.linkRateBps && input.linkRateBps > 0 ? input.linkRateBps : DEFAULT_LINK_RATE_BPS;
  const table = input.measurements[input.contentClass] ?? input.measurements.default ?? [];
  const list = table.filter((m) => !input.allowed || input.allowed.includes(m.codec));
  if (list.length === 0) return { codec: null, reason: `no measured codec for ${input.contentClass}` };
  const linkMBps = link / 8e6;
  const eligible = list.filter((m) => verifiedThroughput(m) >= headroom * linkMBps);
  const fmt = (m: CodecMeasurement) => `${m.codec} ${m.ratio.toFixed(2)}:1 at ${verifiedThroughput(m).toFixed(1)} MB/s encode+verify`;
  if (eligible.length === 0) {
    const delivery = (m: CodecMeasurement) => Math.max(1 / verifiedThroughput(m), 1 / (m.ratio * linkMBps));
    const best = [...list].sort((a, b) => delivery(a) - delivery(b))[0]!;
    return { codec: best.codec, reason: `no codec encodes at ${headroom}× ${(link / 1e6).toFixed(1)} Mbit/s; shortest delivery: ${fmt(best)}` };
  }
  const bestRatio = Math.max(...eligible.map((m) => m.ratio));
  const near = eligible.filter((m) => m.ratio >= bestRatio * (1 - tolerance));
  const rank = (c: CodecId) => {
    const i = COMPATIBILITY_ORDER.indexOf(c);
    return i < 0 ? COMPATIBILITY_ORDER.length : i;
  };
  const chosen = near.sort((a, b) => rank(a.codec) - rank(b.codec))[0]!;
  return {
    codec: chosen.codec,
    reason: `${fmt(chosen)} ≥ ${headroom}× ${(link / 1e6).toFixed(1)} Mbit/s; best eligible ratio ${bestRatio.toFixed(2)}`,
  };
}
