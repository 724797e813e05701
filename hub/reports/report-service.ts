/**
 * Signed reports going back to their site: stored at the hub, queued in the agent's outbox as a
 * `report` message (PDF + text + metadata), and followed until the agent confirms the DICOM
 * objects are in the site PACS (`report-delivered`) — then the study is `delivered` and the
 * dispatch port is told (alert 3), and `onReportDelivered` listeners hear of it.
 *
 *   DATA/reports/<reportId>.json   { v, reportId, agentId, studyInstanceUid, requestId?, status, … }
 *   DATA/reports/<reportId>.pdf    the printable report (mode 0600)
 *
 * Contract: `send` stores the PDF then the record (durable) before queueing with the key
 * `report:<reportId>`; `recover()` queues again every report not yet delivered (the outbox
 * drops duplicates). A held study gets no report (reconcile first). Delivery confirmations from
 * an agent other than the study's are refused.
 *
 * The report route here is the minimal one the loop needs; the report editor with templates,
 * re-authentication at signature and addenda (next issue) calls `send` the same way.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { ensureDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { assertValid, check } from '../../protocol/validate.ts';
import { AgentId, IsoDateTime, Uid } from '../../protocol/common.ts';
import { SignedReport, type PatientInStudy } from '../../protocol/clinical.ts';
import type { ReportDeliveredMessage, ReportUndeliverableMessage } from '../../protocol/messages.ts';
import { HubError } from '../errors.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { CatalogStore } from '../catalog/store.ts';
import type { KeyedMutex } from '../storage/keyed-mutex.ts';
import type { HubOutbox } from '../outbox/hub-outbox.ts';
import type { ClinicalDispatchPort } from '../requests/dispatch-port.ts';
import { renderReportPdf } from './render-pdf.ts';

export const ReportRecord = Type.Object({
  v: Type.Literal(1),
  reportId: Type.String(),
  agentId: AgentId,
  studyInstanceUid: Uid,
  requestId: Type.Optional(Type.String()),
  title: Type.String(),
  critical: Type.Boolean(),
  radiologist: Type.Object({ name: Type.String(), rpps: Type.String() }),
  signedAt: IsoDateTime,
  sentBy: Type.String(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('delivered'), Type.Literal('undeliverable')]),
  queuedAt: IsoDateTime,
  deliveredAt: Type.Optional(IsoDateTime),
  objects: Type.Optional(Type.Array(Type.Object({ sopClassUid: Type.String(), sopInstanceUid: Type.String() }))),
  problem: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), at: IsoDateTime })),
  /** The report text (for the report message when it is queued again). */
  text: Type.String(),
  conclusion: Type.Optional(Type.String()),
  patient: Type.Record(Type.String(), Type.String()),
  accessionNumber: Type.Optional(Type.String()),
  /** SHA-256 of the signed content (hub/reading/report-document.ts), when signed through the editor. */
  sha256: Type.Optional(Type.String()),
  /** An addendum: the report id of the original it completes. */
  addendumOf: Type.Optional(Type.String()),
});
export type ReportRecord = Static<typeof ReportRecord>;

export interface ReportInput {
  studyInstanceUid: string;
  title?: string;
  text: string;
  conclusion?: string;
  critical: boolean;
  radiologist: { name: string; rpps: string };
  signedAt?: string;
  /** The printable report; rendered by renderReportPdf when absent. */
  pdf?: Uint8Array;
  /** A report id fixed by the caller (derived from the signed content): sending it again is a no-op. */
  reportId?: string;
  sha256?: string;
  addendumOf?: string;
  /** An addendum may follow a delivered report; a first report may not be sent for a held study. */
}

export type ReportListener = (record: ReportRecord) => void;

export interface ReportServiceDeps {
  dir: string;
  clock: Clock;
  logger: Logger;
  catalog: CatalogStore;
  studyLocks: KeyedMutex;
  outbox: HubOutbox;
  audit: AuditLog;
  dispatch?: ClinicalDispatchPort | undefined;
  onStudyChanged?: (uid: string) => void;
}

