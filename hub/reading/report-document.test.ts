import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addAddendum, emptyDocument, partIntact, ReportStateError, saveDraft, sign, signProblems, type ReportDraft, type Signer } from './report-document.ts';

const UID = '1.2.250.1.59.3';
const signer: Signer = { userId: 'u-neuro', name: 'Dr Anne Neuro', rpps: '10101010101' };
const draft: ReportDraft = { templateId: 'ct-stroke', title: 'Scanner cérébral', text: 'Pas d’hémorragie.', conclusion: 'Normal.', critical: false };

test('draft → signed → addenda; the original never changes', () => {
  let d = emptyDocument(UID, '2026-06-02T20:00:00.000Z', 'u-neuro');
  d = saveDraft(d, { ...draft, text: 'brouillon' }, '2026-06-02T20:01:00.000Z', 'u-neuro');
  assert.equal(d.state, 'draft');
  d = saveDraft(d, draft, '2026-06-02T20:02:00.000Z', 'u-neuro');
  const s = sign(d, draft, signer, '2026-06-02T20:05:00.000Z');
  assert.equal(s.state, 'signed');
  assert.match(s.signed!.sha256, /^[0-9a-f]{64}$/);
  assert.equal(s.signed!.reportId, `rp-${s.signed!.sha256.slice(0, 32)}`);
  assert.ok(partIntact(s.signed!));
  assert.throws(() => saveDraft(s, { ...draft, text: 'changé' }, '2026-06-02T20:06:00.000Z', 'u-neuro'), (e: unknown) => e instanceof ReportStateError && e.problem === 'already-signed');
  assert.throws(() => sign(s, draft, signer, '2026-06-02T20:06:00.000Z'), (e: unknown) => e instanceof ReportStateError && e.problem === 'already-signed');
  const a1 = addAddendum(s, 'Relecture : petite lacune ancienne.', false, undefined, signer, '2026-06-02T21:00:00.000Z');
  const a2 = addAddendum(a1, 'Second addendum.', false, undefined, signer, '2026-06-02T21:10:00.000Z');
  assert.equal(a2.addenda.length, 2);
  assert.deepEqual(a2.signed, s.signed, 'the signed original is untouched');
  assert.equal(a2.addenda[0]!.content.completes, s.signed!.sha256);
  assert.notEqual(a2.addenda[0]!.sha256, a2.addenda[1]!.sha256);
  for (const p of a2.addenda) assert.ok(partIntact(p));
  // Any change to a signed content breaks its digest.
  const tampered = structuredClone(a2.signed!);
  tampered.content.text = 'Hémorragie.';
  assert.equal(partIntact(tampered), false);
});

test('an addendum needs a signed report and text', () => {
  const d = emptyDocument(UID, '2026-06-02T20:00:00.000Z', 'u');
  assert.throws(() => addAddendum(d, 'x', false, undefined, signer, '2026-06-02T21:00:00.000Z'), (e: unknown) => e instanceof ReportStateError && e.problem === 'not-signed');
  const s = sign(d, draft, signer, '2026-06-02T20:05:00.000Z');
  assert.throws(() => addAddendum(s, '  ', false, undefined, signer, '2026-06-02T21:00:00.000Z'), (e: unknown) => e instanceof ReportStateError && e.problem === 'text-missing');
});

test('a critical finding cannot be signed without who was phoned and when', () => {
  const crit: ReportDraft = { ...draft, critical: true };
  assert.deepEqual(signProblems(crit), ['critical-call-missing']);
  assert.deepEqual(signProblems({ ...crit, criticalCall: { who: 'Dr Urgence', at: '' } }), ['critical-call-missing']);
  assert.deepEqual(signProblems({ ...draft, text: '' }), ['text-missing']);
  const d = emptyDocument(UID, '2026-06-02T20:00:00.000Z', 'u');
  assert.throws(() => sign(d, crit, signer, '2026-06-02T20:05:00.000Z'), (e: unknown) => e instanceof ReportStateError && e.problem === 'critical-call-missing');
  const s = sign(d, { ...crit, criticalCall: { who: 'Dr Urgence', at: '2026-06-02T22:03' } }, signer, '2026-06-02T20:05:00.000Z');
  assert.deepEqual(s.signed!.content.criticalCall, { who: 'Dr Urgence', at: '2026-06-02T22:03' });
  // A non-critical draft drops a stale call.
  assert.equal(saveDraft(d, { ...draft, criticalCall: { who: 'x', at: 'y' } }, '2026-06-02T20:05:00.000Z', 'u').draft.criticalCall, undefined);
});

test('the digest is the same for the same content whatever the key order', () => {
  const d = emptyDocument(UID, '2026-06-02T20:00:00.000Z', 'u');
  const a = sign(d, draft, signer, '2026-06-02T20:05:00.000Z');
  const b = sign(d, { critical: false, conclusion: 'Normal.', text: 'Pas d’hémorragie.', title: 'Scanner cérébral', templateId: 'other' }, { rpps: signer.rpps, name: signer.name, userId: signer.userId }, '2026-06-02T20:05:00.000Z');
  assert.equal(a.signed!.sha256, b.signed!.sha256, 'the template id is not part of the signed content');
});
