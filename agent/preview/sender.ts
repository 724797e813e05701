/**
 * Previews first (issue 4): watches admitted instances per series; once a series has
 * `minInstances` instances, or `waitMs` after its first one, renders its preview
 * (render.ts, in this thread: libvips encodes off the event loop, ≈ 100 ms a series) from the
 * spooled files and PUTs it to the hub (protocol/preview.ts) with its own small sender,
 * retried with capped exponential backoff and jitter until the hub answers 2xx (a 4xx other
 * than 408/429 ends the attempts: the preview is a convenience, the pixels follow anyway).
 * One preview per series per agent run; files gone meanwhile are skipped by the renderer.
 * Previews are not persisted across restarts (the study itself is).
 */
import { join } from 'node:path';
import { readFile, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import type { Clock, TimerHandle } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Codecs } from '../../lib/codec/frame-codecs.ts';
import { PREVIEW_ROUTE, type SeriesPreviewUpload } from '../../protocol/preview.ts';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../protocol/index.ts';
import type { InstanceRecord } from '../spool/record.ts';
import { renderSeriesPreview } from './render.ts';

export interface PreviewSenderDeps {
  clock: Clock;
  random: () => number;
  log: Logger;
  hubUrl: string;
  credential: string;
  /** Folder for rendered previews (DATA/previews). */
  workDir: string;
  dataPath: (record: InstanceRecord) => string;
  codecs: () => Promise<Codecs>;
  minInstances: number;
  waitMs: number;
  retry?: { baseMs: number; maxMs: number };
  /** Test hook: a preview reached the hub. */
  onSent?: (p: SeriesPreviewUpload, renderMs: number) => void;
}

interface SeriesState {
  study: string;
  records: InstanceRecord[];
  timer?: TimerHandle;
  started: boolean;
}

export class PreviewSender {
  readonly #d: PreviewSenderDeps;
  readonly #series = new Map<string, SeriesState>();
  readonly #timers = new Set<TimerHandle>();
  #stopped = false;

  constructor(deps: PreviewSenderDeps) {
    this.#d = deps;
  }

  observe(record: InstanceRecord): void {
    if (this.#stopped) return;
    let s = this.#series.get(record.seriesInstanceUid);
    if (!s) {
      s = { study: record.studyInstanceUid, records: [], started: false };
      this.#series.set(record.seriesInstanceUid, s);
      const state = s;
      s.timer = this.#d.clock.setTimeout(() => this.#start(record.seriesInstanceUid, state), this.#d.waitMs);
    }
    if (s.started) return;
    s.records.push(record);
    if (s.records.length >= this.#d.minInstances) this.#start(record.seriesInstanceUid, s);
  }

  #start(series: string, s: SeriesState): void {
    if (s.started || this.#stopped) return;
    s.started = true;
    this.#d.clock.clearTimeout(s.timer);
    void this.#renderAndSend(series, s).catch((err: Error) => this.#d.log.warn({ err: err.message }, 'preview: not sent'));
  }

  async #renderAndSend(series: string, s: SeriesState): Promise<void> {
    const d = this.#d;
    const dir = join(d.workDir, createHash('sha256').update(series).digest('hex').slice(0, 32));
    const t0 = d.clock.now();
    const rendered = await renderSeriesPreview(s.records.map(d.dataPath), dir, { codecs: await d.codecs() });
    const renderMs = d.clock.now() - t0;
    if (rendered.images.length === 0) return;
    const body: SeriesPreviewUpload = {
      v: 1,
      studyInstanceUid: s.study,
      seriesInstanceUid: series,
      ...(rendered.modality ? { modality: rendered.modality.slice(0, 16) } : {}),
      sliceCount: rendered.sliceCount,
      images: await Promise.all(
        rendered.images.slice(0, 48).map(async (im) => ({
          window: im.window.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').slice(0, 32) || 'own',
          sliceIndex: im.sliceIndex,
          width: im.width,
          height: im.height,
          webp: (await readFile(join(dir, im.file))).toString('base64'),
        })),
      ),
    };
    await rm(dir, { recursive: true, force: true });
    const retry = d.retry ?? { baseMs: 1000, maxMs: 60_000 };
    for (let attempt = 0; !this.#stopped; attempt++) {
      const outcome = await this.#put(body);
      if (outcome === 'ok') {
        d.log.info({ images: body.images.length, renderMs }, 'preview: at the hub');
        d.onSent?.(body, renderMs);
        return;
      }
      if (outcome === 'fail') return;
      const delay = d.random() * Math.min(retry.maxMs, retry.baseMs * 2 ** Math.min(attempt, 20));
      await new Promise<void>((resolve) => {
        const h = d.clock.setTimeout(() => {
          this.#timers.delete(h);
          resolve();
        }, delay);
        this.#timers.add(h);
      });
    }
  }

  async #put(body: SeriesPreviewUpload): Promise<'ok' | 'retry' | 'fail'> {
    const d = this.#d;
    try {
      const res = await fetch(`${d.hubUrl.replace(/\/+$/, '')}${PREVIEW_ROUTE(body.studyInstanceUid, body.seriesInstanceUid)}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${d.credential}`, [PROTOCOL_HEADER]: String(PROTOCOL_VERSION), 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return 'ok';
      if (res.status >= 500 || res.status === 408 || res.status === 429) return 'retry';
      d.log.warn({ status: res.status }, 'preview: refused by the hub');
      return 'fail';
    } catch {
      return 'retry';
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const s of this.#series.values()) this.#d.clock.clearTimeout(s.timer);
    for (const h of this.#timers) this.#d.clock.clearTimeout(h);
  }
}
