/**
 * Durable record of the hub's tus upload URL for one queued instance: queue/<id>/tus.json,
 * written (write-temp, fsync, rename, fsync dir) as soon as the hub answered the creation, so
 * that after a kill -9 of the agent the upload resumes at the hub's offset instead of starting
 * over. It travels with the instance folder (sent/, quarantine/) and is ignored there.
 *
 * Contract: `get` returns the URL only for the same bytes (SHA-256) — a record for other bytes
 * (the file was recompressed meanwhile) or an unreadable one counts as absent; `forget` is
 * idempotent.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Sha256Hex, IsoDateTime } from '../../protocol/index.ts';
import { check } from '../../protocol/validate.ts';
import { writeFileDurable } from '../../lib/durable-fs.ts';

export const RESUME_FILE = 'tus.json';

export const ResumeRecord = Type.Object({
  v: Type.Literal(1),
  url: Type.String({ maxLength: 2000, pattern: '^https?://' }),
  sha256: Sha256Hex,
  createdAt: IsoDateTime,
});
export type ResumeRecord = Static<typeof ResumeRecord>;

export interface ResumeStore {
  get(spoolId: string, sha256: string): Promise<string | undefined>;
  put(spoolId: string, record: ResumeRecord): Promise<void>;
  forget(spoolId: string): Promise<void>;
}

/** The store in the spool's queue folder (`queueDir(id)` is queue/<id>). */
export function spoolResumeStore(queueDir: (spoolId: string) => string): ResumeStore {
  const file = (id: string) => join(queueDir(id), RESUME_FILE);
  return {
    async get(id, sha256) {
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(file(id), 'utf8'));
      } catch {
        return undefined;
      }
      return check(ResumeRecord, raw) && raw.sha256 === sha256 ? raw.url : undefined;
    },
    async put(id, record) {
      await writeFileDurable(file(id), JSON.stringify(record));
    },
    async forget(id) {
      await rm(file(id), { force: true });
    },
  };
}

/** In memory (tests). */
export function memoryResumeStore(): ResumeStore & { records: Map<string, ResumeRecord> } {
  const records = new Map<string, ResumeRecord>();
  return {
    records,
    async get(id, sha256) {
      const r = records.get(id);
      return r && r.sha256 === sha256 ? r.url : undefined;
    },
    async put(id, record) {
      records.set(id, record);
    },
    async forget(id) {
      records.delete(id);
    },
  };
}
