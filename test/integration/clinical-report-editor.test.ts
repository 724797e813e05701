/**
 * The report editor (issue 7): the radiologist on the case takes it in charge, writes from a
 * template, saves a draft, and signs only after re-authenticating (signing password set with
 * the access token the first time, then a TOTP code that cannot be replayed); a critical
 * finding needs who was phoned and when; the signed report goes to the outbox with its
 * SHA-256; the original never changes; a signed addendum follows; the API refuses an unsigned
 * report. Another team's radiologist gets 404, clinicians 403; every read and refusal audited.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SHARED_CT, listFiles } from '../data.ts';
import { bearer, prepare, upload } from './hub-harness.ts';
import { clinicalHub, form, FORM } from './clinical-fixtures.ts';
import { totpAt, base32Decode } from '../../hub/reading/totp.ts';
import { parse } from 'csv-parse/sync';

const PASSWORD = 'cheval-agrafe-batterie-42';

test('report editor: take in charge, template, draft, re-authenticated signature with TOTP, addendum, API signed only', { timeout: 90_000 }, async (t) => {
  const h = await clinicalHub();
  t.after(() => h.close());
  const { hub } = h.t;
  const inst = await prepare(listFiles(SHARED_CT)[0]!);
  assert.equal((await upload(h.t, h.t.agentA.credential, inst)).statusCode, 201);
  await hub.studyCases.idle();
  const uid = inst.study;
  const c = h.t.dispatch.engine.getCase(hub.studyCases.caseIdOf(uid))!;
  assert.equal(c.assignee, 'n1');
  const url = `/studies/${uid}/report`;
  const as = (token: string) => bearer(token);
  const post = (path: string, token: string, fields: Record<string, string>) => hub.app.inject({ method: 'POST', url: path, headers: { ...as(token), ...FORM }, payload: form(fields) });

  const page = await hub.app.inject({ url, headers: as(h.tokens.n1) });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /id="take-form"/);
  assert.match(page.body, /href="\/studies\/[0-9.]+\/viewer"/, 'a link to the viewer');
  assert.match(page.body, /Scanner cérébral — suspicion d’AVC/);
  assert.equal((await hub.app.inject({ url, headers: as(h.tokens.x9) })).statusCode, 404, 'another team');
  assert.equal((await hub.app.inject({ url, headers: as(h.tokens.clinician) })).statusCode, 403);
  const op = await hub.app.inject({ url, headers: as(h.tokens.operator) });
  assert.equal(op.statusCode, 200);
  assert.doesNotMatch(op.body, /report-form/, 'operators read, they do not write');

  assert.equal((await post(`/studies/${uid}/take`, h.tokens.n1, {})).statusCode, 303);
  assert.equal(h.t.dispatch.engine.getCase(c.caseId)!.state, 'acknowledged');

  const tpl = await hub.app.inject({ url: `${url}?template=ct-stroke`, headers: as(h.tokens.n1) });
  assert.match(tpl.body, /ASPECTS : 10/);
  const draft = { templateId: 'ct-stroke', title: 'Scanner cérébral — alerte AVC', text: 'Pas d’hémorragie. Occlusion M1 droite.', conclusion: 'Occlusion M1 droite.' };
  assert.equal((await post(url, h.tokens.n1, { ...draft, action: 'save' })).statusCode, 303);
  const saved = await hub.app.inject({ url, headers: as(h.tokens.n1) });
  assert.match(saved.body, /Occlusion M1 droite/);

  // No signing password yet.
  const noPw = await post(url, h.tokens.n1, { ...draft, action: 'sign', password: 'x' });
  assert.equal(noPw.statusCode, 403);
  assert.match(noPw.body, /mot de passe de signature/);
  // Set it: the first time with the access token, never with a wrong one.
  assert.equal((await post('/me/signature/password', h.tokens.n1, { current: 'nope', password: PASSWORD })).statusCode, 403);
  assert.equal((await post('/me/signature/password', h.tokens.n1, { current: h.tokens.n1, password: PASSWORD })).statusCode, 303);
  assert.equal((await post('/me/signature/password', h.tokens.n1, { current: h.tokens.n1, password: 'another-password-1' })).statusCode, 403, 'once set, the token no longer changes it');
  // Enrol TOTP.
  const enrol = await post('/me/signature/totp', h.tokens.n1, {});
  const secret = /id="totp-secret">([A-Z2-7]+)</.exec(enrol.body)?.[1];
  assert.ok(secret, 'the secret is shown once');
  const code = () => totpAt(base32Decode(secret!), h.clock.now());
  assert.equal((await post('/me/signature/totp/confirm', h.tokens.n1, { code: code() })).statusCode, 303);

  const critical = { ...draft, critical: '1', action: 'sign', password: PASSWORD };
  const noCall = await post(url, h.tokens.n1, { ...critical, totp: code() });
  assert.equal(noCall.statusCode, 400);
  assert.match(noCall.body, /qui a été appelé/);
  const withCall = { ...critical, calledWho: 'Dr Urgence (SAU)', calledAt: '2026-06-02T22:05' };
  assert.equal((await post(url, h.tokens.n1, { ...withCall, password: 'wrong-password-123', totp: code() })).statusCode, 403, 'wrong password');
  assert.equal((await post(url, h.tokens.n1, { ...withCall })).statusCode, 403, 'TOTP active: a code is required');
  assert.equal((await post(url, h.tokens.n1, { ...withCall, totp: code() })).statusCode, 403, 'the code spent at enrolment cannot be replayed');
  h.clock.advance(30_000);
  const signed = await post(url, h.tokens.n1, { ...withCall, totp: code() });
  assert.equal(signed.statusCode, 303, signed.body);
  const reports = hub.clinical!.reports.forStudy(uid);
  assert.equal(reports.length, 1);
  assert.match(reports[0]!.sha256!, /^[0-9a-f]{64}$/);
  assert.equal(reports[0]!.critical, true);
  assert.equal(await hub.clinical!.outbox.pendingCount(h.t.agentA.id), 1, 'the signed report waits in the outbox for the site');
  await h.t.dispatch.engine.idle();
  assert.equal(h.t.dispatch.engine.getCase(c.caseId)!.state, 'reported');

  const after = await hub.app.inject({ url, headers: as(h.tokens.n1) });
  assert.match(after.body, new RegExp(reports[0]!.sha256!));
  assert.match(after.body, /Dr Urgence \(SAU\)/);
  assert.doesNotMatch(after.body, /id="report-form"/, 'no editor once signed');
  assert.equal((await post(url, h.tokens.n1, { ...draft, text: 'changé', action: 'save' })).statusCode, 400, 'the original never changes');

  // The API signs the same way, and refuses an unsigned report.
  const api = (payload: Record<string, unknown>) => hub.app.inject({ method: 'POST', url: `/api/v1/studies/${uid}/report`, headers: as(h.tokens.n1), payload });
  assert.equal((await api({ text: 'x', critical: false })).statusCode, 400, 'no password, no report');
  assert.equal((await api({ text: 'x', critical: false, password: PASSWORD, totp: code() })).statusCode, 409, 'already signed');

  h.clock.advance(30_000);
  const add = await post(`${url}/addenda`, h.tokens.n1, { text: 'Relecture : pas de lésion associée.', password: PASSWORD, totp: code() });
  assert.equal(add.statusCode, 303, add.body);
  const all = hub.clinical!.reports.forStudy(uid);
  assert.equal(all.length, 2);
  const addendum = all.find((r) => r.addendumOf)!;
  assert.equal(addendum.addendumOf, reports[0]!.reportId);
  assert.notEqual(addendum.sha256, reports[0]!.sha256);
  const doc = JSON.parse(await readFile(join(h.t.dir, 'report-documents', `${uid}.json`), 'utf8'));
  assert.equal(doc.signed.sha256, reports[0]!.sha256, 'the original digest is kept');
  assert.equal(doc.addenda[0].content.completes, reports[0]!.sha256);
  assert.ok(h.t.dispatch.engine.getCase(c.caseId)!.timeline.some((e) => e.type === 'addendum-signed'));
  // The report's status through the API: the case's radiologist and operators, not another team.
  const reportApi = `/api/v1/reports/${reports[0]!.reportId}`;
  assert.equal((await hub.app.inject({ url: reportApi, headers: as(h.tokens.n1) })).statusCode, 200);
  assert.equal((await hub.app.inject({ url: reportApi, headers: as(h.tokens.operator) })).statusCode, 200);
  assert.equal((await hub.app.inject({ url: reportApi, headers: as(h.tokens.x9) })).statusCode, 404, 'another team: not found, like the pages');

  // Acts: the operator exports them as CSV; nothing identifying; radiologists may not.
  const csv = await hub.app.inject({ url: '/api/v1/acts.csv?from=2026-06-02&to=2026-06-02', headers: as(h.tokens.operator) });
  assert.equal(csv.statusCode, 200);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  const rows = parse(csv.body, { bom: true, columns: true }) as Record<string, string>[];
  const row = rows.find((r) => r.study_instance_uid === uid)!;
  assert.equal(row.report_sha256, reports[0]!.sha256);
  assert.equal(row.radiologist_rpps, '10101010101');
  assert.equal(row.addenda, '1');
  assert.equal(row.min_arrival_to_signed, '0.5', 'signed one TOTP step (30 s) after arrival on the manual clock');
  assert.doesNotMatch(csv.body, /MARTIN|Occlusion/);
  assert.equal((await hub.app.inject({ url: '/api/v1/acts.csv', headers: as(h.tokens.n1) })).statusCode, 403);
  assert.equal((await hub.app.inject({ url: '/api/v1/acts.csv?from=2026-06-03', headers: as(h.tokens.operator) })).body.split('\n').filter(Boolean).length, 1, 'header only out of range');
  const actsPage = await hub.app.inject({ url: '/acts', headers: as(h.tokens.operator) });
  assert.equal(actsPage.statusCode, 200);
  assert.match(actsPage.body, /id="acts-csv"/);

  const days = await readdir(join(h.t.dir, 'audit'));
  const audit = (await Promise.all(days.map((d) => readFile(join(h.t.dir, 'audit', d), 'utf8')))).join('');
  assert.match(audit, /"action":"report-sign".*"sha256":"[0-9a-f]{64}"/);
  assert.match(audit, /"action":"report-signature-reauth","actor":\{"kind":"user"[^}]*\},"outcome":"failure"/);
  assert.match(audit, /"action":"report-addendum-sign"/);
  assert.doesNotMatch(audit, /Occlusion|cheval/);
});
