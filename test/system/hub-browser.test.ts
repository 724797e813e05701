/**
 * The operator's live page in a real browser (Debian chromium driven by playwright-core):
 * a `#token=` link signs in (session cookie), the page speaks French by default, shows an
 * agent going online when its heartbeat arrives and a study's progress moving as instances
 * are uploaded and its manifest arrives — all pushed live over socket.io, no reload — then
 * switches to English and remembers it. Nothing is fetched from outside the hub.
 * A screenshot is saved under test-results/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { REPO_ROOT, SHARED_CT, listFiles } from '../data.ts';
import { startTestHub, prepare, agentHeaders, type TestHub, type PreparedInstance } from '../integration/hub-harness.ts';
import type { Heartbeat } from '../../protocol/heartbeat.ts';

let t: TestHub;
let url: string;
let browser: Browser;
let ct: PreparedInstance[];

before(async () => {
  t = await startTestHub();
  url = await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
  ct = await Promise.all(listFiles(SHARED_CT).map(prepare));
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
after(async () => {
  await browser?.close();
  await t?.close();
});

async function put(inst: PreparedInstance): Promise<void> {
  const res = await fetch(`${url}/api/v1/instances/${inst.sop}`, {
    method: 'PUT',
    headers: agentHeaders(t.agentA.credential, { 'content-type': 'application/dicom', 'relais-sha256': inst.sha256, 'relais-urgency': 'emergency', 'relais-study-uid': inst.study }),
    body: new Uint8Array(inst.bytes),
  });
  assert.equal(res.status, 201);
}

test('an operator signs in from a #token= link and watches an agent come online and a study arrive, live', async () => {
  const page = await browser.newPage({ locale: 'fr-FR', viewport: { width: 1280, height: 800 } });
  const foreign: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(url) && !r.url().startsWith('ws://127.0.0.1')) foreign.push(r.url());
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(`${url}/#token=${t.tokens.operator}`);
  await page.waitForSelector('#live-state.on');
  assert.equal(new URL(page.url()).hash, '', 'the token does not stay in the address bar');
  assert.equal(await page.textContent('h1'), 'Supervision du parc');
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'relais_session');
  assert.ok(session?.httpOnly && session.sameSite === 'Strict');

  const agentRow = `tr[data-agent="${t.agentA.id}"]`;
  await page.waitForSelector(`${agentRow}[data-status="never-seen"]`);
  assert.match((await page.textContent(agentRow)) ?? '', /Jamais vu/);

  const hb: Heartbeat = {
    agentId: t.agentA.id, agentVersion: '0.1.0', protocolVersion: 1, sentAt: new Date().toISOString(), uptimeSeconds: 3600,
    queue: { studies: 1, instances: ct.length, bytes: 28_000_000, oldestUnsentAgeSeconds: 12, quarantined: 0 },
    disk: { freeBytes: 80e9, totalBytes: 120e9 }, lastUploadAt: null, dicom: { aeTitle: 'RELAIS', port: 11112, activeAssociations: 1 }, alerts: [],
  };
  const hbRes = await fetch(`${url}/api/v1/agents/heartbeat`, { method: 'POST', headers: { ...agentHeaders(t.agentA.credential), 'content-type': 'application/json' }, body: JSON.stringify(hb) });
  assert.equal(hbRes.status, 200);
  await page.waitForSelector(`${agentRow}[data-status="online"]`);
  assert.match((await page.textContent(agentRow)) ?? '', /En ligne/);

  const study = ct[0]!.study;
  const studyRow = `tr[data-study="${study}"]`;
  for (const inst of ct.slice(0, 10)) await put(inst);
  await page.waitForFunction((sel) => /10 images/.test(document.querySelector(sel)?.textContent ?? ''), studyRow);
  const manifest = {
    studyInstanceUid: study, urgency: 'emergency', firstReceivedAt: new Date().toISOString(), lastReceivedAt: new Date().toISOString(),
    instances: ct.map((i) => ({ sopInstanceUid: i.sop, seriesInstanceUid: i.series, sha256: i.sha256, size: i.bytes.length })),
  };
  const m = await fetch(`${url}/api/v1/studies/${study}/manifest`, { method: 'POST', headers: { ...agentHeaders(t.agentA.credential), 'content-type': 'application/json' }, body: JSON.stringify(manifest) });
  assert.equal(m.status, 200);
  await page.waitForFunction((sel) => /10 \/ 54 images/.test(document.querySelector(sel)?.textContent ?? ''), studyRow);
  assert.match((await page.textContent(studyRow)) ?? '', /Urgence/);
  assert.match((await page.textContent(studyRow)) ?? '', /Réception/);
  for (const inst of ct.slice(10, 40)) await put(inst);
  await page.waitForFunction((sel) => /40 \/ 54 images/.test(document.querySelector(sel)?.textContent ?? ''), studyRow);
  await mkdir(join(REPO_ROOT, 'test-results'), { recursive: true });
  await page.screenshot({ path: join(REPO_ROOT, 'test-results', 'hub-fleet-receiving-fr.png'), fullPage: true });
  for (const inst of ct.slice(40)) await put(inst);
  await page.waitForSelector(`${studyRow}[data-status="complete"]`);
  assert.match((await page.textContent(studyRow)) ?? '', /54 \/ 54 images/);
  assert.match((await page.textContent(studyRow)) ?? '', /Complet/);

  await page.click('[data-lang-switch="en"]');
  assert.equal(await page.textContent('h1'), 'Fleet overview');
  assert.match((await page.textContent(studyRow)) ?? '', /Complete/);
  await page.reload();
  await page.waitForSelector('#live-state.on');
  assert.equal(await page.textContent('h1'), 'Fleet overview', 'the language is remembered');
  assert.match((await page.textContent(agentRow)) ?? '', /Online/);
  await page.screenshot({ path: join(REPO_ROOT, 'test-results', 'hub-fleet-complete-en.png'), fullPage: true });

  assert.deepEqual(foreign, [], 'no request leaves the hub');
  assert.deepEqual(errors, [], 'no script error');
  await page.close();
});

test('a wrong token on the sign-in page is refused with a message, in French', async () => {
  const page = await browser.newPage({ locale: 'fr-FR' });
  await page.goto(`${url}/login`);
  await page.fill('#login-token', 'rlsu.nobody.' + 'x'.repeat(43));
  await page.click('#login-submit');
  await page.waitForFunction(() => (document.getElementById('login-message')?.textContent ?? '').length > 0);
  assert.equal(await page.textContent('#login-message'), 'Jeton refusé.');
  await page.close();
});
