/**
 * The audit trail (who did what, when, to which study): append-only JSON lines, one file per
 * UTC day under DATA/audit/, each record fsynced before `record` resolves — callers await it
 * before answering, so no transfer or access is ever served without its durable trace.
 * Records carry DICOM audit event ids (DCM 110xxx, as IHE ATNA) and never patient names or
 * identifiers: only UIDs, hashes, actor ids and outcomes.
 */
import { join } from 'node:path';
import type { Clock } from '../../lib/clock.ts';
import { JsonlFile } from '../storage/jsonl-file.ts';

export const AUDIT_EVENTS = {
  'application-activity': '110100',
  'instances-accessed': '110103',
  'instances-transferred': '110104',
  'patient-record': '110110',
  query: '110112',
  'security-alert': '110113',
  'user-authentication': '110114',
} as const;

export type AuditEventType = keyof typeof AUDIT_EVENTS;

export interface AuditActor {
  kind: 'agent' | 'user' | 'system' | 'anonymous';
  id: string;
  role?: string;
}

export interface AuditEntry {
  event: AuditEventType;
  actor: AuditActor;
  outcome: 'success' | 'failure';
  /** What was done, e.g. "upload", "wado-instance", "qido-studies", "sign-in". */
  action: string;
  ip?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
  /** Exam request or report concerned (internal ids, not identifying). */
  requestId?: string;
  reportId?: string;
  sha256?: string;
  bytes?: number;
  count?: number;
  /** Machine-readable result, e.g. "stored", "duplicate", an error code. */
  result?: string;
}

export interface AuditRecord extends AuditEntry {
  at: string;
  dcm: string;
}

/** The audit port: resolves when the record is durable. */
export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  close(): Promise<void>;
}

export class JsonlAuditLog implements AuditLog {
  readonly #dir: string;
  readonly #clock: Clock;
  #file: JsonlFile | undefined;
  #day = '';

  constructor(dir: string, clock: Clock) {
    this.#dir = dir;
    this.#clock = clock;
  }

  async record(entry: AuditEntry): Promise<void> {
    const now = new Date(this.#clock.now());
    const day = now.toISOString().slice(0, 10);
    if (day !== this.#day || !this.#file) {
      const old = this.#file;
      this.#file = new JsonlFile(join(this.#dir, `audit-${day}.jsonl`));
      this.#day = day;
      void old?.close();
    }
    const rec: AuditRecord = { at: now.toISOString(), dcm: AUDIT_EVENTS[entry.event], ...entry };
    await this.#file.append(rec);
  }

  async close(): Promise<void> {
    await this.#file?.close();
  }
}
