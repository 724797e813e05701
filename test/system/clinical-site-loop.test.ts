/**
 * The clinical loop at the site against peers nobody here wrote: a request typed on the
 * agent's local page reaches the hub through the channel; a scripted radiologist in headless
 * Chromium (Debian chromium, playwright-core) answers it on the hub's request page with the
 * stroke protocol, which comes back and shows on the agent's page; DCMTK `findscu -W` gets the
 * accepted request from the agent's worklist; `storescu` sends a study carrying its accession
 * number and identity — it is matched to the request at the hub — plus an identity mismatch
 * and an unsolicited study, both held for reconciliation with their original values (the
 * operator releases the unsolicited one on the reconciliation page, the mismatch stays held);
 * the radiologist takes the case in charge from the worklist, writes the report from the stroke
 * template with a critical finding (who was phoned, when) and signs it re-entering the signing
 * password and a TOTP code; a real Orthanc (the site PACS) stores the Encapsulated PDF and the
 * Basic Text SR in the patient's study; the clinician's SMS arrive in order (answer, taken in
 * charge, report available); the timeline shows every step. Screenshots of the worklist,
 * request, report and reconciliation pages go to $RELAIS_SCREENSHOTS (else a temp directory,
 * printed).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_CT, listFiles } from '../data.ts';
import { waitFor } from '../fakes/wait.ts';
import { silentLogger } from '../../lib/logger.ts';
import { insKey, INS_OIDS } from '../../protocol/ins.ts';
import { loadAgentConfig } from '../../agent/config.ts';
import { startAgent, type RunningAgent } from '../../agent/main.ts';
import { LocalUsers } from '../../agent/local-ui/local-users.ts';
import { startTestHub, bearer, type TestHub } from '../integration/hub-harness.ts';
import { freePort, storescu, killAll } from './agent-process.ts';
import { launchChromium } from './chromium.ts';
import type { Browser, Page } from 'playwright-core';
import { DEFAULT_DISPATCH_POLICY, type Rota } from '../../protocol/dispatch.ts';
import { SmsChannel } from '../../hub/notify/channels/sms.ts';
import { startSmsGateway, type SmsGateway } from '../../simulators/sms-gateway/server.ts';
import { totpAt, base32Decode } from '../../hub/reading/totp.ts';

const CLINICIAN_SMS = '+590690000001';
const SIGNING_PASSWORD = 'cheval-agrafe-batterie-42';

/** One neuro team serving « CH Marie-Galante », Dr Anne Neuro on call around the clock. */
function rota(): Rota {
  return {
    radiologists: [{ id: 'n1', displayName: 'Dr Anne Neuro', rpps: '10101010101', specialties: ['neuro'], channels: {}, maxOpenCases: 5 }],
    teams: [{ id: 'neuro', name: 'Neuro Antilles', zone: 'Europe/Paris', members: ['n1'], lead: 'n1', backupOrder: [] }],
    sites: [{ id: 'ch-mg', name: 'CH Marie-Galante', zone: 'America/Guadeloupe' }],
    agreements: [{ id: 'mg-neuro', siteId: 'ch-mg', teamId: 'neuro', priority: 0 }],
    rules: [],
    operators: [],
    patterns: [{ id: 'h24', teamId: 'neuro', radiologistId: 'n1', role: 'primary', zone: 'Europe/Paris', start: '0 0 * * *', end: '0 0 * * *' }],
    overrides: [], planned: [], extraHolidays: [], policy: DEFAULT_DISPATCH_POLICY,
  };
}

const run = promisify(execFile);
const SLOW = { timeoutMs: 120_000 };
const procs = new Set<ChildProcess>();
after(() => {
  for (const p of procs) p.kill('SIGKILL');
  killAll();
});

function matricule(body13: string): string {
  return `${body13}${String(insKey(body13)).padStart(2, '0')}`;
}

