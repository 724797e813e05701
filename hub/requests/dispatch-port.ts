/**
 * What the clinical loop tells the dispatch engine, as an optional port: the hub runs without
 * it (the engine may not be wired in yet) and `dispatchPortFor(engine)` adapts a running
 * DispatchEngine. The case of a request is keyed by the request id (the request comes first);
 * its images attach to it when a matched study arrives. Nothing identifying reaches the engine.
 *
 * Contract: every method is idempotent (a message replayed after a crash calls it again);
 * a case in a state that does not allow the step gets a timeline note instead of an error.
 */
import type { Urgency } from '../../protocol/common.ts';
import type { RequestingClinician } from '../../protocol/dispatch.ts';
import type { AnswerDecision } from '../../protocol/clinical.ts';
import type { DispatchEngine } from '../dispatch/engine.ts';
import { DispatchError } from '../dispatch/engine.ts';

export interface RequestCaseFacts {
  caseId: string;
  siteId: string;
  urgency: Urgency;
  modality: string;
  bodyPart: string;
  receivedAt: string;
  requestedBy?: RequestingClinician;
}

export interface ClinicalDispatchPort {
  requestReceived(facts: RequestCaseFacts): Promise<void>;
  studyMatched(e: { caseId: string; studyInstanceUid: string; siteId: string; urgency: Urgency; modality: string; bodyPart: string }): Promise<void>;
  requestClosed(e: { caseId: string; reason: string }): Promise<void>;
  reportSent(e: { caseId: string; radiologistId?: string; signedAt: string }): Promise<void>;
  reportDelivered(e: { caseId: string; deliveredAt: string }): Promise<void>;
  /** The radiologist answered the request: timeline line, the clinician is told (no free text). */
  requestAnswered?(e: { caseId: string; answerNumber: number; decision: AnswerDecision; templateLabel?: { fr: string; en: string }; radiologistName: string; rpps?: string }): Promise<void>;
}

/** What the clinician is told of an answer (never the radiologist's free text: it may name the patient). */
export function answerWords(decision: AnswerDecision, templateLabel?: { fr: string; en: string }): { fr: string; en: string } {
  if (decision === 'accepted') return { fr: `indication acceptée, protocole « ${templateLabel?.fr ?? '—'} » envoyé`, en: `indication accepted, protocol "${templateLabel?.en ?? '—'}" sent` };
  if (decision === 'needs-information') return { fr: 'complément d’information demandé', en: 'more information asked' };
  return { fr: 'demande refusée (motif sur la page locale)', en: 'request declined (reason on the local page)' };
}

const text = (fr: string, en: string) => ({ fr, en });

export function dispatchPortFor(engine: DispatchEngine): ClinicalDispatchPort {
  const tolerant = async (caseId: string, step: () => Promise<unknown>, note: { type: string; fr: string; en: string }) => {
    try {
      await step();
    } catch (err) {
      if (!(err instanceof DispatchError) || err.code !== 'RELAIS_DISPATCH_INVALID_STATE') throw err;
      if (engine.getCase(caseId)) await engine.note(caseId, note.type, { kind: 'system' }, text(note.fr, note.en));
    }
  };
  return {
    async requestReceived(f) {
      if (engine.getCase(f.caseId)) return;
      await engine.onStudyReceived({
        caseId: f.caseId,
        siteId: f.siteId,
        urgency: f.urgency,
        modality: f.modality,
        bodyPart: f.bodyPart,
        receivedAt: f.receivedAt,
        ...(f.requestedBy ? { requestedBy: f.requestedBy } : {}),
      });
    },
    async studyMatched(e) {
      await engine.onStudyReceived({ caseId: e.caseId, studyInstanceUid: e.studyInstanceUid, siteId: e.siteId, urgency: e.urgency, modality: e.modality, bodyPart: e.bodyPart });
    },
    async requestClosed(e) {
      if (!engine.getCase(e.caseId)) return;
      await tolerant(e.caseId, () => engine.cancel(e.caseId, e.reason, { kind: 'system' }), { type: 'request-closed', fr: 'Demande close', en: 'Request closed' });
    },
    async reportSent(e) {
      if (!engine.getCase(e.caseId)) return;
      const c = engine.getCase(e.caseId)!;
      const radiologistId = e.radiologistId ?? c.assignee;
      if (!radiologistId) return;
      await tolerant(e.caseId, () => engine.onReportSigned({ caseId: e.caseId, radiologistId, signedAt: e.signedAt }), { type: 'report-sent', fr: 'Compte rendu envoyé au site', en: 'Report sent to the site' });
    },
    async requestAnswered(e) {
      if (!engine.getCase(e.caseId)) return;
      await engine.onRequestAnswered({
        caseId: e.caseId,
        answerNumber: e.answerNumber,
        words: answerWords(e.decision, e.templateLabel),
        radiologistName: e.radiologistName,
        actor: { kind: 'radiologist', ...(e.rpps ? { rpps: e.rpps } : {}) },
      });
    },
    async reportDelivered(e) {
      if (!engine.getCase(e.caseId)) return;
      await tolerant(e.caseId, () => engine.onReportDelivered({ caseId: e.caseId, deliveredAt: e.deliveredAt }), { type: 'report-delivered', fr: 'Compte rendu livré au PACS du site', en: 'Report delivered to the site PACS' });
    },
  };
}
