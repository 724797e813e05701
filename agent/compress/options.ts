/**
 * The pipeline's flags, checked: `--compress auto|off|<codec>`, `--link-rate-mbps <n>` (the
 * policy's link estimate), `--compress-workers <n>`, `--preview-instances <n>` and
 * `--preview-wait-seconds <n>` (when a series' previews are rendered), `--no-previews`.
 * Pure: takes commander's options object, returns the config or an error message (French or
 * English, from the caller's language). agent/config.ts calls it.
 */
import { CODEC_IDS, type CodecId } from '../../lib/codec/frame-codecs.ts';

export interface PipelineConfig {
  compress: {
    /** 'auto': the policy picks per instance; a codec: forced; 'off': instances travel as received. */
    mode: 'auto' | 'off' | CodecId;
    /** Uplink rate for the policy (bits/s); undefined: the policy's default (rural-4g). */
    linkRateBps: number | undefined;
    /** Worker threads (undefined: cores − 1, at least 1). */
    workers: number | undefined;
  };
  previews: {
    enabled: boolean;
    /** Render a series once it has this many instances… */
    minInstances: number;
    /** …or once this long passed since its first instance (ms), whichever comes first. */
    waitMs: number;
  };
}

const MESSAGES = {
  fr: {
    compress: (v: string) => `--compress : valeur attendue auto | off | ${CODEC_IDS.join(' | ')}, reçu « ${v} »`,
    number: (flag: string, v: unknown) => `${flag} : nombre attendu entre les bornes, reçu « ${String(v)} »`,
  },
  en: {
    compress: (v: string) => `--compress: expected auto | off | ${CODEC_IDS.join(' | ')}, got "${v}"`,
    number: (flag: string, v: unknown) => `${flag}: a number within range expected, got "${String(v)}"`,
  },
} as const;

export function pipelineConfig(cli: Record<string, unknown>, lang: 'fr' | 'en'): PipelineConfig | { error: string } {
  const t = MESSAGES[lang];
  const mode = typeof cli.compress === 'string' && cli.compress.trim() !== '' ? cli.compress.trim() : 'auto';
  if (mode !== 'auto' && mode !== 'off' && !(CODEC_IDS as readonly string[]).includes(mode)) return { error: t.compress(mode) };
  const num = (flag: string, key: string, min: number, max: number): number | undefined | { error: string } => {
    const v = cli[key];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) return { error: t.number(flag, v) };
    return n;
  };
  const rate = num('--link-rate-mbps', 'linkRateMbps', 0.01, 100_000);
  const workers = num('--compress-workers', 'compressWorkers', 1, 64);
  const minInstances = num('--preview-instances', 'previewInstances', 1, 100_000);
  const wait = num('--preview-wait-seconds', 'previewWaitSeconds', 0, 3600);
  for (const x of [rate, workers, minInstances, wait]) if (typeof x === 'object') return x;
  return {
    compress: {
      mode: mode as PipelineConfig['compress']['mode'],
      linkRateBps: typeof rate === 'number' ? rate * 1e6 : undefined,
      workers: typeof workers === 'number' ? Math.round(workers) : undefined,
    },
    previews: {
      enabled: cli.previews !== false,
      minInstances: typeof minInstances === 'number' ? Math.round(minInstances) : 5,
      waitMs: Math.round((typeof wait === 'number' ? wait : 5) * 1000),
    },
  };
}
