/**
 * The dispatch pages in a real browser (Debian chromium driven by playwright-core), French by
 * default: an administrator edits the rota — a form refuses a bad RPPS beside the field, the
 * hub refuses to delete a radiologist still in a team and says why, a replacement is added —
 * and sees who is on call change, and the CSV export carries it; an agent's study is then assigned to the replacement; the
 * operator's cases page shows it live with « assigné à … » and its timeline; the radiologist
 * takes it in charge from « Mes dossiers » and the operator's page follows without reload.
 * Screenshots of the rota, cases and « mes dossiers » pages go to test-results/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium.ts';
import { REPO_ROOT, SHARED_CT, listFiles } from '../data.ts';
import { startTestHub, prepare, putInstance, type TestHub } from '../integration/hub-harness.ts';
import { DEFAULT_DISPATCH_POLICY, type Rota } from '../../protocol/dispatch.ts';

const SHOTS = join(REPO_ROOT, 'test-results');
let t: TestHub;
let url: string;
let browser: Browser;

function rota(): Rota {
  return {
    radiologists: [
      { id: 'n1', displayName: 'Dr Anne Neuro', rpps: '10101010101', specialties: ['neuro'], channels: {}, maxOpenCases: 3 },
      { id: 'n2', displayName: 'Dr Bruno Back', rpps: '10202020202', specialties: ['neuro'], channels: {}, maxOpenCases: 3 },
    ],
    teams: [{ id: 'neuro', name: 'Neuro Antilles', zone: 'Europe/Paris', members: ['n1', 'n2'], lead: 'n1', backupOrder: [] }],
    sites: [{ id: 'ch-mg', name: 'CH Marie-Galante', zone: 'America/Guadeloupe' }],
    agreements: [{ id: 'mg-neuro', siteId: 'ch-mg', teamId: 'neuro', priority: 0 }],
    rules: [],
    operators: [],
    patterns: [{ id: 'h24', teamId: 'neuro', radiologistId: 'n1', role: 'primary', zone: 'Europe/Paris', start: '0 0 * * *', end: '0 0 * * *', label: 'Garde 24 h/24' }],
    overrides: [], planned: [], extraHolidays: [], policy: DEFAULT_DISPATCH_POLICY,
  };
}

before(async () => {
  t = await startTestHub({ rota: rota(), siteA: 'ch-mg', radiologistId: 'n2' });
  url = await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
  await mkdir(SHOTS, { recursive: true });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await t?.close();
});

async function signedIn(token: string, path: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${url}${path}#token=${token}`);
  return { page, errors };
}

const nowList = (team: string) => `[data-team="${team}"] [data-oncall="now"]`;

test('an administrator edits the rota: field and rota refusals explained, a replacement changes who is on call', async () => {
  const { page, errors } = await signedIn(t.tokens.admin, '/rota');
  await page.waitForSelector(`${nowList('neuro')} [data-radiologist="n1"]`);
  assert.equal(await page.textContent('h1'), 'Tableau de garde');
  assert.match((await page.textContent('[data-team="neuro"]')) ?? '', /Pas de changement dans les 14 jours/);
  assert.match((await page.textContent('#channels')) ?? '', /Canaux d'alerte actifs : web/);

  // A bad RPPS is refused beside its field, before anything is sent.
  await page.click('#radiologists [data-action="add"]');
  await page.fill('#form-radiologists-id', 'n3');
  await page.fill('#form-radiologists-displayName', 'Dr Claire Ortho');
  await page.fill('#form-radiologists-rpps', '123');
  await page.click('#form-radiologists button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('[data-error-for="rpps"]')?.textContent === '11 chiffres');
  await page.click('#form-radiologists button[type="button"]');

  // The hub refuses to delete a radiologist who is still in a team, and says why.
  await page.click('#radiologists tr[data-id="n1"] [data-action="delete"]');
  await page.waitForFunction(() => /Le tableau de garde refuse cette modification/.test(document.querySelector('[data-message="radiologists"]')?.textContent ?? ''));
  assert.match((await page.textContent('[data-message="radiologists"]')) ?? '', /n1/);
  assert.equal(t.dispatch.engine.rota.radiologists.length, 2, 'nothing changed');

  // A replacement: Dr Bruno Back covers Dr Anne Neuro for the next 12 hours (default interval).
  await page.click('#overrides [data-action="add"]');
  await page.selectOption('#form-overrides-teamId', 'neuro');
  await page.selectOption('#form-overrides-radiologistId', 'n2');
  await page.selectOption('#form-overrides-replaces', 'n1');
  await page.fill('#form-overrides-reason', 'Dr Neuro au bloc');
  await page.click('#form-overrides button[type="submit"]');
  await page.waitForSelector(`${nowList('neuro')} [data-radiologist="n2"]`);
  assert.equal(await page.$(`${nowList('neuro')} [data-radiologist="n1"]`), null, 'the replaced radiologist is off call');
  assert.match((await page.textContent('[data-team="neuro"] [data-oncall="next"]')) ?? '', /Dr Anne Neuro/, 'back after the replacement');
  assert.match((await page.textContent('#overrides table')) ?? '', /Dr Neuro au bloc/);
  assert.equal(t.dispatch.engine.rota.overrides.length, 1);
  // The export links download the resolved shifts (session cookie), replacement included.
  const csv = await page.evaluate(async () => (await fetch((document.querySelector('[data-export="csv"]') as HTMLAnchorElement).href)).text());
  assert.match(csv, /Dr Bruno Back/);
  assert.match(csv, /Dr Anne Neuro/);
  await page.screenshot({ path: join(SHOTS, 'hub-rota-fr.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('a study is assigned to whoever is on call; the operator watches it live, the radiologist takes it in charge', async () => {
  const ct = await Promise.all(listFiles(SHARED_CT).slice(0, 3).map(prepare));
  const operator = await signedIn(t.tokens.operator, '/cases');
  await operator.page.waitForSelector('#live-state.on');
  for (const inst of ct) {
    const res = await putInstance(url, t.agentA.credential, inst, 'emergency');
    assert.equal(res.status, 201);
  }
  const study = ct[0]!.study;
  const row = `[data-table="open"] tr[data-case="${study}"]`;
  await operator.page.waitForSelector(`${row}[data-state="assigned"]`);
  assert.match((await operator.page.textContent(row)) ?? '', /assigné à Dr Bruno Back : d'astreinte \(Neuro Antilles\)/);
  await operator.page.click(row);
  await operator.page.waitForSelector(`[data-timeline="${study}"] li[data-type="assigned"]`);
  assert.match((await operator.page.textContent(`[data-timeline="${study}"]`)) ?? '', /reçu de CH Marie-Galante : CT BRAIN, urgent/);

  const radiologist = await signedIn(t.tokens.radiologist, '/my-cases');
  const mine = `[data-table="mine"] tr[data-case="${study}"]`;
  await radiologist.page.waitForSelector(`${mine}[data-state="assigned"]`);
  await radiologist.page.screenshot({ path: join(SHOTS, 'hub-my-cases-fr.png'), fullPage: true });
  await radiologist.page.click(`${mine} [data-action="take"]`);
  await radiologist.page.waitForSelector(`${mine}[data-state="acknowledged"]`);

  // The operator's page follows without reload.
  await operator.page.waitForSelector(`${row}[data-state="acknowledged"]`);
  await operator.page.waitForSelector(`[data-timeline="${study}"] li[data-type="acknowledged"]`);
  assert.match((await operator.page.textContent(`[data-timeline="${study}"]`)) ?? '', /pris en charge par Dr Bruno Back/);
  await operator.page.screenshot({ path: join(SHOTS, 'hub-cases-fr.png'), fullPage: true });

  // The fleet page shows the case beside the study's progress.
  await operator.page.click('nav a[href="/"]');
  await operator.page.waitForSelector(`tr[data-study="${study}"][data-status="acknowledged"] .study-case`);
  assert.match((await operator.page.textContent(`tr[data-study="${study}"]`)) ?? '', /Pris en charge.*assigné à Dr Bruno Back/);

  // English on demand; a radiologist may not open the operators' pages.
  await operator.page.click('nav a[href="/cases"]');
  await operator.page.waitForSelector('#live-state.on');
  await operator.page.click('[data-lang-switch="en"]');
  assert.equal(await operator.page.textContent('h1'), 'Cases in progress');
  const refused = await radiologist.page.goto(`${url}/rota`);
  assert.equal(refused?.status(), 403);
  assert.match((await radiologist.page.textContent('main')) ?? '', /Votre rôle ne donne pas accès à cette page/);
  assert.deepEqual(operator.errors, []);
  assert.deepEqual(radiologist.errors, []);
});
