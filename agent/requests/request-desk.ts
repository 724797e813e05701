/**
 * The request desk of the site: creates exam requests (identifiers, validation, durable
 * storage, then the channel to the hub), updates and cancels them, applies what the hub answers
 * (protocol answers, hub-created worklist entries), links matched studies and reports, and
 * says which requests belong on the modality worklist.
 *
 * Contract:
 * - `create` validates the request (schema + business rules) and returns the problems, or
 *   stores it and queues it for the hub: when it resolves `ok`, nothing is lost if the link or
 *   the agent goes down (both writes are durable);
 * - answers are applied idempotently (by answer id); an answer to a cancelled request is kept
 *   but does not change its status; the latest answer sets the status;
 * - the worklist holds accepted, not cancelled requests, until 12 h after their first study.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { check, validationErrors } from '../../protocol/validate.ts';
import { requestProblems, requestWarnings, type RequestProblem } from '../../protocol/request-rules.ts';
import { ExamRequest, type ProtocolAnswer, type SignedReport } from '../../protocol/clinical.ts';
import type { MessageOutbox } from '../outbox-messages/message-outbox.ts';
import type { AgentRequestRecord, AgentRequestStore, ReportRef } from './request-store.ts';
import { newRequestId, newStudyUid, type AccessionCounter } from './identifiers.ts';

/** What a person enters; the desk adds ids, dates, accession number and Study UID. */
export type NewRequest = Omit<ExamRequest, 'requestId' | 'revision' | 'createdAt' | 'updatedAt' | 'accessionNumber' | 'studyInstanceUid'>;

export type CreateResult = { ok: true; record: AgentRequestRecord; warnings: RequestProblem[] } | { ok: false; problems: RequestProblem[] };

export interface RequestDeskDeps {
  clock: Clock;
  log: Logger;
  store: AgentRequestStore;
  accessions: AccessionCounter;
  outbox: MessageOutbox;
}

const WORKLIST_AFTER_STUDY_MS = 12 * 3600_000;

export function requestMessageId(r: ExamRequest): string {
  return `exam-request:${r.requestId}:${r.revision}`;
}

