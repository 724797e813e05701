/**
 * The catalog's embedded adapter: live studies in one lowdb JSON file (DATA/catalog/live.json,
 * sole owner: this object; sole process: the hub holding DATA/hub.lock), written durably by
 * DurableJsonAdapter. Closed studies move to an append-only archive (catalog/archive.jsonl,
 * fsynced) so the live file, rewritten whole on every change, stays small. An archived study
 * is found by an in-memory index of byte offsets built at open; when a study is in both
 * (crash between the archive append and the live rewrite) the live record wins.
 * Records are validated when read from disk; invalid ones are skipped and counted.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { ensureDir } from '../../lib/durable-fs.ts';
import { check } from '../../protocol/validate.ts';
import { JsonlFile, repairTornTail } from '../storage/jsonl-file.ts';
import { DurableJsonAdapter } from './durable-json-adapter.ts';
import { StudyRecord } from './study-record.ts';
import type { CatalogStore, StudyQuery } from './store.ts';
import { KeyedMutex } from '../storage/keyed-mutex.ts';

interface LiveFile {
  format: 1;
  studies: Record<string, StudyRecord>;
}

export class LowdbCatalogStore implements CatalogStore {
  readonly #db: Low<LiveFile>;
  readonly #adapter: DurableJsonAdapter<LiveFile>;
  #archive: JsonlFile;
  readonly #archivePath: string;
  /** Archived study UID → [offset, length] of its latest line in archive.jsonl. */
  readonly #archived = new Map<string, [number, number]>();
  #archiveSize = 0;
  #archiveDirty = false;
  readonly #archiveLock = new KeyedMutex();
  /** Records found invalid on disk at open (skipped). */
  rejected = 0;

  private constructor(dir: string) {
    this.#adapter = new DurableJsonAdapter<LiveFile>(join(dir, 'live.json'));
    this.#db = new Low<LiveFile>(this.#adapter, { format: 1, studies: {} });
    this.#archivePath = join(dir, 'archive.jsonl');
    this.#archive = new JsonlFile(this.#archivePath);
  }

  static async open(dir: string): Promise<LowdbCatalogStore> {
    await ensureDir(dir);
    const store = new LowdbCatalogStore(dir);
    await store.#load();
    return store;
  }

  async #load(): Promise<void> {
    await this.#db.read();
    const data = this.#db.data as Partial<LiveFile> | null;
    const studies: Record<string, StudyRecord> = {};
    for (const [uid, rec] of Object.entries(data?.studies ?? {})) {
      if (check(StudyRecord, rec) && rec.studyInstanceUid === uid) studies[uid] = rec;
      else this.rejected++;
    }
    this.#db.data = { format: 1, studies };
    await repairTornTail(this.#archivePath);
    let buf: Buffer;
    try {
      buf = await readFile(this.#archivePath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      buf = Buffer.alloc(0);
    }
    let pos = 0;
    while (pos < buf.length) {
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0) break;
      try {
        const rec: unknown = JSON.parse(buf.toString('utf8', pos, nl));
        if (check(StudyRecord, rec)) this.#archived.set(rec.studyInstanceUid, [pos, nl - pos]);
        else this.rejected++;
      } catch {
        this.rejected++;
      }
      pos = nl + 1;
    }
    this.#archiveSize = buf.length;
  }

  async get(uid: string): Promise<StudyRecord | undefined> {
    const live = this.#db.data.studies[uid];
    if (live) return structuredClone(live);
    const at = this.#archived.get(uid);
    return at ? this.#readArchived(at) : undefined;
  }

  async #readArchived([offset, length]: [number, number]): Promise<StudyRecord | undefined> {
    const handle = await open(this.#archivePath, 'r');
    try {
      const buf = Buffer.alloc(length);
      await handle.read(buf, 0, length, offset);
      const rec: unknown = JSON.parse(buf.toString('utf8'));
      return check(StudyRecord, rec) ? rec : undefined;
    } finally {
      await handle.close();
    }
  }

  async put(record: StudyRecord): Promise<void> {
    this.#db.data.studies[record.studyInstanceUid] = structuredClone(record);
    await this.#db.write();
  }

  async live(): Promise<StudyRecord[]> {
    return Object.values(this.#db.data.studies)
      .map((s) => structuredClone(s))
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }

  async list(query: StudyQuery = {}): Promise<StudyRecord[]> {
    const wanted = query.studyInstanceUids ? new Set(query.studyInstanceUids) : undefined;
    const keep = (s: StudyRecord) => (!wanted || wanted.has(s.studyInstanceUid)) && (!query.agentId || s.agentId === query.agentId);
    const out = (await this.live()).filter(keep);
    if (query.includeArchived === false) return out;
    const archived: StudyRecord[] = [];
    if (wanted) {
      for (const uid of wanted) {
        const at = this.#archived.get(uid);
        if (at && !this.#db.data.studies[uid]) {
          const rec = await this.#readArchived(at);
          if (rec && keep(rec)) archived.push(rec);
        }
      }
    } else {
      for (const [uid, at] of this.#archived) {
        if (this.#db.data.studies[uid]) continue;
        const rec = await this.#readArchived(at);
        if (rec && keep(rec)) archived.push(rec);
      }
    }
    archived.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    return out.concat(archived);
  }

  async archive(uid: string): Promise<void> {
    await this.#archiveLock.run('archive', async () => {
      const rec = this.#db.data.studies[uid];
      if (!rec) return;
      if (this.#archiveDirty) {
        // A failed append may have left a torn line: cut it and learn the true size.
        await this.#archive.close();
        this.#archive = new JsonlFile(this.#archivePath);
        await repairTornTail(this.#archivePath);
        this.#archiveSize = await stat(this.#archivePath).then((s) => s.size, () => 0);
        this.#archiveDirty = false;
      }
      const length = Buffer.byteLength(JSON.stringify(rec));
      const offset = this.#archiveSize;
      try {
        await this.#archive.append(rec);
      } catch (err) {
        this.#archiveDirty = true;
        throw err;
      }
      this.#archiveSize += length + 1;
      this.#archived.set(uid, [offset, length]);
      delete this.#db.data.studies[uid];
      await this.#db.write();
    });
  }

  /** Number of live studies (the size of the file rewritten on each change). */
  get liveCount(): number {
    return Object.keys(this.#db.data.studies).length;
  }

  async close(): Promise<void> {
    await this.#adapter.flush();
    await this.#archive.close();
  }
}
