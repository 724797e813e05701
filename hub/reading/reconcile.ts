/**
 * Identity vigilance at the hub: the studies held for reconciliation (no matching request, or an
 * identity disagreeing with its request) and the operator's two decisions — attach the study to
 * a request of the same site, or release it as unsolicited (a case of its own).
 *
 * Contract:
 * - only a held study may be decided, once; the decision is written on the catalog record
 *   (`reconciled`: decision, request, the hold's reasons and start, who, when) under the
 *   study's lock, the hold lifted, and the original DICOM values left as they were (they are
 *   never rewritten: the stored instances keep them too); the operator's justification is kept
 *   there too, never on the timeline nor in logs (it may name the patient);
 * - attach: the request must belong to the study's agent and be neither cancelled nor declined;
 *   the study then joins the request's case (as a matched study does at ingest); a case the
 *   study had of its own while held is cancelled, with the reason;
 * - unsolicited: the study's own case opens (or its held case is released) and is dispatched;
 * - each decision is audited (patient-record, no identity) and written on the case's timeline,
 *   with how long the study was held and why.
 */
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { HubError } from '../errors.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { CatalogStore } from '../catalog/store.ts';
import { transferStatus, type StudyRecord } from '../catalog/study-record.ts';
import type { KeyedMutex } from '../storage/keyed-mutex.ts';
import type { DispatchEngine } from '../dispatch/engine.ts';
import type { StudyCases } from '../dispatch/study-cases.ts';
import type { RequestService } from '../requests/request-service.ts';
import type { HubRequestRecord } from '../requests/request-store.ts';

export interface ReconcilerDeps {
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  catalog: CatalogStore;
  studyLocks: KeyedMutex;
  engine: DispatchEngine;
  cases: StudyCases;
  requests: RequestService;
  onStudyChanged?: (record: StudyRecord) => void;
}

export interface HeldStudy {
  study: StudyRecord;
  /** The request the agent pointed at (by accession or UID), if any. */
  request?: HubRequestRecord | undefined;
  /** Requests of the same site the study could be attached to (the pointed one first). */
  candidates: HubRequestRecord[];
}

const OPEN = new Set(['received', 'accepted', 'needs-information']);

export class Reconciler {
  readonly #d: ReconcilerDeps;

  constructor(deps: ReconcilerDeps) {
    this.#d = deps;
  }

  async held(): Promise<HeldStudy[]> {
    const all = this.#d.requests.list();
    return (await this.#d.catalog.live())
      .filter((s) => s.hold)
      .sort((a, b) => a.hold!.since.localeCompare(b.hold!.since))
      .map((s) => {
        // The request the agent pointed at, else the one of this site with the study's accession or UID.
        const pointed = s.hold?.requestId
          ? this.#d.requests.get(s.hold.requestId)
          : all.find((r) => r.agentId === s.agentId && ((!!s.dicom.accessionNumber && r.request.accessionNumber === s.dicom.accessionNumber) || r.request.studyInstanceUid === s.studyInstanceUid));
        const others = all.filter((r) => r.agentId === s.agentId && OPEN.has(r.status) && r.requestId !== pointed?.requestId);
        return { study: s, request: pointed, candidates: [...(pointed && pointed.agentId === s.agentId ? [pointed] : []), ...others] };
      });
  }

  async attach(uid: string, requestId: string, note: string, by: { userId: string; role: string }): Promise<StudyRecord> {
    const req = this.#d.requests.get(requestId);
    const { previous, next } = await this.#decide(uid, note, by, (s) => {
      if (!req || req.agentId !== s.agentId) throw new HubError('RELAIS_NOT_FOUND', 'no such request for this site');
      if (req.status === 'cancelled' || req.status === 'declined') throw new HubError('RELAIS_DISPATCH_INVALID_STATE', `the request is ${req.status}`);
      return { decision: 'attached', requestId };
    });
    const { engine } = this.#d;
    const own = engine.getCase(uid);
    if (own && own.caseId !== requestId && !['cancelled', 'reported', 'delivered'].includes(own.state)) {
      await engine.cancel(uid, 'reconciliation: attached to its exam request', { kind: 'operator', id: by.userId });
    }
    await this.#d.requests.studyStored({ record: next, previous });
    await this.#d.cases.studyStored({ record: next, previous });
    await this.#timeline(next, by);
    return next;
  }

  async release(uid: string, note: string, by: { userId: string; role: string }): Promise<StudyRecord> {
    const { previous, next } = await this.#decide(uid, note, by, () => ({ decision: 'unsolicited' }));
    const own = this.#d.engine.getCase(uid);
    if (own?.state === 'held') await this.#d.engine.release(uid, { kind: 'operator', id: by.userId });
    else await this.#d.cases.studyStored({ record: next, previous });
    await this.#timeline(next, by);
    return next;
  }

  async #decide(uid: string, note: string, by: { userId: string; role: string }, pick: (s: StudyRecord) => { decision: 'attached' | 'unsolicited'; requestId?: string }) {
    const at = new Date(this.#d.clock.now()).toISOString();
    const out = await this.#d.studyLocks.run(uid, async () => {
      const s = await this.#d.catalog.get(uid);
      if (!s) throw new HubError('RELAIS_NOT_FOUND');
      if (!s.hold) throw new HubError('RELAIS_DISPATCH_INVALID_STATE', 'this study is not held');
      const d = pick(s);
      const next: StudyRecord = {
        ...s,
        status: transferStatus(s),
        updatedAt: at,
        reconciled: { decision: d.decision, ...(d.requestId ? { requestId: d.requestId } : {}), reasons: [...s.hold.reasons], heldSince: s.hold.since, at, by: by.userId, ...(note.trim() ? { note: note.trim().slice(0, 500) } : {}) },
      };
      delete next.hold;
      if (d.requestId) next.requestId = d.requestId;
      else delete next.requestId;
      await this.#d.catalog.put(next);
      return { previous: s, next };
    });
    await this.#d.audit.record({
      event: 'patient-record', action: `reconcile-${out.next.reconciled!.decision}`, actor: { kind: 'user', id: by.userId, role: by.role }, outcome: 'success',
      studyInstanceUid: uid, ...(out.next.requestId ? { requestId: out.next.requestId } : {}), result: out.previous.hold!.reasons.join(','),
    });
    this.#d.onStudyChanged?.(out.next);
    return out;
  }

  async #timeline(s: StudyRecord, by: { userId: string }): Promise<void> {
    const r = s.reconciled!;
    const caseId = this.#d.cases.caseIdOf(s.studyInstanceUid);
    if (!this.#d.engine.hasCase(caseId)) return;
    const why = r.reasons.join(', ');
    const noted = !!r.note;
    const text = r.decision === 'attached'
      ? { fr: `rapprochement : examen rattaché à la demande par l'opérateur (retenu depuis ${r.heldSince} : ${why})${noted ? ', justification enregistrée' : ''}`, en: `reconciliation: study attached to the request by the operator (held since ${r.heldSince}: ${why})${noted ? ', justification recorded' : ''}` }
      : { fr: `rapprochement : examen libéré comme non sollicité par l'opérateur (retenu depuis ${r.heldSince} : ${why})${noted ? ', justification enregistrée' : ''}`, en: `reconciliation: study released as unsolicited by the operator (held since ${r.heldSince}: ${why})${noted ? ', justification recorded' : ''}` };
    await this.#d.engine.note(caseId, 'reconciled', { kind: 'operator', id: by.userId }, text, { decision: r.decision, reasons: r.reasons, heldSince: r.heldSince });
  }
}
