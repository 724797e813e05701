/**
 * The hub's DICOMweb from the browser (same origin, session cookie): series and instances
 * by QIDO-RS, and a series' instances by WADO-RS, a few at a time,
 * asking for explicit little endian first (`application/dicom; transfer-syntax=1.2.840.10008.1.2.1`)
 * and, when the hub answers 406 (it serves what was stored, native or not), for the stored
 * syntax (`transfer-syntax=*`), instance by instance. A slice the reader jumps to is fetched next (`want`).
 * Decoded frames are handed to `onFrames`; progress and failures are reported, never thrown.
 */
import { EXPLICIT_LE, parseInstance } from './dicom-instance.ts';
import type { DecodedFrame, PixelModule } from './pixels.ts';
import type { ParsedInstance } from './dicom-instance.ts';

export type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;

export function first(o: DicomJson, tag: string): unknown {
  return o[tag]?.Value?.[0];
}

export function text(o: DicomJson, tag: string): string {
  const v = first(o, tag);
  if (v && typeof v === 'object' && 'Alphabetic' in v) return String((v as { Alphabetic: unknown }).Alphabetic ?? '');
  return v === undefined || v === null ? '' : String(v);
}

export class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

async function getJson(url: string, signal?: AbortSignal): Promise<{ rows: DicomJson[]; more: boolean }> {
  const res = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/dicom+json' }, ...(signal ? { signal } : {}) });
  if (res.status === 401) location.replace('/login');
  if (!res.ok) throw new HttpError(res.status);
  // PS3.18 8.3.4.1: a 299 Warning says the results were cut (the hub caps pages at qidoMaxLimit).
  return { rows: (await res.json()) as DicomJson[], more: /^299\b/.test(res.headers.get('warning') ?? '') };
}

/**
 * Every result of a QIDO-RS query, following offset while the hub says more remain (299
 * Warning) or fewer than `expected` came (the count the level above announced: the hub warns
 * on studies only).
 */
export async function qidoAll(url: string, expected?: number, signal?: AbortSignal): Promise<DicomJson[]> {
  const all: DicomJson[] = [];
  for (;;) {
    const page = await getJson(all.length ? `${url}${url.includes('?') ? '&' : '?'}offset=${all.length}` : url, signal);
    all.push(...page.rows);
    if (page.rows.length === 0 || !(page.more || (expected !== undefined && all.length < expected))) return all;
  }
}

export interface InstanceRef {
  sop: string;
  number: number;
  frames: number;
}

/** A series' instances, in InstanceNumber order (then SOP UID). */
export async function seriesInstances(study: string, series: string, expected?: number, signal?: AbortSignal): Promise<InstanceRef[]> {
  const rows = await qidoAll(`/dicomweb/studies/${encodeURIComponent(study)}/series/${encodeURIComponent(series)}/instances`, expected, signal);
  return rows
    .map((r) => ({ sop: text(r, '00080018'), number: Number(first(r, '00200013') ?? 0), frames: Math.max(1, Number(first(r, '00280008') ?? 1)) }))
    .sort((a, b) => a.number - b.number || (a.sop < b.sop ? -1 : a.sop > b.sop ? 1 : 0));
}

export interface LoaderEvents {
  onFrames(index: number, frames: DecodedFrame[], module: PixelModule, where: ParsedInstance['where']): void;
  onFailed(index: number, reason: string): void;
  onProgress(done: number, failed: number, total: number): void;
}

export class StackLoader {
  readonly #queue: number[];
  readonly #abort = new AbortController();
  #done = 0;
  #failed = 0;

  constructor(
    readonly study: string,
    readonly series: string,
    readonly instances: readonly InstanceRef[],
    readonly events: LoaderEvents,
    readonly parallel = 3,
  ) {
    this.#queue = instances.map((_, i) => i);
  }

  start(): void {
    this.events.onProgress(0, 0, this.instances.length);
    for (let i = 0; i < this.parallel; i++) void this.#worker();
  }

  /** Fetch this instance next if it is still waiting. */
  want(index: number): void {
    const at = this.#queue.indexOf(index);
    if (at > 0) {
      this.#queue.splice(at, 1);
      this.#queue.unshift(index);
    }
  }

  stop(): void {
    this.#abort.abort();
    this.#queue.length = 0;
  }

  async #worker(): Promise<void> {
    for (;;) {
      const index = this.#queue.shift();
      if (index === undefined || this.#abort.signal.aborted) return;
      try {
        const bytes = await this.#fetch(this.instances[index]!.sop);
        const parsed = parseInstance(bytes);
        this.#done++;
        this.events.onFrames(index, parsed.frames, parsed.module, parsed.where);
      } catch (err) {
        if (this.#abort.signal.aborted) return;
        this.#failed++;
        this.events.onFailed(index, err instanceof Error ? err.message : String(err));
      }
      this.events.onProgress(this.#done, this.#failed, this.instances.length);
    }
  }

  async #fetch(sop: string): Promise<Uint8Array> {
    const url = `/dicomweb/studies/${encodeURIComponent(this.study)}/series/${encodeURIComponent(this.series)}/instances/${encodeURIComponent(sop)}`;
    const get = (syntax: string) => fetch(url, { credentials: 'same-origin', signal: this.#abort.signal, headers: { accept: `application/dicom; transfer-syntax=${syntax}` } });
    // Per instance: a hub that cannot transcode one instance may still transcode the others.
    let res = await get(EXPLICIT_LE);
    if (res.status === 406) res = await get('*');
    if (res.status === 401) location.replace('/login');
    if (!res.ok) throw new HttpError(res.status);
    return new Uint8Array(await res.arrayBuffer());
  }
}
