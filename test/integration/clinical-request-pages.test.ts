/**
 * The radiologist answers an exam request from the hub's page (HTML forms, issue 7): the
 * assigned radiologist and their team see it, another team's radiologist does not (404), the
 * answer is stored and queued for the site through the outbox, the clinician gets an SMS
 * without patient data, and the case's timeline says so; reads are audited.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { bearer } from './hub-harness.ts';
import { clinicalHub, examRequest, form, FORM, CLINICIAN_SMS } from './clinical-fixtures.ts';
import { waitFor } from '../fakes/wait.ts';

test('request page: who may see it, the three answers, the clinician told, the answer queued for the site', { timeout: 60_000 }, async (t) => {
  const h = await clinicalHub();
  t.after(() => h.close());
  const { hub } = h.t;
  const req = examRequest(new Date(h.clock.now()).toISOString());
  await hub.clinical!.requests.received(h.t.agentA.id, req);
  const c = h.t.dispatch.engine.getCase(req.requestId)!;
  assert.equal(c.assignee, 'n1', 'the request opened a case, assigned to the neuro radiologist on call');

  const page = await hub.app.inject({ url: `/requests/${req.requestId}`, headers: bearer(h.tokens.n1) });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /AVC ischémique \? Occlusion \?/);
  assert.match(page.body, /MARTIN PAUL/, 'the radiologist sees the identity');
  assert.match(page.body, /Protocole AVC/, 'templates of the exam type are offered');
  assert.equal((await hub.app.inject({ url: `/requests/${req.requestId}`, headers: bearer(h.tokens.n2) })).statusCode, 200, 'the team sees it');
  assert.equal((await hub.app.inject({ url: `/requests/${req.requestId}`, headers: bearer(h.tokens.x9) })).statusCode, 404, 'another team does not');
  const op = await hub.app.inject({ url: `/requests/${req.requestId}?lang=en`, headers: bearer(h.tokens.operator) });
  assert.equal(op.statusCode, 200);
  assert.doesNotMatch(op.body, /MARTIN/, 'no identity for operators');
  assert.doesNotMatch(op.body, /accept-form/, 'operators do not answer');
  assert.match(op.body, /Exam request/);
  assert.equal((await hub.app.inject({ url: `/requests/${req.requestId}`, headers: bearer(h.tokens.clinician) })).statusCode, 403);
  assert.equal((await hub.app.inject({ url: `/requests/${req.requestId}` })).statusCode, 401);

  // Cross-origin form posts are refused.
  const evil = await hub.app.inject({ method: 'POST', url: `/requests/${req.requestId}/answer`, headers: { ...bearer(h.tokens.n1), ...FORM, origin: 'https://evil.example' }, payload: form({ decision: 'declined', reason: 'non' }) });
  assert.equal(evil.statusCode, 403);
  const bad = await hub.app.inject({ method: 'POST', url: `/requests/${req.requestId}/answer`, headers: { ...bearer(h.tokens.n1), ...FORM }, payload: form({ decision: 'needs-information', question: '' }) });
  assert.equal(bad.statusCode, 400);

  const ask = await hub.app.inject({ method: 'POST', url: `/requests/${req.requestId}/answer`, headers: { ...bearer(h.tokens.n1), ...FORM }, payload: form({ decision: 'needs-information', question: 'Heure exacte du début des signes ?' }) });
  assert.equal(ask.statusCode, 303, ask.body);
  assert.equal(ask.headers.location, `/requests/${req.requestId}?answered=1`);
  const accept = await hub.app.inject({ method: 'POST', url: `/requests/${req.requestId}/answer`, headers: { ...bearer(h.tokens.n1), ...FORM }, payload: form({ decision: 'accepted', templateId: 'ct-head-stroke', protocolText: 'Hélice sans injection puis angio-TDM du polygone.' }) });
  assert.equal(accept.statusCode, 303, accept.body);
  const rec = hub.clinical!.requests.get(req.requestId)!;
  assert.equal(rec.status, 'accepted');
  assert.equal(rec.answers.length, 2);
  assert.equal(rec.answers[1]!.protocol!.templateId, 'ct-head-stroke');
  assert.equal(rec.answers[1]!.radiologist.rpps, '10101010101', 'the RPPS comes from the rota');
  assert.equal(await hub.clinical!.outbox.pendingCount(h.t.agentA.id), 2, 'both answers wait in the outbox for the site');

  await waitFor(() => h.gateway.messages().filter((m) => m.to === CLINICIAN_SMS && /demande/.test(m.text)).length === 2, 'two SMS to the clinician');
  const sms = h.gateway.messages().filter((m) => m.to === CLINICIAN_SMS);
  for (const m of sms) assert.doesNotMatch(m.text, /MARTIN|PAUL|Heure exacte|angio-TDM du polygone/, 'no patient data nor free text in an SMS');
  assert.match(sms.at(-1)!.text, /Protocole AVC/);
  const timeline = h.t.dispatch.engine.getCase(req.requestId)!.timeline.map((e) => e.type);
  assert.equal(timeline.filter((x) => x === 'request-answered').length, 2);

  // The JSON API follows the same case access.
  assert.equal((await hub.app.inject({ url: `/api/v1/requests/${req.requestId}`, headers: bearer(h.tokens.x9) })).statusCode, 404);
  assert.equal((await hub.app.inject({ method: 'POST', url: `/api/v1/requests/${req.requestId}/answer`, headers: bearer(h.tokens.x9), payload: { decision: 'declined', reason: 'pas mon équipe' } })).statusCode, 404);
  assert.equal((await hub.app.inject({ url: '/api/v1/requests', headers: bearer(h.tokens.x9) })).json().requests.length, 0);
  assert.equal((await hub.app.inject({ url: '/api/v1/requests', headers: bearer(h.tokens.n2) })).json().requests.length, 1);

  const after = await hub.app.inject({ url: `/requests/${req.requestId}?answered=1`, headers: bearer(h.tokens.n1) });
  assert.match(after.body, /Réponse enregistrée/);
  assert.match(after.body, /data-decision="accepted"/);

  const days = await readdir(join(h.t.dir, 'audit'));
  const audit = (await Promise.all(days.map((d) => readFile(join(h.t.dir, 'audit', d), 'utf8')))).join('');
  assert.match(audit, /"action":"request-page"/);
  assert.doesNotMatch(audit, /MARTIN/);
});
