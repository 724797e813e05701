/**
 * The hub's side of exam requests: takes them from the channel (`exam-request`,
 * `exam-request-cancel`), stores them, opens their dispatch case (optional port), links the
 * studies the agent matched to them, and sends the radiologist's protocol answer back to the
 * site through the hub outbox.
 *
 * Contract:
 * - a request belongs to the agent that sent it first; another agent's message about it is
 *   refused (RELAIS_AUTH_FORBIDDEN, the channel rejects it); a revision not newer than the
 *   stored one is a no-op (replays are harmless); an invalid request (business rules) is refused;
 * - every change is durable before listeners, the dispatch port and the outbox hear of it; an
 *   answer is stored first and queued with the idempotency key `answer:<answerId>`, and
 *   `recover()` queues again every stored answer (the outbox drops those already queued or
 *   delivered), so an answer is never lost between the two writes;
 * - audit: creation, update, answer, cancel (DCM 110110), without identity.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { assertValid } from '../../protocol/validate.ts';
import { requestProblems } from '../../protocol/request-rules.ts';
import { examType, protocolTemplate } from '../../protocol/exams.ts';
import { ProtocolAnswer, type ExamRequest, type RadiologistRef } from '../../protocol/clinical.ts';
import type { RequestingClinician } from '../../protocol/dispatch.ts';
import { HubError } from '../errors.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { HubOutbox } from '../outbox/hub-outbox.ts';
import type { StudyStored } from '../ingest/ingest-service.ts';
import type { HubRequestRecord, RequestStore } from './request-store.ts';
import type { ClinicalDispatchPort } from './dispatch-port.ts';

export type AnswerInput =
  | { decision: 'accepted'; templateId: string; protocolText?: string }
  | { decision: 'needs-information'; question: string }
  | { decision: 'declined'; reason: string };

export interface RequestServiceDeps {
  clock: Clock;
  logger: Logger;
  store: RequestStore;
  outbox: HubOutbox;
  audit: AuditLog;
  /** The site an agent serves (dispatch routing); default: the agent id. */
  siteOf?: (agentId: string) => Promise<string>;
  dispatch?: ClinicalDispatchPort | undefined;
}

export type RequestListener = (record: HubRequestRecord, change: 'created' | 'updated' | 'cancelled' | 'answered' | 'study-linked') => void;

/** The requester as dispatch alerts need it (E.164 phone only; no patient data). */
export function requestingClinician(r: ExamRequest): RequestingClinician {
  const channels: RequestingClinician['channels'] = {};
  const phone = r.requester.phone.replace(/[\s.()-]/g, '');
  if (/^\+[1-9][0-9]{6,14}$/.test(phone)) channels.sms = phone;
  if (r.requester.email) channels.email = r.requester.email;
  return { name: r.requester.name.slice(0, 120), channels };
}

export class RequestService {
  readonly #d: RequestServiceDeps;
  readonly #listeners = new Set<RequestListener>();

  constructor(deps: RequestServiceDeps) {
    this.#d = deps;
  }

