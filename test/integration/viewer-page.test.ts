/**
 * The viewer page (hub/viewer): refused without a session (sign-in page, 401) and to roles that
 * do not read worklists (403 page), served in French by default and in English, each opening
 * audited (DCM 110103, viewer-open) with who opened which study; an unknown study is a 404
 * page; its bundled code is served to the same roles and carries no external reference.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SHARED_CT, hasSharedData, listFiles } from '../data.ts';
import { startTestHub, prepare, upload, type TestHub } from './hub-harness.ts';

let t: TestHub;
let study: string;

before(async () => {
  t = await startTestHub({ radiologistId: 'n1' });
  if (!hasSharedData()) return;
  const inst = await prepare(listFiles(SHARED_CT)[0]!);
  assert.equal((await upload(t, t.agentA.credential, inst)).statusCode, 201);
  study = inst.study;
});
after(() => t?.close());

async function sessionOf(token: string): Promise<string> {
  const res = await t.hub.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token } });
  assert.equal(res.statusCode, 200);
  return String(res.headers['set-cookie']).split(';')[0]!;
}

test('without a session the viewer answers the sign-in page (401), never the viewer', { skip: !hasSharedData() }, async () => {
  const res = await t.hub.app.inject({ url: `/studies/${study}/viewer`, headers: { accept: 'text/html' } });
  assert.equal(res.statusCode, 401);
  assert.match(res.body, /login-form/);
  assert.doesNotMatch(res.body, /viewer-canvas/);
  const forged = await t.hub.app.inject({ url: `/studies/${study}/viewer`, headers: { cookie: 'relais_session=forged' } });
  assert.equal(forged.statusCode, 401);
  assert.equal((await t.hub.app.inject({ url: '/viewer/assets/viewer.js' })).statusCode, 401);
});

test('a radiologist’s session opens the viewer, in French by default and in English; the opening is audited', { skip: !hasSharedData() }, async () => {
  const cookie = await sessionOf(t.tokens.radiologist);
  const fr = await t.hub.app.inject({ url: `/studies/${study}/viewer`, headers: { cookie } });
  assert.equal(fr.statusCode, 200);
  assert.match(String(fr.headers['content-type']), /^text\/html/);
  assert.match(String(fr.headers['content-security-policy']), /script-src 'self'/);
  assert.match(fr.body, /<html lang="fr"/);
  assert.match(fr.body, /Visionneuse/);
  assert.match(fr.body, new RegExp(`data-study="${study.replace(/\./g, '\\.')}"`));
  for (const id of ['viewer-canvas', 'series-list', 'slice-slider', 'slice-counter', 'load-progress', 'preset-bone', 'preset-brain', 'preset-subdural', 'preset-lung', 'viewer-reset', 'tool-measure']) {
    assert.match(fr.body, new RegExp(`data-testid="${id}"`), id);
  }
  const en = await t.hub.app.inject({ url: `/studies/${study}/viewer?lang=en`, headers: { cookie } });
  assert.match(en.body, /<html lang="en"/);
  assert.match(en.body, /Bone/);

  const audit = await readFile(join(t.dir, 'audit', `audit-${new Date().toISOString().slice(0, 10)}.jsonl`), 'utf8');
  const opened = audit.trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.action === 'viewer-open');
  assert.equal(opened.length, 2, 'each opening is one audit record');
  assert.equal(opened[0].studyInstanceUid, study);
  assert.equal(opened[0].actor.role, 'radiologist');
  assert.equal(opened[0].dcm, '110103');
  assert.equal(opened[0].outcome, 'success');

  const js = await t.hub.app.inject({ url: '/viewer/assets/viewer.js', headers: { cookie } });
  assert.equal(js.statusCode, 200);
  assert.match(String(js.headers['content-type']), /javascript/);
  assert.doesNotMatch(js.body, /https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}\//i, 'no CDN or external URL in the bundle');
  console.log(`viewer.js: ${js.rawPayload.length} bytes minified`);
  assert.equal((await t.hub.app.inject({ url: '/viewer/assets/viewer.css', headers: { cookie } })).statusCode, 200);
});

test('operators and admins may open it; clinicians get the access-refused page; unknown studies a 404 page', { skip: !hasSharedData() }, async () => {
  for (const role of ['operator', 'admin'] as const) {
    const res = await t.hub.app.inject({ url: `/studies/${study}/viewer`, headers: { cookie: await sessionOf(t.tokens[role]) } });
    assert.equal(res.statusCode, 200, role);
  }
  const clinician = await t.hub.app.inject({ url: `/studies/${study}/viewer`, headers: { cookie: await sessionOf(t.tokens.clinician) } });
  assert.equal(clinician.statusCode, 403);
  assert.match(String(clinician.headers['content-type']), /^text\/html/);
  assert.doesNotMatch(clinician.body, /viewer-canvas/);
  const cookie = await sessionOf(t.tokens.radiologist);
  const unknown = await t.hub.app.inject({ url: '/studies/1.2.3.999/viewer', headers: { cookie } });
  assert.equal(unknown.statusCode, 404);
  assert.match(unknown.body, /Examen inconnu/);
  assert.equal((await t.hub.app.inject({ url: '/studies/not-a-uid/viewer', headers: { cookie } })).statusCode, 400);
});