export class ReportService {
  readonly #d: ReportServiceDeps;
  readonly #records = new Map<string, ReportRecord>();
  readonly #listeners = new Set<ReportListener>();

  constructor(deps: ReportServiceDeps) {
    this.#d = deps;
  }

  /** Loads the stored reports and queues again those not yet delivered. */
  async open(): Promise<void> {
    await ensureDir(this.#d.dir);
    for (const name of await readdir(this.#d.dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const raw = JSON.parse(await readFile(join(this.#d.dir, name), 'utf8')) as unknown;
      if (check(ReportRecord, raw)) this.#records.set(raw.reportId, raw);
      else this.#d.logger.error({ file: name }, 'reports: invalid record left aside');
    }
    for (const r of this.#records.values()) if (r.status === 'queued') await this.#enqueue(r);
  }

  /** Told when a site confirms a report is in its PACS. */
  onReportDelivered(listener: ReportListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get(reportId: string): ReportRecord | undefined {
    return this.#records.get(reportId);
  }

  forStudy(studyInstanceUid: string): ReportRecord[] {
    return [...this.#records.values()].filter((r) => r.studyInstanceUid === studyInstanceUid);
  }

  async send(input: ReportInput, by: { userId: string; radiologistId?: string }): Promise<ReportRecord> {
    const { clock } = this.#d;
    const study = await this.#d.catalog.get(input.studyInstanceUid);
    if (!study) throw new HubError('RELAIS_NOT_FOUND', 'unknown study');
    if (study.hold) throw new HubError('RELAIS_DISPATCH_INVALID_STATE', 'the study is held for reconciliation: reconcile it before reporting');
    if (input.reportId) {
      const same = this.#records.get(input.reportId);
      if (same) return same;
    }
    const reportId = input.reportId ?? `rp-${clock.now().toString(36)}-${randomBytes(6).toString('hex')}`;
    const signedAt = input.signedAt ?? new Date(clock.now()).toISOString();
    const title = input.title ?? 'Compte rendu de téléradiologie';
    const patient: Record<string, string> = {};
    for (const k of ['name', 'id', 'issuer', 'birthDate', 'sex'] as const) if (study.patient[k]) patient[k] = study.patient[k]!;
    const pdf =
      input.pdf ??
      (await renderReportPdf({ title, text: input.text, conclusion: input.conclusion, critical: input.critical, radiologist: input.radiologist, signedAt, patientLine: [study.patient.name?.replace(/\^/g, ' '), study.patient.birthDate].filter(Boolean).join(' — ') }));
    const record: ReportRecord = {
      v: 1,
      reportId,
      agentId: study.agentId,
      studyInstanceUid: study.studyInstanceUid,
      title,
      critical: input.critical,
      radiologist: input.radiologist,
      signedAt,
      sentBy: by.userId,
      status: 'queued',
      queuedAt: new Date(clock.now()).toISOString(),
      text: input.text,
      patient,
    };
    if (study.requestId) record.requestId = study.requestId;
    if (input.sha256) record.sha256 = input.sha256;
    if (input.addendumOf) record.addendumOf = input.addendumOf;
    if (input.conclusion) record.conclusion = input.conclusion;
    if (study.dicom.accessionNumber) record.accessionNumber = study.dicom.accessionNumber;
    await ensureDir(this.#d.dir);
    await writeFileDurable(join(this.#d.dir, `${reportId}.pdf`), pdf, { mode: 0o600 });
    await this.#save(record);
    await this.#d.audit.record({ event: 'patient-record', action: 'report-send', actor: { kind: 'user', id: by.userId }, outcome: 'success', studyInstanceUid: study.studyInstanceUid, reportId, ...(record.requestId ? { requestId: record.requestId } : {}), ...(record.sha256 ? { sha256: record.sha256 } : {}) });
    await this.#enqueue(record, pdf);
    await this.#d.dispatch?.reportSent({ caseId: record.requestId ?? record.studyInstanceUid, ...(by.radiologistId ? { radiologistId: by.radiologistId } : {}), signedAt });
    return record;
  }

  /** Channel handler of `report-delivered`. */
  async delivered(agentId: string, m: Static<typeof ReportDeliveredMessage>): Promise<void> {
    const r = this.#records.get(m.reportId);
    if (!r) throw new HubError('RELAIS_NOT_FOUND', 'unknown report');
    if (r.agentId !== agentId) throw new HubError('RELAIS_AUTH_FORBIDDEN', 'this report is for another site');
    if (r.status !== 'delivered') {
      const next: ReportRecord = { ...r, status: 'delivered', deliveredAt: m.deliveredAt, objects: m.objects };
      await this.#save(next);
      await this.#d.audit.record({ event: 'instances-transferred', action: 'report-delivered', actor: { kind: 'agent', id: agentId }, outcome: 'success', studyInstanceUid: r.studyInstanceUid, reportId: r.reportId, count: m.objects.length });
    }
    await this.#d.studyLocks.run(r.studyInstanceUid, async () => {
      const study = await this.#d.catalog.get(r.studyInstanceUid);
      if (study && study.status !== 'delivered' && !study.hold) {
        await this.#d.catalog.put({ ...study, status: 'delivered', updatedAt: new Date(this.#d.clock.now()).toISOString() });
        this.#d.onStudyChanged?.(study.studyInstanceUid);
      }
    });
    await this.#d.dispatch?.reportDelivered({ caseId: r.requestId ?? r.studyInstanceUid, deliveredAt: m.deliveredAt });
    const now = this.#records.get(m.reportId)!;
    for (const l of this.#listeners) {
      try {
        l(now);
      } catch (err) {
        this.#d.logger.error({ err: (err as Error).message }, 'reports: listener failed');
      }
    }
  }

  /** Channel handler of `report-undeliverable`: kept and shown; a human must act. */
  async undeliverable(agentId: string, m: Static<typeof ReportUndeliverableMessage>): Promise<void> {
    const r = this.#records.get(m.reportId);
    if (!r) throw new HubError('RELAIS_NOT_FOUND', 'unknown report');
    if (r.agentId !== agentId) throw new HubError('RELAIS_AUTH_FORBIDDEN', 'this report is for another site');
    if (r.status === 'undeliverable') return;
    await this.#save({ ...r, status: 'undeliverable', problem: { code: m.code, message: m.message, at: m.at } });
    await this.#d.audit.record({ event: 'instances-transferred', action: 'report-undeliverable', actor: { kind: 'agent', id: agentId }, outcome: 'failure', studyInstanceUid: r.studyInstanceUid, reportId: r.reportId, result: m.code });
    this.#d.logger.error({ reportId: r.reportId, code: m.code }, 'reports: the site could not deliver a report');
  }

  async pdf(reportId: string): Promise<Buffer> {
    return readFile(join(this.#d.dir, `${reportId}.pdf`));
  }

  async #save(r: ReportRecord): Promise<void> {
    await writeFileDurable(join(this.#d.dir, `${r.reportId}.json`), JSON.stringify(r), { mode: 0o600 });
    this.#records.set(r.reportId, r);
  }

  async #enqueue(r: ReportRecord, pdf?: Uint8Array): Promise<void> {
    const bytes = pdf ?? (await this.pdf(r.reportId));
    const patient: PatientInStudy = { ...r.patient };
    const report: SignedReport = {
      reportId: r.reportId,
      studyInstanceUid: r.studyInstanceUid,
      patient,
      title: r.title,
      text: r.text,
      critical: r.critical,
      radiologist: r.radiologist,
      signedAt: r.signedAt,
      pdfBase64: Buffer.from(bytes).toString('base64'),
    };
    if (r.requestId) report.requestId = r.requestId;
    if (r.conclusion) report.conclusion = r.conclusion;
    if (r.accessionNumber) report.accessionNumber = r.accessionNumber;
    assertValid(SignedReport, report);
    await this.#d.outbox.enqueue(r.agentId, { type: 'report', report }, { id: `report:${r.reportId}` });
  }
}
