/**
 * Studies and their dispatch cases, kept in step (the bridge between ingest/catalog and the
 * engine). Contract:
 * - A study's case opens when its first instance is stored (not when the transfer completes:
 *   an emergency radiologist is better told at once, and sees the transfer's progress), before
 *   that upload is acknowledged; `siteId` is the sending agent's site, urgency the upload's
 *   (`relais-urgency` / manifest), modality and body part the catalog's header attributes.
 *   Nothing else goes to the engine: no patient identity. The case id is the Study Instance UID,
 *   unless `resolveCaseId` names another (issue 7: the request the study answers, matched by
 *   accession number or study UID — the engine then attaches the images to that case).
 * - An engine refusal of the study's facts (a validation error: permanent) is logged and does
 *   not fail the upload (the images must still be kept); storage errors do fail it (retried).
 * - When the transfer completes, the case's timeline says so once.
 * - The catalog's study status follows the case (assigned, acknowledged, reported, delivered,
 *   held; otherwise the transfer's receiving/complete), written under the study's lock, and
 *   every case change is published to the fleet view (status and « assigné à … »).
 * - `recover()` (at start): opens the cases of live studies that have none (a crash between
 *   storing an instance and opening its case) and re-aligns catalog statuses.
 */
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { CaseState, WorklistItem } from '../../protocol/dispatch.ts';
import { ProtocolValidationError } from '../../protocol/validate.ts';
import type { StudyCase, StudyStatus } from '../../protocol/fleet.ts';
import type { IdentityStore } from '../../provisioning/identity-store.ts';
import { agentSiteId } from '../../provisioning/identity-schema.ts';
import type { CatalogStore } from '../catalog/store.ts';
import { transferStatus, type StudyRecord } from '../catalog/study-record.ts';
import type { KeyedMutex } from '../storage/keyed-mutex.ts';
import type { StudyStored } from '../ingest/ingest-service.ts';
import type { DispatchEngine } from './engine.ts';
import { T } from './texts.ts';

export interface StudyCasesDeps {
  clock: Clock;
  logger: Logger;
  engine: DispatchEngine;
  catalog: CatalogStore;
  identities: IdentityStore;
  studyLocks: KeyedMutex;
  /** A study's record changed (status from its case): push it to live pages. */
  publish: (record: StudyRecord) => void;
  /** The case a new study belongs to (default: a case of its own, id = Study Instance UID). */
  resolveCaseId?: (record: StudyRecord) => Promise<string | undefined>;
}

const CASE_STATUSES: ReadonlySet<string> = new Set<CaseState>(['assigned', 'acknowledged', 'reported', 'delivered', 'held']);

/** The catalog status of a study given its case's state (none: the transfer's). */
export function studyStatusFor(record: StudyRecord, state: CaseState | undefined): StudyStatus {
  if (record.hold) return 'held'; // identity vigilance: held until reconciled, whatever its case
  // A report confirmed in the site PACS is final, even when the case never reached `reported`
  // (a report signed by a radiologist who was not its assignee, or a case without one).
  if (record.status === 'delivered') return 'delivered';
  return state && CASE_STATUSES.has(state) ? (state as StudyStatus) : transferStatus(record);
}

/** What the fleet view shows of a study's case. */
export function studyCaseOf(item: WorklistItem | undefined): StudyCase | undefined {
  if (!item) return undefined;
  const out: StudyCase = { caseId: item.caseId, reference: item.reference, state: item.state, deadlineAt: item.deadlineAt, deadlineStatus: item.deadlineStatus };
  if (item.assigneeName) out.assigneeName = item.assigneeName;
  if (item.explanation) out.explanation = item.explanation;
  return out;
}

export class StudyCases {
  readonly #d: StudyCasesDeps;
  readonly #queued = new Set<string>();
  readonly #completeNoted = new Set<string>();
  readonly #pending = new Set<Promise<void>>();
  /** Study Instance UID → case id, where they differ (request-first cases). */
  readonly #caseIds = new Map<string, string>();
  readonly #off: () => void;

