/**
 * Dispatch in the running hub (issue 6 end to end, on a manual clock): an agent uploads a
 * study over HTTP; its case opens at the first instance (before the upload is acknowledged)
 * and goes to the radiologist on call per the rota; the simulated radiologist, signed in with
 * a hub token linked to the rota, gets the assignment over socket.io and takes it in charge
 * over HTTP; the site's clinician gets alert (2) through the SMS gateway simulator exactly
 * once; the catalog's status and the fleet view follow the case, with its « assigné à … »;
 * nobody taking it in charge escalates to the back-up at the exact time; a case lost in a
 * crash is reopened at start. No patient identity reaches an SMS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '../fakes/manual-clock.ts';
import { silentLogger } from '../../lib/logger.ts';
import { parseDicomHeader } from '../../lib/dicom/header.ts';
import { SHARED_CT, SHARED_MR, listFiles } from '../data.ts';
import { DEFAULT_DISPATCH_POLICY, DISPATCH_ROUTES, type AssignmentEvent, type EscalationEvent, type Rota } from '../../protocol/dispatch.ts';
import type { FleetSnapshot } from '../../protocol/fleet.ts';
import { SmsChannel } from '../../hub/notify/channels/sms.ts';
import { buildApp } from '../../hub/app.ts';
import { openHubStores } from '../../hub/stores.ts';
import { openDispatch } from '../../hub/dispatch/open-dispatch.ts';
import { startSmsGateway, type SmsGateway } from '../../simulators/sms-gateway/server.ts';
import { RadiologistBot } from '../../simulators/radiologist/bot.ts';
import { io as connectSocket } from 'socket.io-client';
import { startTestHub, prepare, agentHeaders, putInstance, type TestHub, type PreparedInstance } from './hub-harness.ts';

const START = '2026-06-02T20:00:00Z'; // 22:00 in Paris: the night shift
const CLINICIAN_SMS = '+590690000001';

function rota(): Rota {
  return {
    radiologists: [
      { id: 'n1', displayName: 'Dr Anne Neuro', rpps: '10101010101', specialties: ['neuro'], channels: { sms: '+33611111111' }, maxOpenCases: 3 },
      { id: 'n2', displayName: 'Dr Bruno Back', rpps: '10202020202', specialties: ['neuro'], channels: { sms: '+33622222222' }, maxOpenCases: 3 },
      { id: 'n3', displayName: 'Dr Chef', rpps: '10303030303', specialties: ['neuro'], channels: {}, maxOpenCases: 3 },
    ],
    teams: [{ id: 'neuro', name: 'Neuro Antilles', zone: 'Europe/Paris', members: ['n1', 'n2', 'n3'], lead: 'n3', backupOrder: ['n2'] }],
    sites: [{ id: 'ch-mg', name: 'CH Marie-Galante', zone: 'America/Guadeloupe', defaultContact: { name: 'Urgences MG', channels: { sms: CLINICIAN_SMS } } }],
    agreements: [{ id: 'a1', siteId: 'ch-mg', teamId: 'neuro', priority: 1 }],
    rules: [{ id: 'stroke', specialty: 'neuro', modalities: ['CT', 'MR'], bodyParts: ['HEAD', 'BRAIN'], urgencies: ['emergency'] }],
    operators: [],
    patterns: [
      { id: 'p1', teamId: 'neuro', radiologistId: 'n1', role: 'primary', zone: 'Europe/Paris', start: '0 18 * * *', end: '0 8 * * *' },
      { id: 'p2', teamId: 'neuro', radiologistId: 'n2', role: 'backup', zone: 'Europe/Paris', start: '0 18 * * *', end: '0 8 * * *' },
    ],
    overrides: [], planned: [], extraHolidays: [], policy: DEFAULT_DISPATCH_POLICY,
  };
}

interface Running {
  t: TestHub;
  url: string;
  clock: ManualClock;
  gateway: SmsGateway;
  backupToken: string;
  close(): Promise<void>;
}

async function running(): Promise<Running> {
  const clock = new ManualClock(START);
  const gateway = await startSmsGateway({ token: 'gw-token' });
  const t = await startTestHub({
    clock,
    channels: [new SmsChannel({ url: gateway.url, token: 'gw-token', sender: 'RELAIS' })],
    rota: rota(),
    siteA: 'ch-mg',
    radiologistId: 'n1',
    clinicianSites: ['ch-mg'],
  });
  const backupToken = (await t.stores.identities.issueUser('dr-back', 'radiologist', 'Dr Bruno Back', { radiologistId: 'n2' })).token;
  const url = await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
  return {
    t, url, clock, gateway, backupToken,
    async close() {
      await t.close();
      await gateway.close();
    },
  };
}

async function put(r: Running, inst: PreparedInstance, urgency = 'emergency'): Promise<void> {
  const res = await putInstance(r.url, r.t.agentA.credential, inst, urgency);
  assert.equal(res.status, 201, await res.text());
}

async function manifest(r: Running, insts: PreparedInstance[], urgency = 'emergency'): Promise<void> {
  const at = new Date(r.clock.now()).toISOString();
  const body = {
    studyInstanceUid: insts[0]!.study, urgency, firstReceivedAt: at, lastReceivedAt: at,
    instances: insts.map((i) => ({ sopInstanceUid: i.sop, seriesInstanceUid: i.series, sha256: i.sha256, size: i.bytes.length })),
  };
  const res = await fetch(`${r.url}/api/v1/studies/${body.studyInstanceUid}/manifest`, { method: 'POST', headers: { ...agentHeaders(r.t.agentA.credential), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200, await res.text());
}

async function get(r: Running, path: string, token: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${r.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

test('an uploaded study is assigned per the rota, taken in charge by the simulated radiologist, the clinician told once by SMS; catalog and fleet follow', { timeout: 60_000 }, async (t) => {
  const r = await running();
  const bot = new RadiologistBot({ hubUrl: r.url, token: r.t.tokens.radiologist, acknowledge: 'immediately' });
  t.after(async () => {
    bot.close();
    await r.close();
  });
  await bot.connect();
  const ct = await Promise.all(listFiles(SHARED_CT).map(prepare));
  const study = ct[0]!.study;
  const header = parseDicomHeader(await readFile(listFiles(SHARED_CT)[0]!));

  const assigned = once(bot, 'assignment');
  const acknowledged = once(bot, 'acknowledged');
  await put(r, ct[0]!);
  // The case is open (and durable) before the first instance was acknowledged.
  const opened = r.t.dispatch.engine.getCase(study);
  assert.ok(opened, 'case opened at the first instance');
  assert.equal(opened.siteId, 'ch-mg', "the agent's site");
  assert.equal(opened.urgency, 'emergency');
  assert.equal(opened.modality, 'CT');
  assert.equal(opened.bodyPart, 'BRAIN');
  assert.equal(opened.assignee, 'n1', 'the on-call primary');
  assert.equal(opened.receivedAt, new Date(START).toISOString());
  const [a] = (await assigned) as [AssignmentEvent];
  assert.equal(a.item.caseId, study);
  assert.equal(a.explanation.fr, "assigné à Dr Anne Neuro : d'astreinte neuro (Neuro Antilles), 0 dossier ouvert sur 3");
  await acknowledged;

  for (const inst of ct.slice(1, 20)) await put(r, inst);
  await manifest(r, ct);
  for (const inst of ct.slice(20)) await put(r, inst);
  await r.t.dispatch.engine.idle();
  await r.t.hub.studyCases.idle();

  // Alert (1) to the radiologist, alert (2) to the clinician: once each, whatever the number of instances.
  const sms = r.gateway.messages();
  assert.deepEqual(sms.map((m) => m.to).sort(), ['+33611111111', CLINICIAN_SMS]);
  const toClinician = sms.filter((m) => m.to === CLINICIAN_SMS);
  assert.equal(toClinician.length, 1);
  assert.match(toClinician[0]!.text, /pris en charge par Dr Anne Neuro/);
  for (const m of sms) {
    for (const v of [header.patientName, header.patientId, header.accessionNumber, header.patientBirthDate]) {
      if (v && v.trim().length > 2) assert.ok(!m.text.includes(v.trim()), `SMS carries patient data: ${m.text}`);
    }
  }

  // The catalog's status follows the case; the transfer's completion is kept and on the timeline once.
  const record = await r.t.stores.catalog.get(study);
  assert.equal(record?.status, 'acknowledged');
  assert.ok(record?.completedAt, 'transfer complete');
  const c = r.t.dispatch.engine.getCase(study)!;
  assert.equal(c.state, 'acknowledged');
  assert.equal(c.timeline.filter((e) => e.type === 'images-complete').length, 1);
  assert.equal(c.timeline.find((e) => e.type === 'images-complete')?.text.fr, 'transfert terminé : 54 images au hub');

  // The operator sees where it stands, with why, on the fleet view and the timeline.
  const fleet = (await get(r, '/api/v1/fleet', r.t.tokens.operator)).body as FleetSnapshot;
  const view = fleet.studies.find((s) => s.studyInstanceUid === study)!;
  assert.equal(view.status, 'acknowledged');
  assert.equal(view.case?.assigneeName, 'Dr Anne Neuro');
  assert.match(view.case?.explanation?.fr ?? '', /^assigné à Dr Anne Neuro/);
  assert.ok(view.completedAt);
  const tl = await get(r, `${DISPATCH_ROUTES.case(study)}/timeline`, r.t.tokens.operator);
  assert.equal(tl.status, 200);
  assert.ok(tl.body.timeline.some((e: { text: string }) => e.text.startsWith('assigné à Dr Anne Neuro')));
  // The site's clinician follows the case (summary), the back-up radiologist does not see it.
  assert.equal((await get(r, DISPATCH_ROUTES.case(study), r.t.tokens.clinician)).body.state, 'acknowledged');
  assert.equal((await get(r, DISPATCH_ROUTES.case(study), r.backupToken)).status, 404);
  assert.equal((await get(r, DISPATCH_ROUTES.worklist, r.t.tokens.radiologist)).body.items[0].caseId, study);

  // Reported and delivered (issue 7 calls these): the catalog follows to `delivered`.
  await r.t.dispatch.engine.onReportSigned({ caseId: study, radiologistId: 'n1' });
  await r.t.dispatch.engine.onReportDelivered({ caseId: study });
  await r.t.hub.studyCases.idle();
  assert.equal((await r.t.stores.catalog.get(study))?.status, 'delivered');
});

test('the /dispatch namespace refuses sockets without valid credentials', async (t) => {
  const r = await running();
  t.after(() => r.close());
  for (const [auth, code] of [[{}, 'RELAIS_AUTH_MISSING'], [{ token: 'rlsu.nobody.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, 'RELAIS_AUTH_INVALID'], [{ token: r.t.agentA.credential }, 'RELAIS_AUTH_INVALID']] as const) {
    const socket = connectSocket(`${r.url}/dispatch`, { auth, transports: ['websocket'], reconnection: false });
    const err = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    socket.close();
    assert.equal(err.message, code);
  }
});

test('nobody takes it in charge: escalation to the back-up at the exact time on the manual clock, who takes it', { timeout: 60_000 }, async (t) => {
  const r = await running();
  const sleepy = new RadiologistBot({ hubUrl: r.url, token: r.t.tokens.radiologist, acknowledge: 'never' });
  const backup = new RadiologistBot({ hubUrl: r.url, token: r.backupToken, acknowledge: 'never' });
  t.after(async () => {
    sleepy.close();
    backup.close();
    await r.close();
  });
  await sleepy.connect();
  await backup.connect();
  const mr = await prepare(listFiles(SHARED_MR)[0]!);
  const assigned = once(sleepy, 'assignment');
  await put(r, mr);
  await assigned;
  await r.t.dispatch.engine.idle();
  assert.equal((await r.t.stores.catalog.get(mr.study))?.status, 'assigned');

  const escalated = once(backup, 'escalation');
  await r.clock.advanceAsync(5 * 60_000 - 1);
  assert.equal(backup.escalations.length, 0, 'not before the acknowledgement timeout');
  await r.clock.advanceAsync(1);
  const [e] = (await escalated) as [EscalationEvent];
  assert.equal(e.caseId, mr.study);
  const c = r.t.dispatch.engine.getCase(mr.study)!;
  assert.deepEqual(c.timeline.filter((x) => x.type === 'escalated').map((x) => x.at), ['2026-06-02T20:05:00.000Z']);
  assert.equal(c.assignee, 'n2');
  const item = await backup.acknowledge(mr.study);
  assert.equal(item.state, 'acknowledged');
  assert.equal(item.assigneeName, 'Dr Bruno Back');
  await r.t.dispatch.engine.idle();
  await r.t.hub.studyCases.idle();
  const toClinician = r.gateway.messages().filter((m) => m.to === CLINICIAN_SMS);
  assert.equal(toClinician.length, 1);
  assert.match(toClinician[0]!.text, /pris en charge par Dr Bruno Back/);
  // The sleepy radiologist can no longer take it (it is someone else's now).
  const late = await fetch(`${r.url}${DISPATCH_ROUTES.acknowledge(mr.study)}`, { method: 'POST', headers: { authorization: `Bearer ${r.t.tokens.radiologist}`, 'content-type': 'application/json' }, body: '{}' });
  assert.equal(late.status, 409);
  const fleet = (await get(r, '/api/v1/fleet', r.t.tokens.operator)).body as FleetSnapshot;
  assert.match(fleet.studies.find((s) => s.studyInstanceUid === mr.study)?.case?.explanation?.fr ?? '', /^escalade : réattribué au back-up Dr Bruno Back/);
});

test('a study stored but whose case was lost in a crash gets its case at the next start, from its first arrival', { timeout: 60_000 }, async (t) => {
  const r = await running();
  t.after(() => r.close());
  const mr = await prepare(listFiles(SHARED_MR)[0]!);
  await put(r, mr);
  await r.t.hub.close();
  await r.t.dispatch.engine.stop();
  // The crash: the case file lost, the study stored.
  await rm(join(r.t.dir, 'dispatch', 'cases.json'));
  r.clock.advance(60_000);
  const stores = await openHubStores(r.t.dir, r.clock);
  const dispatch = await openDispatch(r.t.dir, { clock: r.clock, logger: silentLogger() });
  const hub = await buildApp({ clock: r.clock, logger: silentLogger(), ...stores, dispatch });
  t.after(async () => {
    await hub.close();
    await dispatch.engine.stop();
    await stores.close();
  });
  const c = dispatch.engine.getCase(mr.study);
  assert.ok(c, 'case reopened');
  assert.equal(c.receivedAt, new Date(START).toISOString(), 'deadline from the first arrival, not from the restart');
  assert.equal(c.assignee, 'n1');
  await hub.studyCases.idle();
  assert.equal((await stores.catalog.get(mr.study))?.status, 'assigned');
});
