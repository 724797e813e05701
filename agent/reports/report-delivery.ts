/**
 * Signed reports arriving from the hub: kept on the agent (printable PDF for the local page),
 * turned into DICOM objects in the patient's study, sent by C-STORE to the site PACS until it
 * takes them, then confirmed to the hub through the channel (`report-delivered`).
 *
 *   <data>/clinical/reports/<reportId>/report.json   the report (without the PDF) + delivery state
 *   <data>/clinical/reports/<reportId>/report.pdf    the printable report
 *   <data>/clinical/reports/<reportId>/<kind>.dcm    the objects sent (Encapsulated PDF, Basic Text SR)
 *
 * Contract:
 * - `receive` (the inbox handler) resolves once the report and its objects are durable; delivery
 *   runs apart (a PACS down never blocks the channel), in arrival order, retried with backoff
 *   forever (alert after 3 failures, cleared on success);
 * - the identity the hub sends (as the study carries it at the hub) must agree with the study
 *   header the agent kept at intake; otherwise nothing is delivered: `report-undeliverable` to
 *   the hub and an alert — a report never lands in another patient's record;
 * - a status other than success/warning is a failure (retried: a PACS refusing is a
 *   configuration a human fixes); objects keep their UIDs across retries;
 * - without a configured PACS the report is only kept on the local page, and confirmed as such.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { Clock } from '../../lib/clock.ts';
import { sleep } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { backoffDelay, type BackoffPolicy } from '../../lib/backoff.ts';
import { ensureDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { Wakeup } from '../../lib/wakeup.ts';
import { storeRawInstances, isSuccessStatus, isWarningStatus, formatStatus, type StoreTarget } from '../../lib/dicom/raw-scu.ts';
import { check } from '../../protocol/validate.ts';
import { parseFileMeta } from '../../lib/dicom/part10.ts';
import { IsoDateTime } from '../../protocol/common.ts';
import type { SignedReport } from '../../protocol/clinical.ts';
import type { ReportObjectKind } from '../../protocol/messages.ts';
import type { AlertBook } from '../alerts.ts';
import type { MessageOutbox } from '../outbox-messages/message-outbox.ts';
import type { StudyIdentity } from '../matching/study-registry.ts';
import { normalizeName } from '../matching/study-matcher.ts';
import { buildReportObjects, type ReportObject } from './report-objects.ts';

export const DeliveryState = Type.Object({
  v: Type.Literal(1),
  report: Type.Record(Type.String(), Type.Unknown()),
  receivedAt: IsoDateTime,
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('undeliverable')]),
  objects: Type.Array(Type.Object({ kind: Type.String(), sopClassUid: Type.String(), sopInstanceUid: Type.String(), file: Type.String() })),
  attempts: Type.Integer({ minimum: 0 }),
  lastError: Type.Optional(Type.String()),
  deliveredAt: Type.Optional(IsoDateTime),
  destination: Type.Optional(Type.String()),
  problem: Type.Optional(Type.String()),
});
export type DeliveryState = Static<typeof DeliveryState>;

export interface PacsTarget extends StoreTarget {
  timeoutMs?: number;
}

export interface ReportDeliveryDeps {
  dir: string;
  clock: Clock;
  random: () => number;
  log: Logger;
  alerts: AlertBook;
  retry: BackoffPolicy;
  outbox: MessageOutbox;
  pacs: PacsTarget | undefined;
  kinds: () => readonly ReportObjectKind[];
  identityOf: (studyInstanceUid: string) => StudyIdentity | undefined;
  /** Told when a report's state changes (the request page shows it). */
  onState?: (report: Omit<SignedReport, 'pdfBase64'>, state: DeliveryState['status']) => Promise<void>;
}

/** Differences between what the hub says the study carries and what the agent saw. */
export function identityDifferences(hub: SignedReport['patient'], seen: StudyIdentity): string[] {
  const out: string[] = [];
  const same = (a: string | undefined, b: string | undefined) => (a ?? '').trim() === (b ?? '').trim();
  if (!same(hub.id, seen.patientId)) out.push('patient-id');
  if (normalizeName((hub.name ?? '').replace(/\^/g, ' ')) !== normalizeName((seen.patientName ?? '').replace(/\^/g, ' '))) out.push('patient-name');
  if (!same(hub.birthDate, seen.patientBirthDate)) out.push('birth-date');
  if (!same(hub.sex, seen.patientSex)) out.push('sex');
  return out;
}