  constructor(deps: StudyCasesDeps) {
    this.#d = deps;
    for (const c of deps.engine.cases((x) => !!x.studyInstanceUid && x.studyInstanceUid !== x.caseId)) this.#caseIds.set(c.studyInstanceUid!, c.caseId);
    this.#off = deps.engine.onCase((c) => {
      if (!c.studyInstanceUid) return;
      if (c.studyInstanceUid !== c.caseId) this.#caseIds.set(c.studyInstanceUid, c.caseId);
      this.#sync(c.studyInstanceUid);
    });
  }

  /** The case id of a study (its own UID unless it answers a request). */
  caseIdOf(studyInstanceUid: string): string {
    return this.#caseIds.get(studyInstanceUid) ?? studyInstanceUid;
  }

  /** The list view of a study's case, if it has one. */
  summaryOf(studyInstanceUid: string): WorklistItem | undefined {
    return this.#d.engine.summary(this.caseIdOf(studyInstanceUid));
  }

  /** Ingest's hook (inside the study's lock, before the 2xx): opens the case, notes completion. */
  async studyStored(e: StudyStored): Promise<void> {
    const r = e.record;
    if (r.instancesReceived === 0) return; // a manifest ahead of its images: the first instance opens the case
    if (r.hold) return this.#holdCase(r);
    if (!this.#d.engine.hasCase(this.caseIdOf(r.studyInstanceUid))) {
      if (r.status === 'delivered') return; // its case is closed and archived: nothing to reopen
      await this.#open(r);
    }
    if (r.completedAt !== null) await this.#noteComplete(r);
  }

  /** Start-up pass: cases for studies that have none, catalog statuses re-aligned. */
  async recover(): Promise<{ opened: number }> {
    let opened = 0;
    for (const r of await this.#d.catalog.live()) {
      const uid = r.studyInstanceUid;
      await this.#d.studyLocks.run(uid, async () => {
        const current = (await this.#d.catalog.get(uid)) ?? r;
        if (current.hold) await this.#holdCase(current);
        else if (!this.#d.engine.hasCase(this.caseIdOf(uid)) && current.instancesReceived > 0 && current.status !== 'delivered') {
          if (await this.#open(current)) opened++;
        }
        if (current.completedAt !== null && this.#d.engine.hasCase(this.caseIdOf(uid))) await this.#noteComplete(current);
      });
      this.#sync(uid);
    }
    if (opened > 0) this.#d.logger.info({ opened }, 'recovery: dispatch cases opened for studies that had none');
    return { opened };
  }

  /** Resolves when the catalog reflects every case change so far (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  close(): void {
    this.#off();
  }

  /**
   * A study held for reconciliation (no request, or an identity that disagrees with its request)
   * is not dispatched: no case opens for it, and a case already open (the hold came with a later
   * instance) is put on hold, until an operator reconciles the study.
   */
  async #holdCase(r: StudyRecord): Promise<void> {
    const caseId = this.caseIdOf(r.studyInstanceUid);
    const c = this.#d.engine.getCase(caseId);
    if (!c || c.state === 'held' || c.state === 'cancelled' || c.state === 'delivered') return;
    await this.#d.engine.hold(caseId, `identity vigilance: ${(r.hold?.reasons ?? []).join(', ')}`.slice(0, 200), { kind: 'system' });
  }

  /** Opens (or attaches to) the study's case; false when the engine refused the study's facts. */
  async #open(r: StudyRecord): Promise<boolean> {
    const uid = r.studyInstanceUid;
    const caseId = (await this.#d.resolveCaseId?.(r)) ?? uid;
    if (caseId !== uid) this.#caseIds.set(uid, caseId);
    const agent = await this.#d.identities.getAgent(r.agentId);
    const siteId = agent ? agentSiteId(agent) : r.agentId;
    const bodyPart = r.dicom.bodyPartExamined?.trim();
    try {
      await this.#d.engine.onStudyReceived({
        caseId,
        studyInstanceUid: uid,
        siteId,
        urgency: r.urgency,
        modality: (r.modalities[0] ?? 'OT').slice(0, 16),
        ...(bodyPart ? { bodyPart: bodyPart.slice(0, 64) } : {}),
        receivedAt: r.firstReceivedAt,
      });
      return true;
    } catch (err) {
      if (!(err instanceof ProtocolValidationError)) throw err;
      // Permanent: retrying the upload cannot help, and the images must be kept. Logged loudly.
      this.#d.logger.error({ agentId: r.agentId, siteId, errors: err.errors }, 'dispatch refused a study: no case opened (check the agent site id and the rota)');
      return false;
    }
  }

  async #noteComplete(r: StudyRecord): Promise<void> {
    const uid = r.studyInstanceUid;
    if (this.#completeNoted.has(uid)) return;
    const caseId = this.caseIdOf(uid);
    const c = this.#d.engine.getCase(caseId);
    if (!c) return;
    if (!c.timeline.some((x) => x.type === 'images-complete')) {
      const n = r.instancesExpected ?? r.instancesReceived;
      await this.#d.engine.note(caseId, 'images-complete', { kind: 'site', id: c.siteId }, T.imagesComplete(n), { instances: n });
    }
    this.#completeNoted.add(uid);
  }

  /** Catalog status ← case state, under the study's lock (coalesced), then published. */
  #sync(uid: string): void {
    if (this.#queued.has(uid)) return;
    this.#queued.add(uid);
    const p = this.#d.studyLocks
      .run(uid, async () => {
        this.#queued.delete(uid);
        const r = await this.#d.catalog.get(uid);
        if (!r) return;
        const status = studyStatusFor(r, this.summaryOf(uid)?.state);
        let next = r;
        if (status !== r.status) {
          next = { ...r, status, updatedAt: new Date(this.#d.clock.now()).toISOString() };
          await this.#d.catalog.put(next);
        }
        this.#d.publish(next);
      })
      .catch((err: Error) => {
        this.#queued.delete(uid);
        this.#d.logger.error({ err: err.message }, 'could not record a case status in the catalog');
      })
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }
}
