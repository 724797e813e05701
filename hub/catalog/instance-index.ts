/**
 * Per-instance records, outside lowdb: one directory per study under DATA/studies/, named by
 * a hash of the Study Instance UID (never by the UID itself), holding `instances.jsonl` (one
 * durable line per stored instance version, append-only) and `manifest.json` (the SOP
 * instances the agent announced). Appends are group-committed (JsonlFile), so a 3 000-image
 * study costs 3 000 short appends, not 3 000 rewrites.
 * Contract: `append` resolves when the line is durable; every line read back is validated;
 * callers serialise writes per study. Loaded indexes are cached (bounded, least recently used).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { Type, type Static } from '@sinclair/typebox';
import { Sha256Hex, Uid, AgentId, IsoDateTime } from '../../protocol/common.ts';
import { check } from '../../protocol/validate.ts';
import { ensureDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { JsonlFile, readJsonl } from '../storage/jsonl-file.ts';
import type { StudyTotals } from './study-record.ts';

export const InstanceEntry = Type.Object({
  sopInstanceUid: Uid,
  seriesInstanceUid: Uid,
  sopClassUid: Type.String({ maxLength: 64 }),
  transferSyntaxUid: Type.String({ maxLength: 64 }),
  sha256: Sha256Hex,
  size: Type.Integer({ minimum: 0 }),
  version: Type.Integer({ minimum: 1 }),
  storedAt: IsoDateTime,
  agentId: AgentId,
  modality: Type.Optional(Type.String({ maxLength: 16 })),
  seriesNumber: Type.Optional(Type.Integer()),
  seriesDescription: Type.Optional(Type.String({ maxLength: 200 })),
  instanceNumber: Type.Optional(Type.Integer()),
  rows: Type.Optional(Type.Integer({ minimum: 0 })),
  columns: Type.Optional(Type.Integer({ minimum: 0 })),
  numberOfFrames: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type InstanceEntry = Static<typeof InstanceEntry>;

const ManifestFile = Type.Object({ sopInstanceUids: Type.Array(Uid) });

export interface SeriesSummary {
  seriesInstanceUid: string;
  modality?: string;
  seriesNumber?: number;
  seriesDescription?: string;
  instances: number;
}

/** Directory key of a study: SHA-256 of its UID (file names never carry UIDs). */
export function studyKey(studyInstanceUid: string): string {
  return createHash('sha256').update(studyInstanceUid).digest('hex');
}

export class StudyIndex {
  readonly studyInstanceUid: string;
  readonly dir: string;
  readonly #file: JsonlFile;
  readonly #latest = new Map<string, InstanceEntry>();
  readonly #all: InstanceEntry[] = [];
  #manifest: Set<string> | undefined;

  constructor(studyInstanceUid: string, dir: string) {
    this.studyInstanceUid = studyInstanceUid;
    this.dir = dir;
    this.#file = new JsonlFile(join(dir, 'instances.jsonl'));
  }

  async load(): Promise<this> {
    for (const rec of await readJsonl(join(this.dir, 'instances.jsonl'))) {
      if (check(InstanceEntry, rec)) this.#remember(rec);
    }
    try {
      const m: unknown = JSON.parse(await readFile(join(this.dir, 'manifest.json'), 'utf8'));
      if (check(ManifestFile, m)) this.#manifest = new Set(m.sopInstanceUids);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return this;
  }

  #remember(e: InstanceEntry): void {
    this.#all.push(e);
    const prev = this.#latest.get(e.sopInstanceUid);
    if (!prev || e.version >= prev.version) this.#latest.set(e.sopInstanceUid, e);
  }

  latest(sopInstanceUid: string): InstanceEntry | undefined {
    return this.#latest.get(sopInstanceUid);
  }

  /** A stored version of this SOP instance with exactly these bytes, if any. */
  findVersion(sopInstanceUid: string, sha256: string): InstanceEntry | undefined {
    return this.#all.find((e) => e.sopInstanceUid === sopInstanceUid && e.sha256 === sha256);
  }

