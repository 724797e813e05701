/**
 * Where the hub keeps series previews: DATA/studies/<ab>/<study key>/previews/<series key>.json,
 * the agent's SeriesPreviewUpload as received (validated), written durably (temp, fsync, rename).
 * Names are hashes (never UIDs). A preview sent again replaces the previous one (idempotent).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readdir, readFile } from 'node:fs/promises';
import { ensureDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { check } from '../../protocol/validate.ts';
import { SeriesPreviewUpload } from '../../protocol/preview.ts';

const keyOf = (uid: string) => createHash('sha256').update(uid).digest('hex').slice(0, 32);

export class PreviewStore {
  readonly #dirOf: (study: string) => string;
  /** Primary image URLs of the series previews seen since start (put, get or list), per study. */
  readonly #urls = new Map<string, Map<string, string>>();

  /** `studyDir`: the study's folder (StudyIndexes.dirOf). */
  constructor(studyDir: (studyInstanceUid: string) => string) {
    this.#dirOf = (study) => join(studyDir(study), 'previews');
  }

  async put(p: SeriesPreviewUpload): Promise<void> {
    const dir = this.#dirOf(p.studyInstanceUid);
    await ensureDir(dir);
    await writeFileDurable(join(dir, `${keyOf(p.seriesInstanceUid)}.json`), JSON.stringify(p));
    this.#remember(p);
  }

  #remember(p: SeriesPreviewUpload): void {
    let m = this.#urls.get(p.studyInstanceUid);
    if (!m) {
      if (this.#urls.size >= 5000) this.#urls.delete(this.#urls.keys().next().value!);
      this.#urls.set(p.studyInstanceUid, (m = new Map()));
    }
    m.set(p.seriesInstanceUid, `/studies/${p.studyInstanceUid}/previews/${p.seriesInstanceUid}.webp`);
  }

  /** Primary image URL of each series preview known in memory (for the live fleet view). */
  urlsOf(study: string): string[] | undefined {
    const m = this.#urls.get(study);
    return m ? [...m.values()] : undefined;
  }

  async get(study: string, series: string): Promise<SeriesPreviewUpload | undefined> {
    try {
      const v: unknown = JSON.parse(await readFile(join(this.#dirOf(study), `${keyOf(series)}.json`), 'utf8'));
      return check(SeriesPreviewUpload, v) ? v : undefined;
    } catch {
      return undefined;
    }
  }

  async list(study: string): Promise<SeriesPreviewUpload[]> {
    const names = await readdir(this.#dirOf(study)).catch(() => [] as string[]);
    const out: SeriesPreviewUpload[] = [];
    for (const n of names.filter((x) => /^[0-9a-f]{32}\.json$/.test(x)).sort()) {
      const v: unknown = await readFile(join(this.#dirOf(study), n), 'utf8').then((s) => JSON.parse(s) as unknown, () => undefined);
      if (check(SeriesPreviewUpload, v) && v.studyInstanceUid === study) {
        out.push(v);
        this.#remember(v);
      }
    }
    return out;
  }
}

/** The image a worklist shows for a series: the middle key slice, brain window for CT. */
export function primaryImage(p: SeriesPreviewUpload): number {
  const brain = p.images.map((im, i) => ({ im, i })).filter((x) => x.im.window === 'brain');
  const pool = brain.length > 0 ? brain : p.images.map((im, i) => ({ im, i }));
  return pool[Math.floor((pool.length - 1) / 2)]!.i;
}
