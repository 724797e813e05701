/**
 * The site's exam requests on the agent: one JSON file per request under
 * <data>/clinical/requests/ (mode 0600: patient identity inside), validated when read, all kept
 * in memory (a site's live requests are few) with indexes by accession number and Study UID.
 * Contract: `put` resolves once the file is durable; this store is the only writer; callers
 * serialise changes of one request (`lock`).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { Logger } from '../../lib/logger.ts';
import { ensureDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { check, validationErrors } from '../../protocol/validate.ts';
import { IsoDateTime, Uid } from '../../protocol/common.ts';
import { ExamRequest, ProtocolAnswer } from '../../protocol/clinical.ts';

export const AgentRequestStatus = Type.Union([
  /** Stored on the agent, waiting for the hub. */
  Type.Literal('queued'),
  /** The hub has it; no answer yet. */
  Type.Literal('sent'),
  Type.Literal('accepted'),
  Type.Literal('needs-information'),
  Type.Literal('declined'),
  Type.Literal('cancelled'),
  /** The hub refused the message itself (should not happen: validated at entry). */
  Type.Literal('refused'),
]);
export type AgentRequestStatus = Static<typeof AgentRequestStatus>;

export const ReportRef = Type.Object({
  reportId: Type.String(),
  title: Type.String(),
  critical: Type.Boolean(),
  signedAt: IsoDateTime,
  radiologist: Type.String(),
  receivedAt: IsoDateTime,
  status: Type.Union([Type.Literal('delivering'), Type.Literal('delivered'), Type.Literal('undeliverable')]),
});
export type ReportRef = Static<typeof ReportRef>;

export const AgentRequestRecord = Type.Object({
  v: Type.Literal(1),
  request: ExamRequest,
  origin: Type.Union([Type.Literal('site'), Type.Literal('hub')]),
  status: AgentRequestStatus,
  createdBy: Type.String({ maxLength: 64 }),
  sentAt: Type.Optional(IsoDateTime),
  answers: Type.Array(ProtocolAnswer),
  /** When the requester last opened the latest answer on the page. */
  answerSeenAt: Type.Optional(IsoDateTime),
  studies: Type.Array(Type.Object({ studyInstanceUid: Uid, firstSeenAt: IsoDateTime })),
  reports: Type.Array(ReportRef),
  cancelled: Type.Optional(Type.Object({ reason: Type.String(), at: IsoDateTime, by: Type.String() })),
});
export type AgentRequestRecord = Static<typeof AgentRequestRecord>;

export class AgentRequestStore {
  readonly #dir: string;
  readonly #log: Logger;
  readonly #byId = new Map<string, AgentRequestRecord>();
  readonly #byAccession = new Map<string, string>();
  readonly #byStudy = new Map<string, string>();
  #chain = new Map<string, Promise<unknown>>();

  constructor(dir: string, log: Logger) {
    this.#dir = dir;
    this.#log = log;
  }

  async open(): Promise<number> {
    await ensureDir(this.#dir);
    for (const name of await readdir(this.#dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(join(this.#dir, name), 'utf8'));
      } catch {
        raw = undefined;
      }
      if (!check(AgentRequestRecord, raw)) {
        this.#log.error({ file: name, errors: validationErrors(AgentRequestRecord, raw).slice(0, 3) }, 'requests: invalid record left aside');
        continue;
      }
      this.#index(raw);
    }
    return this.#byId.size;
  }

  /** Runs `fn` after every earlier change of the same request. */
  lock<T>(requestId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#chain.get(requestId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.#chain.set(requestId, tail);
    void tail.then(() => {
      if (this.#chain.get(requestId) === tail) this.#chain.delete(requestId);
    });
    return run;
  }

  get(requestId: string): AgentRequestRecord | undefined {
    return this.#byId.get(requestId);
  }

  byAccession(accession: string): AgentRequestRecord | undefined {
    const id = this.#byAccession.get(accession.trim());
    return id ? this.#byId.get(id) : undefined;
  }

  byStudyUid(uid: string): AgentRequestRecord | undefined {
    const id = this.#byStudy.get(uid);
    return id ? this.#byId.get(id) : undefined;
  }

  /** Newest first. */
  list(): AgentRequestRecord[] {
    return [...this.#byId.values()].sort((a, b) => b.request.createdAt.localeCompare(a.request.createdAt));
  }

  async put(record: AgentRequestRecord): Promise<void> {
    if (!check(AgentRequestRecord, record)) throw new Error(`invalid request record: ${validationErrors(AgentRequestRecord, record).slice(0, 3).join('; ')}`);
    await writeFileDurable(join(this.#dir, `${record.request.requestId}.json`), JSON.stringify(record), { mode: 0o600 });
    this.#index(record);
  }

  #index(r: AgentRequestRecord): void {
    this.#byId.set(r.request.requestId, r);
    this.#byAccession.set(r.request.accessionNumber, r.request.requestId);
    this.#byStudy.set(r.request.studyInstanceUid, r.request.requestId);
    for (const s of r.studies) this.#byStudy.set(s.studyInstanceUid, r.request.requestId);
  }
}