export class ReportDelivery {
  readonly #d: ReportDeliveryDeps;
  readonly #wake = new Wakeup();
  readonly #states = new Map<string, DeliveryState>();
  #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(deps: ReportDeliveryDeps) {
    this.#d = deps;
  }

  async open(): Promise<void> {
    await ensureDir(this.#d.dir);
    for (const id of await readdir(this.#d.dir)) {
      try {
        const raw = JSON.parse(await readFile(join(this.#d.dir, id, 'report.json'), 'utf8')) as unknown;
        if (check(DeliveryState, raw)) this.#states.set(id, raw);
      } catch {
        /* a report folder without its state: written before the state, received again */
      }
    }
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wake.notify();
    await this.#loop;
  }

  list(): Array<{ reportId: string; state: DeliveryState }> {
    return [...this.#states.entries()].map(([reportId, state]) => ({ reportId, state })).sort((a, b) => b.state.receivedAt.localeCompare(a.state.receivedAt));
  }

  get(reportId: string): DeliveryState | undefined {
    return this.#states.get(reportId);
  }

  pdfPath(reportId: string): string | undefined {
    return this.#states.has(reportId) && /^[A-Za-z0-9._-]+$/.test(reportId) ? join(this.#d.dir, reportId, 'report.pdf') : undefined;
  }

  /** Inbox handler of `report`. */
  async receive(report: SignedReport): Promise<void> {
    const { clock, log } = this.#d;
    const existing = this.#states.get(report.reportId);
    if (existing) return; // a replay: already stored
    const dir = join(this.#d.dir, report.reportId);
    await mkdir(dir, { recursive: true });
    await writeFileDurable(join(dir, 'report.pdf'), Buffer.from(report.pdfBase64, 'base64'), { mode: 0o600 });
    const { pdfBase64, ...meta } = report;
    const seen = this.#d.identityOf(report.studyInstanceUid);
    const differences = seen ? identityDifferences(report.patient, seen) : [];
    const state: DeliveryState = { v: 1, report: meta, receivedAt: new Date(clock.now()).toISOString(), status: 'pending', objects: [], attempts: 0 };
    if (differences.length > 0) {
      state.status = 'undeliverable';
      state.problem = `identity differs: ${differences.join(', ')}`;
    } else {
      const objects = buildReportObjects(report, seen ?? fromHub(report), this.#d.kinds());
      for (const o of objects) {
        await writeFileDurable(join(dir, `${o.kind}.dcm`), o.bytes, { mode: 0o600 });
        state.objects.push({ kind: o.kind, sopClassUid: o.sopClassUid, sopInstanceUid: o.sopInstanceUid, file: `${o.kind}.dcm` });
      }
    }
    await writeFileDurable(join(dir, 'report.json'), JSON.stringify(state), { mode: 0o600 });
    this.#states.set(report.reportId, state);
    if (state.status === 'undeliverable') {
      this.#d.alerts.raise('RELAIS_AGENT_REPORT_IDENTITY', report.reportId);
      log.error({ reportId: report.reportId, differences }, 'reports: report identity differs from its study: not delivered');
      await this.#d.outbox.enqueue(
        { type: 'report-undeliverable', reportId: report.reportId, studyInstanceUid: report.studyInstanceUid, code: 'RELAIS_REPORT_IDENTITY_MISMATCH', message: state.problem!, at: state.receivedAt },
        `report-undeliverable:${report.reportId}`,
      );
    } else log.info({ reportId: report.reportId, objects: state.objects.length, critical: report.critical }, 'reports: report received, delivering to the site PACS');
    await this.#d.onState?.(meta, state.status);
    this.#wake.notify();
  }

  async #save(reportId: string, state: DeliveryState): Promise<void> {
    await writeFileDurable(join(this.#d.dir, reportId, 'report.json'), JSON.stringify(state), { mode: 0o600 });
    this.#states.set(reportId, state);
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let failures = 0;
    while (!signal.aborted) {
      const next = [...this.#states.entries()].filter(([, s]) => s.status === 'pending').sort((a, b) => a[1].receivedAt.localeCompare(b[1].receivedAt))[0];
      if (!next) {
        await this.#wake.wait();
        continue;
      }
      const [reportId, state] = next;
      const error = await this.#deliver(reportId, state).catch((err: Error) => err.message);
      if (error === undefined) {
        failures = 0;
        this.#d.alerts.clear('RELAIS_AGENT_PACS_UNREACHABLE');
        continue;
      }
      failures++;
      await this.#save(reportId, { ...state, attempts: state.attempts + 1, lastError: error.slice(0, 300) }).catch(() => {});
      if (failures >= 3) this.#d.alerts.raise('RELAIS_AGENT_PACS_UNREACHABLE', error.slice(0, 100));
      this.#d.log.warn({ reportId, attempt: state.attempts + 1, err: error.slice(0, 200) }, 'reports: the site PACS did not take the report, will retry');
      await sleep(this.#d.clock, backoffDelay(this.#d.retry, failures - 1, this.#d.random), signal).catch(() => {});
    }
  }

  /** One delivery attempt; resolves undefined on success, or the error text. */
  async #deliver(reportId: string, state: DeliveryState): Promise<string | undefined> {
    const pacs = this.#d.pacs;
    const dir = join(this.#d.dir, reportId);
    if (pacs) {
      const objects: ReportObject[] = [];
      for (const o of state.objects) {
        const bytes = await readFile(join(dir, o.file));
        objects.push({ kind: o.kind as ReportObjectKind, sopClassUid: o.sopClassUid, sopInstanceUid: o.sopInstanceUid, seriesInstanceUid: '', bytes, datasetOffset: parseFileMeta(bytes).datasetOffset });
      }
      const outcome = await storeRawInstances(
        pacs,
        objects.map((o) => ({ sopClassUid: o.sopClassUid, sopInstanceUid: o.sopInstanceUid, transferSyntaxUid: '1.2.840.10008.1.2.1', loadDataset: () => o.bytes.subarray(o.datasetOffset), label: o.kind })),
        { timeoutMs: pacs.timeoutMs ?? 30_000 },
      );
      if (outcome.rejected) return `association rejected (result ${outcome.rejected.result}, reason ${outcome.rejected.reason})`;
      const bad = outcome.results.find((r) => !isSuccessStatus(r.status) && !isWarningStatus(r.status));
      if (bad) return `C-STORE status ${formatStatus(bad.status)}${outcome.error ? ` (${outcome.error})` : ''}${bad.errorComment ? `: ${bad.errorComment}` : ''}`;
    }
    const deliveredAt = new Date(this.#d.clock.now()).toISOString();
    const destination = pacs ? pacs.calledAeTitle : 'LOCAL-PAGE';
    const next: DeliveryState = { ...state, status: 'delivered', deliveredAt, destination, attempts: state.attempts + 1 };
    delete next.lastError;
    await this.#save(reportId, next);
    const report = state.report as unknown as SignedReport;
    await this.#d.outbox.enqueue(
      {
        type: 'report-delivered',
        reportId,
        studyInstanceUid: report.studyInstanceUid,
        ...(report.requestId ? { requestId: report.requestId } : {}),
        deliveredAt,
        destinationAeTitle: destination.slice(0, 16),
        objects: state.objects.map((o) => ({ sopClassUid: o.sopClassUid, sopInstanceUid: o.sopInstanceUid })),
      },
      `report-delivered:${reportId}`,
    );
    this.#d.log.info({ reportId, destination, objects: state.objects.length }, 'reports: report delivered');
    await this.#d.onState?.(state.report as unknown as Omit<SignedReport, 'pdfBase64'>, 'delivered');
    return undefined;
  }
}

/** The study identity as the hub sent it (when the agent no longer holds the study's header). */
function fromHub(r: SignedReport): StudyIdentity {
  const id: StudyIdentity = {};
  if (r.patient.name) id.patientName = r.patient.name;
  if (r.patient.id) id.patientId = r.patient.id;
  if (r.patient.issuer) id.issuerOfPatientId = r.patient.issuer;
  if (r.patient.birthDate) id.patientBirthDate = r.patient.birthDate;
  if (r.patient.sex) id.patientSex = r.patient.sex;
  if (r.accessionNumber) id.accessionNumber = r.accessionNumber;
  return id;
}