async function startOrthanc(dir: string): Promise<{ http: string; dicomPort: number; stop: () => Promise<void> }> {
  const httpPort = await freePort();
  const dicomPort = await freePort();
  mkdirSync(join(dir, 'db'), { recursive: true });
  const config = join(dir, 'orthanc.json');
  writeFileSync(
    config,
    JSON.stringify({ Name: 'RelaisTestPACS', StorageDirectory: join(dir, 'db'), IndexDirectory: join(dir, 'db'), HttpPort: httpPort, DicomPort: dicomPort, DicomAet: 'SITEPACS', RemoteAccessAllowed: false, AuthenticationEnabled: false, DicomCheckCalledAet: true, Plugins: [], HttpBindAddress: '127.0.0.1' }),
  );
  const child = spawn('Orthanc', [config], { stdio: ['ignore', 'ignore', 'pipe'] });
  procs.add(child);
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const http = `http://127.0.0.1:${httpPort}`;
  await waitFor(async () => (await fetch(`${http}/system`)).ok, `Orthanc up (${log.slice(-300)})`, { timeoutMs: 60_000 });
  return {
    http,
    dicomPort,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      procs.delete(child);
    },
  };
}

/** Copies `n` CT slices and sets the given attributes with dcmodify (new series/instance UIDs). */
async function makeStudy(dir: string, n: number, attrs: Record<string, string>): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files = listFiles(SHARED_CT).slice(0, n).map((f, i) => {
    const to = join(dir, `i${i}.dcm`);
    copyFileSync(f, to);
    return to;
  });
  const args = ['-nb', '-gse', '-gin'];
  for (const [k, v] of Object.entries(attrs)) args.push('-ma', `${k}=${v}`);
  await run('dcmodify', [...args, ...files]);
  return files;
}