  hasSeries(seriesInstanceUid: string): boolean {
    for (const e of this.#latest.values()) if (e.seriesInstanceUid === seriesInstanceUid) return true;
    return false;
  }

  async append(e: InstanceEntry): Promise<void> {
    await ensureDir(this.dir);
    await this.#file.append(e);
    this.#remember(e);
  }

  async setManifest(sopInstanceUids: string[]): Promise<void> {
    await ensureDir(this.dir);
    await writeFileDurable(join(this.dir, 'manifest.json'), JSON.stringify({ sopInstanceUids }), { mode: 0o600 });
    this.#manifest = new Set(sopInstanceUids);
  }

  get manifestSize(): number | undefined {
    return this.#manifest?.size;
  }

  /** How many of the manifest's instances are stored (undefined without a manifest). */
  manifestReceived(): number | undefined {
    if (!this.#manifest) return undefined;
    let n = 0;
    for (const sop of this.#manifest) if (this.#latest.has(sop)) n++;
    return n;
  }

  /** Latest version of every instance, optionally of one series, by instance number. */
  instances(seriesInstanceUid?: string): InstanceEntry[] {
    return [...this.#latest.values()]
      .filter((e) => !seriesInstanceUid || e.seriesInstanceUid === seriesInstanceUid)
      .sort((a, b) => (a.instanceNumber ?? 0) - (b.instanceNumber ?? 0) || a.storedAt.localeCompare(b.storedAt));
  }

  series(): SeriesSummary[] {
    const map = new Map<string, SeriesSummary>();
    for (const e of this.#latest.values()) {
      let s = map.get(e.seriesInstanceUid);
      if (!s) {
        s = { seriesInstanceUid: e.seriesInstanceUid, instances: 0 };
        if (e.modality) s.modality = e.modality;
        if (e.seriesNumber !== undefined) s.seriesNumber = e.seriesNumber;
        if (e.seriesDescription) s.seriesDescription = e.seriesDescription;
        map.set(e.seriesInstanceUid, s);
      }
      s.instances++;
    }
    return [...map.values()].sort((a, b) => (a.seriesNumber ?? 0) - (b.seriesNumber ?? 0));
  }

  /** Counts for the catalog, recomputed from the index (the source of truth per instance). */
  totals(): StudyTotals {
    const modalities: string[] = [];
    const series = new Set<string>();
    for (const e of this.#latest.values()) {
      series.add(e.seriesInstanceUid);
      if (e.modality && !modalities.includes(e.modality)) modalities.push(e.modality);
    }
    return {
      instancesReceived: this.#latest.size,
      seriesCount: series.size,
      bytesReceived: this.#all.reduce((n, e) => n + e.size, 0),
      modalities,
      manifestReceived: this.manifestReceived(),
      manifestSize: this.manifestSize,
      hasNewVersions: this.#all.length > this.#latest.size,
    };
  }

  get instanceCount(): number {
    return this.#latest.size;
  }

  async close(): Promise<void> {
    await this.#file.close();
  }
}

/** Loads and caches study indexes (LRU, bounded). */
export class StudyIndexes {
  readonly #root: string;
  readonly #max: number;
  readonly #cache = new Map<string, Promise<StudyIndex>>();

  constructor(studiesDir: string, maxCached = 256) {
    this.#root = studiesDir;
    this.#max = maxCached;
  }

  dirOf(studyInstanceUid: string): string {
    const key = studyKey(studyInstanceUid);
    return join(this.#root, key.slice(0, 2), key);
  }

  get(studyInstanceUid: string): Promise<StudyIndex> {
    let p = this.#cache.get(studyInstanceUid);
    if (p) {
      this.#cache.delete(studyInstanceUid);
      this.#cache.set(studyInstanceUid, p);
      return p;
    }
    p = new StudyIndex(studyInstanceUid, this.dirOf(studyInstanceUid)).load();
    p.catch(() => this.#cache.delete(studyInstanceUid));
    this.#cache.set(studyInstanceUid, p);
    while (this.#cache.size > this.#max) {
      const oldest = this.#cache.keys().next().value as string;
      const evicted = this.#cache.get(oldest);
      this.#cache.delete(oldest);
      void evicted?.then((i) => i.close(), () => {});
    }
    return p;
  }

  async close(): Promise<void> {
    for (const p of this.#cache.values()) await p.then((i) => i.close(), () => {});
    this.#cache.clear();
  }
}
