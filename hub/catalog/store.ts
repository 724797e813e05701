/**
 * The catalog port: durable study records (one per study). Adapters: lowdb (default, one hub
 * process; lowdb-store.ts) and later PostgreSQL (several hub processes).
 * Contract: `put` resolves only when the record is durable; `get` finds live and archived
 * studies; `list` pages through studies, live first, newest first; `archive` moves a study
 * out of the live set (it stays readable through `get`/`list`); a `put` of an archived study
 * brings it back to the live set. Callers serialise writes per study (the store does not merge).
 */
import type { StudyRecord } from './study-record.ts';

export interface StudyQuery {
  studyInstanceUids?: string[];
  agentId?: string;
  /** Include archived studies (default true). */
  includeArchived?: boolean;
}

export interface CatalogStore {
  get(studyInstanceUid: string): Promise<StudyRecord | undefined>;
  put(record: StudyRecord): Promise<void>;
  /** Every matching study (callers filter and page); live studies first, newest first. */
  list(query?: StudyQuery): Promise<StudyRecord[]>;
  /** Live studies only (small by construction). */
  live(): Promise<StudyRecord[]>;
  archive(studyInstanceUid: string): Promise<void>;
  close(): Promise<void>;
}