test('request on the site page → radiologist answers in Chromium → worklist (findscu) → matched study (storescu) → held ones → report written and signed in Chromium → Orthanc', { timeout: 300_000 }, async (t) => {
  const T0 = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'relais-clinical-sys-'));
  const shots = process.env.RELAIS_SCREENSHOTS || mkdtempSync(join(tmpdir(), 'relais-clinical-shots-'));
  mkdirSync(shots, { recursive: true });
  let hub: TestHub | undefined;
  let agent: RunningAgent | undefined;
  let orthanc: Awaited<ReturnType<typeof startOrthanc>> | undefined;
  let gateway: SmsGateway | undefined;
  let browser: Browser | undefined;
  try {
    gateway = await startSmsGateway({ token: 'gw-token' });
    hub = await startTestHub({ rota: rota(), siteA: 'ch-mg', radiologistId: 'n1', channels: [new SmsChannel({ url: gateway.url, token: 'gw-token', sender: 'RELAIS' })] });
    const hubUrl = await hub.hub.app.listen({ host: '127.0.0.1', port: 0 });
    orthanc = await startOrthanc(join(work, 'orthanc'));
    browser = await launchChromium();
    const dataDir = join(work, 'agent');
    await new LocalUsers(dataDir).add('ide', 'Dr Inès Urgentiste', 'clinician', 'correct horse battery', new Date());
    agent = await startAgent(
      loadAgentConfig(
        {
          data: dataDir, hub: hubUrl, credential: hub.agentA.credential, agentId: hub.agentA.id, dicomPort: '0', aeTitle: 'RELAIS', uiPort: '0', lang: 'fr',
          quietSeconds: '1', retryBaseMs: '50', retryMaxMs: '1000', heartbeatSeconds: '5', minFreeMb: '0', channelWaitSeconds: '2',
          pacs: `127.0.0.1:${orthanc.dicomPort}`, pacsAe: 'SITEPACS', stations: 'CT_ROOM',
        },
        {},
      ),
      { log: silentLogger() },
    );
    const ui = agent.clinical.uiUrl!;
    const errors: string[] = [];
    const signedIn = async (token: string, path: string): Promise<Page> => {
      const context = await browser!.newContext({ locale: 'fr-FR', timezoneId: 'America/Guadeloupe', viewport: { width: 1360, height: 900 } });
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${hubUrl}${path}#token=${token}`);
      return page;
    };

    // 1. The clinician signs in and types the request (the page refuses a wrong INS key first).
    const login = await fetch(`${ui}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user=ide&password=correct+horse+battery', redirect: 'manual' });
    assert.equal(login.status, 303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const form = await (await fetch(`${ui}/requests/new`, { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form)![1]!;
    const ins = matricule('2550814168025');
    const fields = {
      _csrf: csrf, insMatricule: ins, insOid: INS_OIDS.nirTest, birthNames: 'Dupont', firstNames: 'Marie Hélène', sex: 'F', birthDate: '1955-08-03', birthPlaceCode: '14168',
      localId: 'IPP-0042', localIssuer: 'CH-MG', context: 'Chute, céphalées, sous anticoagulant.', question: 'Hémorragie intracrânienne ?', urgency: 'emergency', examType: 'ct-head',
      station: 'CT_ROOM', requesterName: 'Dr Inès Urgentiste', phone: CLINICIAN_SMS,
    };
    const bad = await fetch(`${ui}/requests`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...fields, insMatricule: `${ins.slice(0, 13)}00` }).toString() });
    assert.equal(bad.status, 422);
    assert.match(await bad.text(), /Clé du matricule INS incorrecte/);
    t.diagnostic(`ui ready ${Date.now() - T0} ms`);
    const created = await fetch(`${ui}/requests`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    assert.equal(created.status, 201, await created.clone().text());
    const [record] = agent.clinical.desk.store.list();
    const request = record!.request;
    assert.equal(request.patient.birthNames, 'DUPONT');
    assert.equal(request.patient.firstNames, 'MARIE HELENE', 'traits are upper-cased without accents');

    // 2. It reaches the hub (a case opens, assigned to Dr Neuro); she accepts it in her browser
    //    with the stroke protocol.
    await waitFor(() => hub!.hub.clinical!.requests.get(request.requestId), 'the request at the hub', SLOW);
    const engine = hub.dispatch.engine;
    await waitFor(() => engine.getCase(request.requestId)?.assignee === 'n1', 'the request’s case assigned to the radiologist on call', SLOW);
    t.diagnostic(`request at hub ${Date.now() - T0} ms`);
    const rad = await signedIn(hub.tokens.radiologist, `/requests/${request.requestId}`);
    await rad.waitForSelector('#accept-form');
    assert.match((await rad.textContent('#request')) ?? '', /Hémorragie intracrânienne \?/);
    await rad.selectOption('#templateId', 'ct-head-stroke');
    await rad.fill('#protocolText', 'Hélice sans injection puis angio-TDM du polygone.');
    await rad.screenshot({ path: join(shots, 'hub-request-answer-fr.png'), fullPage: true });
    await Promise.all([rad.waitForURL(/answered=1/), rad.click('#send-protocol')]);
    assert.match((await rad.textContent('#page-message')) ?? '', /Réponse enregistrée/);
    await waitFor(() => agent!.clinical.desk.store.get(request.requestId)?.status === 'accepted', 'the answer at the site', SLOW);
    const page = await (await fetch(`${ui}/requests/${request.requestId}`, { headers: { cookie } })).text();
    assert.match(page, /data-decision="accepted"/);
    assert.match(page, /angio-TDM du polygone/);
    t.diagnostic(`answer at site ${Date.now() - T0} ms`);

    // The radiologist sets her signing password (proved by her access token) and enrols TOTP.
    await rad.goto(`${hubUrl}/me/signature`);
    await rad.fill('#current', hub.tokens.radiologist);
    await rad.fill('#new-password', SIGNING_PASSWORD);
    await Promise.all([rad.waitForURL(/done=passwordSet/), rad.click('#set-password')]);
    await Promise.all([rad.waitForSelector('#totp-secret'), rad.click('#totp-enrol-form button')]);
    const secret = base32Decode((await rad.textContent('#totp-secret'))!);
    await rad.fill('#totp-code', totpAt(secret, Date.now()));
    await Promise.all([rad.waitForURL(/done=totpActive/), rad.click('#totp-confirm-form button')]);
    assert.equal(await rad.getAttribute('#totp-state', 'data-totp'), 'active');

    // 3. DCMTK findscu queries the worklist (station AE and modality keys) and gets the request.
    const find = await run('findscu', ['-W', '-aet', 'CT_ROOM', '-aec', 'RELAIS', '-k', '0008,0005', '-k', 'PatientName', '-k', 'PatientID', '-k', 'PatientBirthDate', '-k', 'PatientSex', '-k', 'AccessionNumber', '-k', 'StudyInstanceUID', '-k', 'RequestedProcedureDescription', '-k', '(0040,0100)[0].Modality=CT', '-k', '(0040,0100)[0].ScheduledStationAETitle=CT_ROOM', '-k', '(0040,0100)[0].ScheduledProcedureStepStartDate', '127.0.0.1', String(agent.dicomPort)], { env: { ...process.env, TCP_NODELAY: '1' } });
    const out = find.stdout + find.stderr;
    assert.match(out, new RegExp(`\\(0008,0050\\) SH \\[${request.accessionNumber}\\]`));
    assert.match(out, /\(0010,0010\) PN \[DUPONT\^MARIE\^HELENE ?\]/);
    assert.match(out, /\(0010,0020\) LO \[IPP-0042\]/);
    assert.match(out, /\(0008,0005\) CS \[ISO_IR 192\]/);
    assert.match(out, new RegExp(`\\(0020,000d\\) UI \\[${request.studyInstanceUid.replace(/\./g, '\\.')}\\x00?\\]`)); // an odd-length UID is padded with NUL
    const none = await run('findscu', ['-W', '-aec', 'RELAIS', '-k', 'AccessionNumber', '-k', '(0040,0100)[0].Modality=MR', '127.0.0.1', String(agent.dicomPort)]);
    assert.doesNotMatch(none.stdout + none.stderr, /\(0008,0050\) SH \[RL/, 'an MR query does not return the CT request');

    // 4. The scanner sends the study (identity from the worklist) plus two that must be held.
    const identity = { PatientName: 'DUPONT^MARIE^HELENE', PatientID: 'IPP-0042', PatientBirthDate: '19550803', PatientSex: 'F', AccessionNumber: request.accessionNumber };
    const MISMATCH = '2.25.111111111111111111111111111111';
    const UNSOLICITED = '2.25.222222222222222222222222222222';
    const matched = await makeStudy(join(work, 'matched'), 3, { ...identity, StudyInstanceUID: request.studyInstanceUid });
    const mismatch = await makeStudy(join(work, 'mismatch'), 2, { ...identity, PatientID: 'IPP-9999', StudyInstanceUID: MISMATCH });
    const unsolicited = await makeStudy(join(work, 'unsolicited'), 2, { ...identity, AccessionNumber: 'XX0001', StudyInstanceUID: UNSOLICITED });
    for (const files of [matched, mismatch, unsolicited]) {
      const sent = await storescu(agent.dicomPort, files);
      assert.equal(sent.acked.length, files.length, sent.output.slice(-1500));
    }
    const catalog = hub.stores.catalog;
    await waitFor(async () => (await catalog.get(request.studyInstanceUid))?.requestId === request.requestId, 'the matched study linked at the hub', SLOW);
    await waitFor(() => hub!.hub.clinical!.requests.get(request.requestId)?.studies.includes(request.studyInstanceUid), 'the request knows its study', SLOW);
    await waitFor(() => engine.getCase(request.requestId)?.studyInstanceUid === request.studyInstanceUid, 'the images joined the request’s case', SLOW);
    // The hold can reach the hub before the (compressed) images: wait for both.
    const heldMismatch = await waitFor(async () => {
      const r = await catalog.get(MISMATCH);
      return r?.hold && r.patient?.id ? r.hold : undefined;
    }, 'the mismatch held with its images', SLOW);
    assert.equal((await catalog.get(MISMATCH))!.status, 'held');
    assert.deepEqual(heldMismatch.reasons, ['patient-id-differs']);
    assert.equal((await catalog.get(MISMATCH))!.patient.id, 'IPP-9999', 'the original value is kept');
    assert.equal((await catalog.get(MISMATCH))!.requestId, undefined, 'never merged with the request');
    const heldUnsolicited = await waitFor(async () => (await catalog.get(UNSOLICITED))?.hold, 'the unsolicited study held', SLOW);
    assert.deepEqual(heldUnsolicited.reasons, ['no-request']);
    assert.equal(engine.getCase(MISMATCH), undefined, 'a held study is not dispatched');
    assert.equal(engine.getCase(UNSOLICITED), undefined, 'a held study is not dispatched');
    const recon = await hub.hub.app.inject({ url: '/api/v1/reconciliation', headers: bearer(hub.tokens.operator) });
    assert.equal(recon.json().studies.length, 2);
    assert.equal((await hub.hub.app.inject({ url: '/api/v1/reconciliation', headers: bearer(hub.tokens.radiologist) })).statusCode, 403);

    // The operator sees both on the reconciliation page (values side by side) and releases the
    // unsolicited one; the mismatch stays held.
    const op = await signedIn(hub.tokens.operator, '/reconciliation');
    await op.waitForSelector(`[data-study="${MISMATCH}"]`);
    assert.match((await op.textContent(`[data-study="${MISMATCH}"]`)) ?? '', /IPP-9999[\s\S]*IPP-0042/, 'the study’s value beside the request’s');
    await op.screenshot({ path: join(shots, 'hub-reconciliation-fr.png'), fullPage: true });
    await Promise.all([op.waitForURL(/done=1/), op.click(`[data-study="${UNSOLICITED}"] .release-form button`)]);
    assert.equal((await catalog.get(UNSOLICITED))!.reconciled?.decision, 'unsolicited');
    assert.ok(engine.getCase(UNSOLICITED), 'released: dispatched as a case of its own');
    assert.equal((await catalog.get(MISMATCH))!.status, 'held');

    // 5. The radiologist opens her worklist, takes the case in charge from the report page,
    //    opens the viewer, writes from the stroke template with a critical finding, and signs (password + TOTP).
    await rad.goto(`${hubUrl}/my-cases`);
    const row = `[data-case="${request.requestId}"]`;
    await rad.waitForSelector(`${row} [data-link="report"]`);
    assert.ok(await rad.$(`${row} [data-link="viewer"][href="/studies/${request.studyInstanceUid}/viewer"]`), 'a link to the viewer');
    await rad.screenshot({ path: join(shots, 'hub-worklist-fr.png'), fullPage: true });
    // The viewer, from the worklist: the matched study's images load from the hub's DICOMweb.
    await Promise.all([rad.waitForURL(/\/viewer$/), rad.click(`${row} [data-link="viewer"]`)]);
    await rad.waitForSelector('[data-testid="viewer"][data-complete="true"]', { timeout: 60_000 });
    await rad.waitForSelector('[data-testid="viewer-canvas"][data-rendered]');
    await rad.screenshot({ path: join(shots, 'hub-viewer-fr.png') });
    await rad.goto(`${hubUrl}/my-cases`);
    await rad.waitForSelector(`${row} [data-link="report"]`);
    await Promise.all([rad.waitForURL(/\/report$/), rad.click(`${row} [data-link="report"]`)]);
    await Promise.all([rad.waitForURL(/done=takenInCharge/), rad.click('#take')]);
    assert.equal(engine.getCase(request.requestId)!.state, 'acknowledged');
    await rad.selectOption('#template', 'ct-stroke');
    await Promise.all([rad.waitForURL(/template=ct-stroke/), rad.click('#apply-template')]);
    assert.match(await rad.inputValue('#text'), /ASPECTS : 10/);
    await rad.fill('#text', `${await rad.inputValue('#text')}\nHématome sous-dural aigu droit de 8 mm.`);
    await rad.fill('#conclusion', 'Hématome sous-dural aigu droit, sans engagement.');
    await rad.check('#critical');
    await rad.fill('#calledWho', 'Dr Inès Urgentiste');
    await rad.fill('#calledAt', '2026-06-02T22:05');
    await rad.fill('#password', SIGNING_PASSWORD);
    await rad.fill('#totp', totpAt(secret, Date.now() + 30_000)); // the next step: the enrolment's code is spent
    await rad.screenshot({ path: join(shots, 'hub-report-editor-fr.png'), fullPage: true });
    await Promise.all([rad.waitForURL(/done=signed/), rad.click('#sign')]);
    assert.match((await rad.textContent('#page-message')) ?? '', /Compte rendu signé/);
    const sha256 = await rad.getAttribute('#signed .original', 'data-sha256');
    assert.match(sha256 ?? '', /^[0-9a-f]{64}$/);
    const [report] = hub.hub.clinical!.reports.forStudy(request.studyInstanceUid);
    assert.equal(report!.sha256, sha256);
    assert.equal(report!.critical, true);
    const reportId = report!.reportId;

    // 6. The report: hub → agent → Orthanc (PDF + SR in the patient's study) → confirmation.
    await waitFor(() => hub!.hub.clinical!.reports.get(reportId)?.status === 'delivered', 'the delivery confirmation at the hub', SLOW);
    assert.equal((await catalog.get(request.studyInstanceUid))!.status, 'delivered');
    const series = (await (await fetch(`${orthanc.http}/tools/find`, { method: 'POST', body: JSON.stringify({ Level: 'Series', Query: { StudyInstanceUID: request.studyInstanceUid }, Expand: true }) })).json()) as Array<{ MainDicomTags: { Modality: string } }>;
    const modalities = series.map((s) => s.MainDicomTags.Modality).sort();
    assert.deepEqual(modalities, ['DOC', 'SR'], 'Orthanc holds the PDF and the SR in the patient’s study');
    const studies = (await (await fetch(`${orthanc.http}/tools/find`, { method: 'POST', body: JSON.stringify({ Level: 'Study', Query: { StudyInstanceUID: request.studyInstanceUid }, Expand: true }) })).json()) as Array<{ PatientMainDicomTags: Record<string, string>; MainDicomTags: Record<string, string> }>;
    assert.equal(studies.length, 1, 'one study in the site PACS: the patient’s');
    assert.equal(studies[0]!.PatientMainDicomTags.PatientID, 'IPP-0042');
    assert.equal(studies[0]!.MainDicomTags.AccessionNumber, request.accessionNumber);
    const pdf = await fetch(`${ui}/reports/${reportId}.pdf`, { headers: { cookie } });
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.equal(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');

    // 7. The clinician's alerts arrived in order; the timeline shows every step.
    const toClinician = () => gateway!.messages().filter((m) => m.to === CLINICIAN_SMS).map((m) => m.text);
    await waitFor(() => toClinician().some((x) => /compte rendu .* est disponible/.test(x)), 'alert (3) to the clinician', SLOW);
    const sms = toClinician();
    const at = (re: RegExp) => sms.findIndex((x) => re.test(x));
    assert.ok(at(/a répondu à la demande/) >= 0, sms.join('\n'));
    assert.ok(at(/a répondu à la demande/) < at(/pris en charge/) && at(/pris en charge/) < at(/est disponible/), `answer, then (2), then (3):\n${sms.join('\n')}`);
    assert.equal(sms.filter((x) => /est disponible/.test(x)).length, 1, 'alert (3) once');
    for (const x of sms) assert.doesNotMatch(x, /DUPONT|MARIE|IPP-0042|Hématome/, 'no patient data in an SMS');
    await engine.idle();
    const steps = engine.getCase(request.requestId)!.timeline.map((e) => e.type);
    for (const step of ['received', 'assigned', 'request-answered', 'images-received', 'acknowledged', 'reported', 'delivered', 'notified']) assert.ok(steps.includes(step), `timeline has ${step}: ${steps.join(', ')}`);
    assert.ok(steps.indexOf('received') < steps.indexOf('assigned') && steps.indexOf('acknowledged') < steps.indexOf('reported') && steps.indexOf('reported') < steps.indexOf('delivered'));
    await rad.reload();
    await rad.waitForSelector('#signed [data-delivery="delivered"]');
    assert.ok((await rad.$$('#timeline li')).length >= 8);
    await rad.screenshot({ path: join(shots, 'hub-report-signed-fr.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no script error in the pages');
    for (const f of ['hub-worklist-fr.png', 'hub-viewer-fr.png', 'hub-request-answer-fr.png', 'hub-report-editor-fr.png', 'hub-report-signed-fr.png', 'hub-reconciliation-fr.png']) assert.ok(existsSync(join(shots, f)), f);
    t.diagnostic(`screenshots in ${shots}`);
    t.diagnostic(`request ${request.accessionNumber}: answered, worklist, 3 matched + 2 held, report signed in Chromium and in Orthanc, ${Date.now() - T0} ms`);
  } finally {
    const stopAt = Date.now();
    const timed = async (what: string, f: () => Promise<unknown> | undefined) => {
      const t1 = Date.now();
      await f();
      t.diagnostic(`stop ${what}: ${Date.now() - t1} ms`);
    };
    await timed('browser', () => browser?.close());
    await timed('agent', () => agent?.stop());
    await timed('orthanc', () => orthanc?.stop());
    await timed('hub app', () => hub?.hub.app.close());
    await timed('hub engine', () => hub?.dispatch.engine.stop());
    await timed('hub', () => hub?.close());
    await timed('sms gateway', () => gateway?.close());
    rmSync(work, { recursive: true, force: true });
    t.diagnostic(`teardown ${Date.now() - stopAt} ms`);
  }
});