  /** Told after each durable change (`onRequest` of the channel API). */
  onRequest(listener: RequestListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get(requestId: string): HubRequestRecord | undefined {
    return this.#d.store.get(requestId);
  }

  list(): HubRequestRecord[] {
    return this.#d.store.list();
  }

  /** Channel handler of `exam-request`. */
  async received(agentId: string, request: ExamRequest): Promise<void> {
    const { store, clock } = this.#d;
    const problems = requestProblems(request, clock.now());
    if (problems.length > 0) throw new HubError('RELAIS_BAD_REQUEST', `invalid request: ${problems.map((p) => `${p.field} ${p.code}`).join(', ')}`.slice(0, 400));
    const record = await store.lock.run(request.requestId, async () => {
      const existing = store.get(request.requestId);
      if (existing && existing.agentId !== agentId) throw new HubError('RELAIS_AUTH_FORBIDDEN', 'this request belongs to another site');
      if (existing && existing.request.revision >= request.revision) return undefined;
      const now = new Date(clock.now()).toISOString();
      const next: HubRequestRecord = existing
        ? { ...existing, request, updatedAt: now, status: existing.status === 'needs-information' || existing.status === 'received' ? 'received' : existing.status }
        : { v: 1, requestId: request.requestId, agentId, request, status: 'received', receivedAt: now, updatedAt: now, answers: [], studies: [] };
      await store.put(next);
      await this.#d.audit.record({ event: 'patient-record', action: existing ? 'request-update' : 'request-create', actor: { kind: 'agent', id: agentId }, outcome: 'success', requestId: request.requestId, studyInstanceUid: request.studyInstanceUid });
      return { next, change: existing ? ('updated' as const) : ('created' as const) };
    });
    if (!record) return;
    await this.#d.dispatch?.requestReceived({
      caseId: request.requestId,
      siteId: await this.#siteOf(agentId),
      urgency: request.urgency,
      modality: request.exam.modality,
      bodyPart: request.exam.bodyPart,
      receivedAt: record.next.receivedAt,
      requestedBy: requestingClinician(request),
    });
    this.#emit(record.next, record.change);
  }

  /** Channel handler of `exam-request-cancel`. */
  async cancelled(agentId: string, requestId: string, reason: string, at: string): Promise<void> {
    const { store } = this.#d;
    const next = await store.lock.run(requestId, async () => {
      const existing = store.get(requestId);
      if (!existing) throw new HubError('RELAIS_NOT_FOUND', 'unknown request');
      if (existing.agentId !== agentId) throw new HubError('RELAIS_AUTH_FORBIDDEN', 'this request belongs to another site');
      if (existing.status === 'cancelled') return undefined;
      const rec: HubRequestRecord = { ...existing, status: 'cancelled', cancelled: { reason: reason.slice(0, 1000), at }, updatedAt: new Date(this.#d.clock.now()).toISOString() };
      await store.put(rec);
      await this.#d.audit.record({ event: 'patient-record', action: 'request-cancel', actor: { kind: 'agent', id: agentId }, outcome: 'success', requestId });
      return rec;
    });
    if (!next) return;
    await this.#d.dispatch?.requestClosed({ caseId: requestId, reason: `cancelled by the site: ${reason}`.slice(0, 200) });
    this.#emit(next, 'cancelled');
  }

  /** A radiologist's answer: stored, then queued for the site. */
  async answer(requestId: string, input: AnswerInput, by: { userId: string; radiologist: RadiologistRef }): Promise<HubRequestRecord> {
    const { store, clock } = this.#d;
    const next = await store.lock.run(requestId, async () => {
      const existing = store.get(requestId);
      if (!existing) throw new HubError('RELAIS_NOT_FOUND');
      if (existing.status === 'cancelled') throw new HubError('RELAIS_DISPATCH_INVALID_STATE', 'the site cancelled this request');
      const answeredAt = new Date(clock.now()).toISOString();
      const answer: ProtocolAnswer = {
        requestId,
        answerId: `an-${clock.now().toString(36)}-${randomBytes(6).toString('hex')}`,
        revision: existing.request.revision,
        decision: input.decision,
        radiologist: by.radiologist,
        answeredAt,
      };
      if (input.decision === 'accepted') {
        const tpl = protocolTemplate(existing.request.exam.examType, input.templateId);
        if (!tpl) throw new HubError('RELAIS_BAD_REQUEST', `unknown protocol template for ${existing.request.exam.examType}: ${input.templateId}`);
        answer.protocol = { templateId: tpl.id, templateLabel: tpl.label, text: (input.protocolText?.trim() || tpl.text.fr).slice(0, 4000) };
      } else if (input.decision === 'needs-information') answer.question = input.question;
      else answer.reason = input.reason;
      assertValid(ProtocolAnswer, answer);
      const rec: HubRequestRecord = { ...existing, status: input.decision, answers: [...existing.answers, answer], updatedAt: answeredAt };
      await store.put(rec);
      await this.#d.audit.record({ event: 'patient-record', action: `request-answer-${input.decision}`, actor: { kind: 'user', id: by.userId }, outcome: 'success', requestId });
      return rec;
    });
    const answer = next.answers.at(-1)!;
    await this.#d.outbox.enqueue(next.agentId, { type: 'protocol-answer', answer }, { id: `answer:${answer.answerId}` });
    await this.#d.dispatch?.requestAnswered?.({
      caseId: requestId,
      answerNumber: next.answers.length,
      decision: answer.decision,
      ...(answer.protocol ? { templateLabel: answer.protocol.templateLabel } : {}),
      radiologistName: answer.radiologist.name,
      ...(answer.radiologist.rpps ? { rpps: answer.radiologist.rpps } : {}),
    });
    if (input.decision === 'declined') await this.#d.dispatch?.requestClosed({ caseId: requestId, reason: 'declined by the radiologist' });
    this.#emit(next, 'answered');
    return next;
  }

  /** Ingest's hook: a stored study the agent matched to a request is linked to it (and its case). */
  async studyStored(e: StudyStored): Promise<void> {
    const r = e.record;
    const requestId = r.requestId;
    if (!requestId || r.hold) return;
    const { store } = this.#d;
    const linked = await store.lock.run(requestId, async () => {
      const existing = store.get(requestId);
      if (!existing || existing.agentId !== r.agentId) return undefined;
      if (existing.studies.includes(r.studyInstanceUid)) return { rec: existing, fresh: false };
      const rec: HubRequestRecord = { ...existing, studies: [...existing.studies, r.studyInstanceUid], updatedAt: new Date(this.#d.clock.now()).toISOString() };
      await store.put(rec);
      return { rec, fresh: true };
    });
    if (!linked) {
      this.#d.logger.warn({ agentId: r.agentId }, 'requests: a study names a request this hub does not hold (yet): not linked');
      return;
    }
    const req = linked.rec.request;
    await this.#d.dispatch?.studyMatched({
      caseId: requestId,
      studyInstanceUid: r.studyInstanceUid,
      siteId: await this.#siteOf(r.agentId),
      urgency: req.urgency,
      modality: req.exam.modality,
      bodyPart: req.exam.bodyPart,
    });
    if (linked.fresh) this.#emit(linked.rec, 'study-linked');
  }

  /** Start-up: answers stored but perhaps never queued are queued (idempotent keys). */
  async recover(): Promise<number> {
    let n = 0;
    for (const rec of this.#d.store.list()) {
      for (const answer of rec.answers) {
        const out = await this.#d.outbox.enqueue(rec.agentId, { type: 'protocol-answer', answer }, { id: `answer:${answer.answerId}` });
        if (!out.duplicate) n++;
      }
    }
    if (n > 0) this.#d.logger.info({ requeued: n }, 'requests: answers queued again after a restart');
    return n;
  }

  async #siteOf(agentId: string): Promise<string> {
    return this.#d.siteOf ? this.#d.siteOf(agentId) : agentId;
  }

  #emit(record: HubRequestRecord, change: Parameters<RequestListener>[1]): void {
    for (const l of this.#listeners) {
      try {
        l(record, change);
      } catch (err) {
        this.#d.logger.error({ err: (err as Error).message }, 'requests: listener failed');
      }
    }
  }
}

/** The exam label of a request (for pages and logs without identity). */
export function examLabel(r: ExamRequest, lang: 'fr' | 'en'): string {
  return examType(r.exam.examType)?.label[lang] ?? r.exam.examType;
}
