/**
 * Reconciliation at the hub (issue 7): a study whose identity disagrees with its request and an
 * unsolicited study are held, not dispatched; the operator sees the original values beside the
 * request's, attaches the first to its request (it joins the request's case) and releases the
 * second as unsolicited (a case of its own, dispatched); later hold claims from the agent do
 * not undo the decision; each decision is audited and on the timeline; radiologists may not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SHARED_CT, SHARED_MR, listFiles } from '../data.ts';
import { UPLOAD_HEADERS } from '../../protocol/upload.ts';
import { bearer, prepare, upload } from './hub-harness.ts';
import { clinicalHub, examRequest, form, FORM } from './clinical-fixtures.ts';

test('held studies: values side by side, attach to the request, release as unsolicited, decisions stand', { timeout: 90_000 }, async (t) => {
  const h = await clinicalHub();
  t.after(() => h.close());
  const { hub } = h.t;
  const engine = h.t.dispatch.engine;
  const req = examRequest(new Date(h.clock.now()).toISOString());
  await hub.clinical!.requests.received(h.t.agentA.id, req);
  const [ct1, ct2] = await Promise.all(listFiles(SHARED_CT).slice(0, 2).map(prepare));
  const mr = await prepare(listFiles(SHARED_MR)[0]!);
  const held = { [UPLOAD_HEADERS.requestId]: req.requestId, [UPLOAD_HEADERS.hold]: 'patient-name-differs' };
  assert.equal((await upload(h.t, h.t.agentA.credential, ct1!, { headers: held })).statusCode, 201);
  assert.equal((await upload(h.t, h.t.agentA.credential, mr, { headers: { [UPLOAD_HEADERS.hold]: 'no-request' } })).statusCode, 201);
  await hub.studyCases.idle();
  assert.equal((await hub.context.catalog.get(ct1!.study))!.status, 'held');
  assert.equal(engine.getCase(req.requestId)!.studyInstanceUid, undefined, 'not merged into the request’s case');
  assert.equal(engine.getCase(mr.study), undefined, 'the unsolicited study is not dispatched');

  const page = await hub.app.inject({ url: '/reconciliation', headers: bearer(h.tokens.operator) });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, new RegExp(`data-study="${ct1!.study.replace(/\./g, '\\.')}"`));
  assert.match(page.body, /MARTIN\^PAUL/, 'the request’s values');
  assert.match(page.body, /nom différent/);
  assert.match(page.body, /class="differs"/, 'differing values are marked');
  const original = (await hub.context.catalog.get(ct1!.study))!.patient;
  assert.ok(original.name && page.body.includes(original.name.replace(/\^/g, '^')), 'the modality’s values as they came');
  assert.equal((await hub.app.inject({ url: '/reconciliation', headers: bearer(h.tokens.n1) })).statusCode, 403);
  assert.equal((await hub.app.inject({ method: 'POST', url: `/reconciliation/${ct1!.study}/release`, headers: { ...bearer(h.tokens.n1), ...FORM }, payload: form({}) })).statusCode, 403);

  const attach = await hub.app.inject({ method: 'POST', url: `/reconciliation/${ct1!.study}/attach`, headers: { ...bearer(h.tokens.operator), ...FORM }, payload: form({ requestId: req.requestId, note: 'Nom d’usage saisi à la console' }) });
  assert.equal(attach.statusCode, 303, attach.body);
  const release = await hub.app.inject({ method: 'POST', url: `/reconciliation/${mr.study}/release`, headers: { ...bearer(h.tokens.operator), ...FORM }, payload: form({ note: '' }) });
  assert.equal(release.statusCode, 303, release.body);
  assert.equal((await hub.app.inject({ method: 'POST', url: `/reconciliation/${mr.study}/release`, headers: { ...bearer(h.tokens.operator), ...FORM }, payload: form({}) })).statusCode, 409, 'decided once');
  await hub.studyCases.idle();

  const s1 = (await hub.context.catalog.get(ct1!.study))!;
  assert.equal(s1.hold, undefined);
  assert.equal(s1.requestId, req.requestId);
  assert.equal(s1.reconciled!.decision, 'attached');
  assert.deepEqual(s1.reconciled!.reasons, ['patient-name-differs']);
  assert.deepEqual(s1.patient, original, 'the original values are never rewritten');
  const rc = engine.getCase(req.requestId)!;
  assert.equal(rc.studyInstanceUid, ct1!.study, 'the study joined its request’s case');
  assert.ok(rc.timeline.some((e) => e.type === 'reconciled' && /rattaché/.test(e.text.fr)));
  assert.doesNotMatch(JSON.stringify(rc.timeline), /Nom d’usage/, 'the justification is not on the timeline');
  assert.deepEqual(hub.clinical!.requests.get(req.requestId)!.studies, [ct1!.study]);

  const s2 = (await hub.context.catalog.get(mr.study))!;
  assert.equal(s2.reconciled!.decision, 'unsolicited');
  const mc = engine.getCase(mr.study)!;
  assert.ok(mc, 'the unsolicited study has its own case');
  assert.equal(mc.state, 'assigned');
  assert.ok(mc.timeline.some((e) => e.type === 'reconciled'));

  // A later instance still carrying the agent's hold claim does not undo the decision.
  assert.equal((await upload(h.t, h.t.agentA.credential, ct2!, { headers: held })).statusCode, 201);
  await hub.studyCases.idle();
  const again = (await hub.context.catalog.get(ct1!.study))!;
  assert.equal(again.hold, undefined);
  assert.notEqual(again.status, 'held');

  const after = await hub.app.inject({ url: '/reconciliation', headers: bearer(h.tokens.operator) });
  assert.match(after.body, /id="none-held"/);
  const days = await readdir(join(h.t.dir, 'audit'));
  const audit = (await Promise.all(days.map((d) => readFile(join(h.t.dir, 'audit', d), 'utf8')))).join('');
  assert.match(audit, /"action":"reconcile-attached"/);
  assert.match(audit, /"action":"reconcile-unsolicited"/);
  assert.doesNotMatch(audit, /MARTIN|Nom d’usage/);
});
