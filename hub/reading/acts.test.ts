import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import type { DispatchCase } from '../../protocol/dispatch.ts';
import type { ReportRecord } from '../reports/report-service.ts';
import { actsCsv, actsOf } from './acts.ts';

const c: DispatchCase = {
  caseId: '1.2.3', reference: 'R-1', studyInstanceUid: '1.2.3', siteId: 'ch-mg', urgency: 'emergency', modality: 'CT', bodyPart: 'HEAD', state: 'delivered',
  assignee: 'n1', alerted: ['n1'], receivedAt: '2026-06-02T20:00:00.000Z', acknowledgedAt: '2026-06-02T20:04:00.000Z', reportedAt: '2026-06-02T20:25:30.000Z',
  deliveredAt: '2026-06-02T20:27:00.000Z', deadlineAt: '2026-06-02T21:00:00.000Z', atRiskAt: '2026-06-02T20:45:00.000Z', deadlineStatus: 'met', escalationStep: 0,
  timeline: [{ at: '2026-06-02T20:25:30.000Z', type: 'reported', actor: { kind: 'radiologist', id: 'n1', rpps: '10101010101' }, text: { fr: 'x', en: 'x' } }],
};
const report = { reportId: 'rp-1', studyInstanceUid: '1.2.3', signedAt: '2026-06-02T20:25:30.000Z', critical: true, sha256: 'a'.repeat(64), radiologist: { name: 'Dr Anne Neuro', rpps: '10101010101' } } as ReportRecord;
const addendum = { ...report, reportId: 'rp-2', addendumOf: 'rp-1', signedAt: '2026-06-02T21:00:00.000Z' } as ReportRecord;

test('an act row: who, which report, delays in minutes, nothing identifying', () => {
  const [row] = actsOf([c, c], () => [addendum, report], () => 'CH Marie-Galante');
  assert.equal(row!.min_arrival_to_taken, '4.0');
  assert.equal(row!.min_arrival_to_signed, '25.5');
  assert.equal(row!.min_arrival_to_delivered, '27.0');
  assert.equal(row!.min_signed_to_delivered, '1.5');
  assert.equal(row!.radiologist_rpps, '10101010101');
  assert.equal(row!.report_id, 'rp-1', 'the original, not the addendum');
  assert.equal(row!.addenda, 1);
  assert.equal(row!.critical, 'yes');
  const csv = actsCsv(actsOf([c, c], () => [report], () => 'CH "Marie", Galante'));
  assert.ok(csv.startsWith('\ufeffcase_id,reference,'));
  const parsed = parse(csv, { bom: true, columns: true }) as Record<string, string>[];
  assert.equal(parsed.length, 1, 'one row per case');
  assert.equal(parsed[0]!.site_name, 'CH "Marie", Galante', 'quoting survives a round trip');
});

test('the range filters on arrival; an open case has empty delays', () => {
  const open: DispatchCase = { ...c, caseId: '1.2.4', state: 'assigned', receivedAt: '2026-06-03T10:00:00.000Z', timeline: [] };
  delete open.acknowledgedAt; delete open.reportedAt; delete open.deliveredAt;
  const rows = actsOf([open, c], () => [], (id) => id, { from: '2026-06-03T00:00:00.000Z' });
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.min_arrival_to_signed, '');
  assert.equal(rows[0]!.radiologist_id, 'n1');
});