/** Maps TypeBox errors of a request to field problems (`/patient/birthNames` → patient.birthNames). */
export function schemaProblems(value: unknown): RequestProblem[] {
  const seen = new Set<string>();
  const out: RequestProblem[] = [];
  for (const e of validationErrors(ExamRequest, value)) {
    const path = e.split(':')[0]!.replace(/^\//, '').replace(/\//g, '.');
    const field = path || 'request';
    if (seen.has(field)) continue;
    seen.add(field);
    out.push({ field, code: 'invalid' });
  }
  return out;
}

export class RequestDesk {
  readonly events = new EventEmitter<{ changed: [AgentRequestRecord] }>();
  readonly #d: RequestDeskDeps;

  constructor(deps: RequestDeskDeps) {
    this.#d = deps;
    deps.outbox.events.on('sent', (env) => {
      const body = env.body as { type?: string; request?: ExamRequest };
      if (body.type === 'exam-request' && body.request) void this.#markSent(body.request.requestId).catch((err: Error) => deps.log.error({ err: err.message }, 'requests: could not record a sent request'));
    });
    deps.outbox.events.on('rejected', (env) => {
      const body = env.body as { type?: string; request?: ExamRequest };
      if (body.type === 'exam-request' && body.request) void this.#setStatus(body.request.requestId, 'refused').catch(() => {});
    });
  }

  get store(): AgentRequestStore {
    return this.#d.store;
  }

  /** Start-up: a request whose message left the outbox before its status was saved is `sent`. */
  async recover(): Promise<void> {
    for (const r of this.#d.store.list()) {
      if (r.status === 'queued' && !this.#d.outbox.has(requestMessageId(r.request))) await this.#markSent(r.request.requestId);
    }
  }

  async create(input: NewRequest, user: string): Promise<CreateResult> {
    const { clock, store } = this.#d;
    const now = new Date(clock.now()).toISOString();
    const draft = {
      ...input,
      requestId: newRequestId(clock.now()),
      revision: 1,
      createdAt: now,
      updatedAt: now,
      accessionNumber: 'PENDING',
      studyInstanceUid: newStudyUid(),
    };
    if (!check(ExamRequest, draft)) return { ok: false, problems: schemaProblems(draft) };
    const problems = requestProblems(draft, clock.now());
    if (problems.length > 0) return { ok: false, problems };
    const request: ExamRequest = { ...draft, accessionNumber: await this.#d.accessions.next((a) => store.byAccession(a) !== undefined) };
    const record: AgentRequestRecord = { v: 1, request, origin: 'site', status: 'queued', createdBy: user, answers: [], studies: [], reports: [] };
    await store.lock(request.requestId, async () => {
      await store.put(record);
      await this.#d.outbox.enqueue({ type: 'exam-request', request }, requestMessageId(request));
    });
    this.#d.log.info({ requestId: request.requestId, urgency: request.urgency, exam: request.exam.examType }, 'requests: request created and queued for the hub');
    this.events.emit('changed', record);
    return { ok: true, record, warnings: requestWarnings(request) };
  }

  /** More information (answer to a question) or corrected clinical text: a new revision. */
  async update(requestId: string, patch: { additionalInformation?: string; context?: string; question?: string }, user: string): Promise<CreateResult> {
    const { store, clock } = this.#d;
    const current = store.get(requestId);
    if (!current) return { ok: false, problems: [{ field: 'requestId', code: 'unknown' }] };
    if (current.status === 'cancelled') return { ok: false, problems: [{ field: 'requestId', code: 'cancelled' }] };
    const clinical = { ...current.request.clinical };
    if (patch.additionalInformation !== undefined) clinical.additionalInformation = patch.additionalInformation;
    if (patch.context !== undefined) clinical.context = patch.context;
    if (patch.question !== undefined) clinical.question = patch.question;
    const request: ExamRequest = { ...current.request, clinical, revision: current.request.revision + 1, updatedAt: new Date(clock.now()).toISOString() };
    if (!check(ExamRequest, request)) return { ok: false, problems: schemaProblems(request) };
    const record = await store.lock(requestId, async () => {
      const latest = store.get(requestId)!;
      const next: AgentRequestRecord = { ...latest, request, status: latest.status === 'needs-information' || latest.status === 'sent' ? 'queued' : latest.status };
      await store.put(next);
      await this.#d.outbox.enqueue({ type: 'exam-request', request }, requestMessageId(request));
      return next;
    });
    this.#d.log.info({ requestId, revision: request.revision, by: user }, 'requests: request updated and queued for the hub');
    this.events.emit('changed', record);
    return { ok: true, record, warnings: [] };
  }

  async cancel(requestId: string, reason: string, user: string): Promise<AgentRequestRecord | undefined> {
    const { store, clock } = this.#d;
    const record = await store.lock(requestId, async () => {
      const latest = store.get(requestId);
      if (!latest || latest.status === 'cancelled') return latest;
      const at = new Date(clock.now()).toISOString();
      const next: AgentRequestRecord = { ...latest, status: 'cancelled', cancelled: { reason, at, by: user } };
      await store.put(next);
      await this.#d.outbox.enqueue({ type: 'exam-request-cancel', requestId, reason, cancelledAt: at }, `exam-request-cancel:${requestId}`);
      return next;
    });
    if (record) this.events.emit('changed', record);
    return record;
  }

  /** Inbox handler of `protocol-answer`. */
  async applyAnswer(answer: ProtocolAnswer): Promise<void> {
    const { store } = this.#d;
    const record = await store.lock(answer.requestId, async () => {
      const latest = store.get(answer.requestId);
      if (!latest) {
        this.#d.log.warn({ requestId: answer.requestId }, 'requests: answer for a request this agent does not hold: ignored');
        return undefined;
      }
      if (latest.answers.some((a) => a.answerId === answer.answerId)) return undefined;
      const answers = [...latest.answers, answer].sort((a, b) => a.answeredAt.localeCompare(b.answeredAt));
      const newest = answers.at(-1)!;
      const next: AgentRequestRecord = { ...latest, answers, status: latest.status === 'cancelled' ? 'cancelled' : newest.decision };
      delete next.answerSeenAt;
      await store.put(next);
      return next;
    });
    if (!record) return;
    this.#d.log.info({ requestId: answer.requestId, decision: answer.decision }, 'requests: protocol answer received');
    this.events.emit('changed', record);
  }

  /** Inbox handler of `worklist-entry`: a request made at the hub for this site. */
  async applyWorklistEntry(request: ExamRequest, answer: ProtocolAnswer | undefined): Promise<void> {
    const { store } = this.#d;
    const record = await store.lock(request.requestId, async () => {
      const latest = store.get(request.requestId);
      if (latest && latest.request.revision >= request.revision) return undefined;
      const answers = latest?.answers ?? [];
      if (answer && !answers.some((a) => a.answerId === answer.answerId)) answers.push(answer);
      const next: AgentRequestRecord = {
        v: 1,
        request,
        origin: latest?.origin ?? 'hub',
        status: answers.at(-1)?.decision ?? 'sent',
        createdBy: latest?.createdBy ?? 'hub',
        answers,
        studies: latest?.studies ?? [],
        reports: latest?.reports ?? [],
        sentAt: latest?.sentAt ?? request.createdAt,
      };
      await store.put(next);
      return next;
    });
    if (record) this.events.emit('changed', record);
  }

  async linkStudy(requestId: string, studyInstanceUid: string): Promise<void> {
    const { store, clock } = this.#d;
    const record = await store.lock(requestId, async () => {
      const latest = store.get(requestId);
      if (!latest || latest.studies.some((s) => s.studyInstanceUid === studyInstanceUid)) return undefined;
      const next: AgentRequestRecord = { ...latest, studies: [...latest.studies, { studyInstanceUid, firstSeenAt: new Date(clock.now()).toISOString() }] };
      await store.put(next);
      return next;
    });
    if (record) this.events.emit('changed', record);
  }

  async setReport(requestId: string, report: SignedReport | undefined, ref: Partial<ReportRef> & { reportId: string }): Promise<void> {
    const { store, clock } = this.#d;
    const record = await store.lock(requestId, async () => {
      const latest = store.get(requestId);
      if (!latest) return undefined;
      const existing = latest.reports.find((r) => r.reportId === ref.reportId);
      let reports: ReportRef[];
      if (existing) reports = latest.reports.map((r) => (r.reportId === ref.reportId ? { ...r, ...ref } : r));
      else if (report) {
        reports = [...latest.reports, { title: report.title, critical: report.critical, signedAt: report.signedAt, radiologist: report.radiologist.name, receivedAt: new Date(clock.now()).toISOString(), status: 'delivering', ...ref }];
      } else return undefined;
      const next: AgentRequestRecord = { ...latest, reports };
      await store.put(next);
      return next;
    });
    if (record) this.events.emit('changed', record);
  }

  async markAnswerSeen(requestId: string): Promise<void> {
    const { store, clock } = this.#d;
    await store.lock(requestId, async () => {
      const latest = store.get(requestId);
      if (!latest || latest.answers.length === 0 || latest.answerSeenAt) return;
      await store.put({ ...latest, answerSeenAt: new Date(clock.now()).toISOString() });
    });
  }

  /** Requests that belong on the modality worklist now. */
  worklist(): AgentRequestRecord[] {
    const now = this.#d.clock.now();
    return this.#d.store.list().filter((r) => {
      if (r.status !== 'accepted') return false;
      const first = r.studies[0];
      return !first || now - Date.parse(first.firstSeenAt) < WORKLIST_AFTER_STUDY_MS;
    });
  }

  async #markSent(requestId: string): Promise<void> {
    const { store, clock } = this.#d;
    const record = await store.lock(requestId, async () => {
      const latest = store.get(requestId);
      if (!latest || latest.status !== 'queued') return undefined;
      const next: AgentRequestRecord = { ...latest, status: latest.answers.at(-1)?.decision ?? 'sent', sentAt: latest.sentAt ?? new Date(clock.now()).toISOString() };
      await store.put(next);
      return next;
    });
    if (record) this.events.emit('changed', record);
  }

  async #setStatus(requestId: string, status: AgentRequestRecord['status']): Promise<void> {
    const { store } = this.#d;
    const record = await store.lock(requestId, async () => {
      const latest = store.get(requestId);
      if (!latest) return undefined;
      const next = { ...latest, status };
      await store.put(next);
      return next;
    });
    if (record) this.events.emit('changed', record);
  }
}
