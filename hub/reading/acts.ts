/**
 * Acts per study, for the services' accounting and evaluation: the technical act at the site
 * (site, modality, body part, when the images arrived), the intellectual act by the radiologist
 * (who — id and RPPS —, which signed report with its SHA-256, critical finding, addenda) and the
 * delays arrival → taken in charge → signed → delivered, in minutes, with the deadline's
 * outcome. Built from dispatch cases (live and archived) and the report records; pure.
 * Contract: nothing identifying a patient (no name, id, birth date, accession number); one
 * row per case that has a study or a report, oldest arrival first; CSV through csv-stringify
 * (RFC 4180, header row, UTF-8).
 */
import { stringify } from 'csv-stringify/sync';
import type { DispatchCase } from '../../protocol/dispatch.ts';
import type { ReportRecord } from '../reports/report-service.ts';

export interface ActRow {
  case_id: string;
  reference: string;
  site_id: string;
  site_name: string;
  urgency: string;
  modality: string;
  body_part: string;
  study_instance_uid: string;
  request_id: string;
  images_arrived_at: string;
  radiologist_id: string;
  radiologist_rpps: string;
  report_id: string;
  report_sha256: string;
  critical: string;
  addenda: number;
  state: string;
  arrived_at: string;
  taken_at: string;
  signed_at: string;
  delivered_at: string;
  min_arrival_to_taken: string;
  min_arrival_to_signed: string;
  min_arrival_to_delivered: string;
  min_signed_to_delivered: string;
  deadline_at: string;
  deadline_status: string;
}

export const ACT_COLUMNS: ReadonlyArray<keyof ActRow> = [
  'case_id', 'reference', 'site_id', 'site_name', 'urgency', 'modality', 'body_part', 'study_instance_uid', 'request_id', 'images_arrived_at',
  'radiologist_id', 'radiologist_rpps', 'report_id', 'report_sha256', 'critical', 'addenda', 'state',
  'arrived_at', 'taken_at', 'signed_at', 'delivered_at', 'min_arrival_to_taken', 'min_arrival_to_signed', 'min_arrival_to_delivered', 'min_signed_to_delivered',
  'deadline_at', 'deadline_status',
];

function minutes(from: string | undefined, to: string | undefined): string {
  if (!from || !to) return '';
  return ((Date.parse(to) - Date.parse(from)) / 60_000).toFixed(1);
}

export function actOf(c: DispatchCase, reports: readonly ReportRecord[], siteName: string): ActRow {
  const original = reports.filter((r) => !r.addendumOf).sort((a, b) => a.signedAt.localeCompare(b.signedAt))[0];
  const reported = [...c.timeline].reverse().find((e) => e.type === 'reported');
  const imagesAt = c.timeline.find((e) => e.type === 'images-received')?.at ?? (c.studyInstanceUid ? c.receivedAt : '');
  const taken = c.acknowledgedAt;
  const signed = c.reportedAt ?? original?.signedAt;
  const delivered = c.deliveredAt ?? original?.deliveredAt;
  return {
    case_id: c.caseId,
    reference: c.reference,
    site_id: c.siteId,
    site_name: siteName,
    urgency: c.urgency,
    modality: c.modality,
    body_part: c.bodyPart ?? '',
    study_instance_uid: c.studyInstanceUid ?? '',
    request_id: c.caseId.startsWith('rq-') ? c.caseId : '',
    images_arrived_at: imagesAt,
    radiologist_id: (reported?.actor.id ?? c.assignee ?? ''),
    radiologist_rpps: reported?.actor.rpps ?? original?.radiologist.rpps ?? '',
    report_id: original?.reportId ?? '',
    report_sha256: original?.sha256 ?? '',
    critical: original ? (original.critical ? 'yes' : 'no') : '',
    addenda: reports.filter((r) => r.addendumOf).length,
    state: c.state,
    arrived_at: c.receivedAt,
    taken_at: taken ?? '',
    signed_at: signed ?? '',
    delivered_at: delivered ?? '',
    min_arrival_to_taken: minutes(c.receivedAt, taken),
    min_arrival_to_signed: minutes(c.receivedAt, signed),
    min_arrival_to_delivered: minutes(c.receivedAt, delivered),
    min_signed_to_delivered: minutes(signed, delivered),
    deadline_at: c.deadlineAt,
    deadline_status: c.deadlineStatus,
  };
}

/** Rows for the cases whose arrival falls in [from, to) (ISO instants; either may be absent). */
export function actsOf(cases: readonly DispatchCase[], reportsOf: (c: DispatchCase) => ReportRecord[], siteName: (id: string) => string, range: { from?: string | undefined; to?: string | undefined } = {}): ActRow[] {
  const seen = new Set<string>();
  const rows: ActRow[] = [];
  for (const c of cases) {
    if (seen.has(c.caseId)) continue;
    seen.add(c.caseId);
    if (range.from && c.receivedAt < range.from) continue;
    if (range.to && c.receivedAt >= range.to) continue;
    rows.push(actOf(c, reportsOf(c), siteName(c.siteId)));
  }
  return rows.sort((a, b) => a.arrived_at.localeCompare(b.arrived_at) || a.case_id.localeCompare(b.case_id));
}

export function actsCsv(rows: readonly ActRow[]): string {
  return stringify(rows.map((r) => ACT_COLUMNS.map((k) => r[k])), { header: true, columns: ACT_COLUMNS as string[], bom: true });
}
