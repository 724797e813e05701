import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { DEFAULT_DISPATCH_POLICY, DISPATCH_ROUTES, type Rota, type AssignmentEvent, type EscalationEvent } from '../../protocol/dispatch.ts';
import { RadiologistBot } from '../../simulators/radiologist/bot.ts';
import { waitFor } from '../fakes/wait.ts';
import { startHarness, type Harness } from './dispatch-harness.ts';

const PATIENT = { patientName: 'DUPONT^MARIE', patientId: 'IPP-998877', accessionNumber: 'ACC-4455' };

function rota(webhookUrl: string): Rota {
  return {
    radiologists: [
      { id: 'n1', displayName: 'Dr Anne Neuro', rpps: '10101010101', specialties: ['neuro'], channels: { sms: '+33611111111', email: 'anne@hub.test' }, maxOpenCases: 3 },
      { id: 'n2', displayName: 'Dr Bruno Back', rpps: '10202020202', specialties: ['neuro'], channels: { sms: '+33622222222' }, maxOpenCases: 3, language: 'en' },
      { id: 'n3', displayName: 'Dr Chef', rpps: '10303030303', specialties: ['neuro'], channels: {}, maxOpenCases: 3 },
    ],
    teams: [{ id: 'neuro', name: 'Neuro Antilles', zone: 'Europe/Paris', members: ['n1', 'n2', 'n3'], lead: 'n3', backupOrder: ['n2'] }],
    sites: [{
      id: 'mg', name: 'CH Marie-Galante', zone: 'America/Guadeloupe',
      defaultContact: { name: 'Urgences MG', channels: { sms: '+590690000001', email: 'urgences@mg.test' } },
      webhook: { url: webhookUrl, secretName: 'site' },
    }],
    agreements: [{ id: 'a1', siteId: 'mg', teamId: 'neuro', priority: 1, responseMinutes: { emergency: 45 } }],
    rules: [{ id: 'stroke', specialty: 'neuro', modalities: ['CT'], bodyParts: ['HEAD'], urgencies: ['emergency'] }],
    operators: [{ id: 'op', displayName: 'Régulation', channels: { email: 'ops@hub.test' } }],
    patterns: [
      { id: 'p1', teamId: 'neuro', radiologistId: 'n1', role: 'primary', zone: 'Europe/Paris', start: '0 18 * * *', end: '0 8 * * *' },
      { id: 'p2', teamId: 'neuro', radiologistId: 'n2', role: 'backup', zone: 'Europe/Paris', start: '0 18 * * *', end: '0 8 * * *' },
    ],
    overrides: [], planned: [], extraHolidays: [], policy: DEFAULT_DISPATCH_POLICY,
  };
}

const TOKENS = {
  'tok-n1': { role: 'radiologist' as const, userId: 'u-n1', radiologistId: 'n1' },
  'tok-n2': { role: 'radiologist' as const, userId: 'u-n2', radiologistId: 'n2' },
  'tok-op': { role: 'operator' as const, userId: 'u-op' },
  'tok-admin': { role: 'admin' as const, userId: 'u-admin' },
};

async function api(h: Harness, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': typeof body === 'string' ? 'text/csv' : 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch { /* csv, ics */ }
  return { status: res.status, body: json as any, text };
}

test('through HTTP and socket.io: assignment pushed, taken in charge by the simulated radiologist, the three alerts on every channel, no patient data in SMS', { timeout: 15_000 }, async (t) => {
  const h = await startHarness(rota, TOKENS);
  const bot = new RadiologistBot({ hubUrl: h.url, token: 'tok-n1', acknowledge: 'immediately' });
  t.after(async () => {
    bot.close();
    await h.close();
  });
  await bot.connect();
  const acknowledged = once(bot, 'acknowledged');
  // What ingest would pass: the catalog's study, patient fields included; dispatch keeps none.
  await h.engine.onStudyReceived({ caseId: '1.2.826.0.1.3680043.2.1', studyInstanceUid: '1.2.826.0.1.3680043.2.1', siteId: 'mg', urgency: 'emergency', modality: 'CT', bodyPart: 'HEAD', ...PATIENT } as never);
  const [assignment] = (await once(bot, 'assignment')) as [AssignmentEvent];
  assert.equal(assignment.item.urgency, 'emergency');
  assert.equal(assignment.explanation.fr, "assigné à Dr Anne Neuro : d'astreinte neuro (Neuro Antilles), 0 dossier ouvert sur 3");
  await acknowledged;
  await h.engine.onReportSigned({ caseId: '1.2.826.0.1.3680043.2.1', radiologistId: 'n1' });
  await h.engine.onReportDelivered({ caseId: '1.2.826.0.1.3680043.2.1' });
  await h.engine.idle();

  const sms = h.gateway.messages();
  assert.deepEqual(sms.map((m) => m.to).sort(), ['+33611111111', '+590690000001', '+590690000001'].sort());
  for (const m of sms) {
    for (const v of Object.values(PATIENT)) assert.ok(!m.text.includes(v), `SMS carries ${v}: ${m.text}`);
    assert.ok(m.idempotencyKey, 'idempotency key passed to the gateway');
  }
  assert.match(sms.find((m) => m.to === '+33611111111')!.text, /^Relais : examen URGENT CT head de CH Marie-Galante, réf\. [0-9A-Z]{6}, pour vous\./);
  await waitFor(() => h.mails.length >= 3 && h.hooks.length >= 2, 'mails and webhooks', { timeoutMs: 5_000 });
  const toClinician = h.mails.filter((m) => m.to.includes('urgences@mg.test'));
  assert.equal(toClinician.length, 2);
  assert.ok(toClinician.some((m) => /Subject: =\?UTF-8\?Q\?=5BRelais=5D_Examen_r=C3=A9f/i.test(m.raw) || /Subject: \[Relais\] Examen r/.test(m.raw)), 'French subject');
  assert.ok(h.mails.every((m) => !/DUPONT|998877|ACC-4455/.test(m.raw)), 'no patient data in e-mails');
  assert.deepEqual(h.hooks.map((x) => x.event), ['taken-in-charge', 'report-available']);
  assert.ok(h.hooks.every((x) => x.verified), 'webhooks signed with the site secret');
  assert.equal(h.hooks[0]!.body.reference, assignment.item.reference);

  // Timeline over HTTP, in English; the radiologist sees their case, deadlines from the agreement (45 min).
  const tl = await api(h, 'GET', `${DISPATCH_ROUTES.case('1.2.826.0.1.3680043.2.1')}/timeline?lang=en`, 'tok-n1');
  assert.equal(tl.status, 200);
  const types = tl.body.timeline.map((e: { type: string }) => e.type);
  assert.deepEqual(types.filter((x: string) => x !== 'notified'), ['received', 'assigned', 'acknowledged', 'reported', 'delivered']);
  assert.ok(tl.body.timeline.some((e: { text: string }) => e.text === 'taken in charge by Dr Anne Neuro (1 open case of 3)'), 'acknowledged line in English');
  assert.equal(types.filter((x: string) => x === 'notified').length, 3 + 4 + 4); // (1) web+sms+email; (2) and (3) web+sms+email+webhook
  const c = await api(h, 'GET', DISPATCH_ROUTES.case('1.2.826.0.1.3680043.2.1'), 'tok-op');
  assert.equal(Date.parse(c.body.deadlineAt) - Date.parse(c.body.receivedAt), 45 * 60_000);
  assert.equal(c.body.deadlineStatus, 'met');
  const counters = await api(h, 'GET', DISPATCH_ROUTES.counters, 'tok-op');
  assert.deepEqual(counters.body.closed.emergency, { met: 1, missed: 0 });
});

test('escalation over socket.io at the exact time, worklist sorted by urgency, and access rules', async (t) => {
  const h = await startHarness(rota, TOKENS);
  const sleepy = new RadiologistBot({ hubUrl: h.url, token: 'tok-n1', acknowledge: 'never' });
  const backup = new RadiologistBot({ hubUrl: h.url, token: 'tok-n2', acknowledge: 'never' });
  t.after(async () => {
    sleepy.close();
    backup.close();
    await h.close();
  });
  await sleepy.connect();
  await backup.connect();
  await h.engine.onStudyReceived({ caseId: 'case-sched', siteId: 'mg', urgency: 'scheduled', modality: 'CR' });
  await h.engine.onStudyReceived({ caseId: 'case-emerg', siteId: 'mg', urgency: 'emergency', modality: 'CT', bodyPart: 'HEAD' });
  const wl = await sleepy.worklist();
  assert.deepEqual(wl.map((i) => i.caseId), ['case-emerg', 'case-sched']);
  assert.deepEqual((await sleepy.worklistOverSocket()).map((i) => i.caseId), ['case-emerg', 'case-sched']);

  const escalated = once(backup, 'escalation');
  await h.clock.advanceAsync(5 * 60_000);
  const [e] = (await escalated) as [EscalationEvent];
  assert.equal(e.caseId, 'case-emerg');
  assert.match(e.text.en, /ESCALATION/); // n2 reads English
  const tl = (await api(h, 'GET', `${DISPATCH_ROUTES.case('case-emerg')}/timeline`, 'tok-op')).body.timeline;
  assert.deepEqual(tl.filter((x: { type: string }) => x.type === 'escalated').map((x: { at: string }) => x.at), ['2026-06-02T20:05:00.000Z']);
  assert.deepEqual((await backup.worklist()).map((i) => i.caseId), ['case-emerg']);
  const ack = await backup.acknowledge('case-emerg');
  assert.equal(ack.state, 'acknowledged');

  // Access: no token 401; radiologist may not read counters (403) nor another's case (404); operator reassigns.
  assert.equal((await api(h, 'GET', DISPATCH_ROUTES.counters)).status, 401);
  assert.equal((await api(h, 'GET', DISPATCH_ROUTES.counters, 'tok-n1')).status, 403);
  assert.equal((await api(h, 'GET', DISPATCH_ROUTES.case('case-sched'), 'tok-n2')).status, 404);
  assert.equal((await api(h, 'POST', DISPATCH_ROUTES.acknowledge('case-sched'), 'tok-n2', {})).status, 404);
  const re = await api(h, 'POST', DISPATCH_ROUTES.reassign('case-sched'), 'tok-op', { radiologistId: 'n2', reason: 'n1 en intervention' });
  assert.equal(re.status, 200);
  assert.equal((await api(h, 'POST', DISPATCH_ROUTES.acknowledge('case-sched'), 'tok-n2', {})).status, 200);
  const bad = await api(h, 'POST', DISPATCH_ROUTES.reassign('case-sched'), 'tok-op', { radiologistId: 'nobody' });
  assert.equal(bad.status, 404);
  assert.equal(bad.body.error.code, 'RELAIS_NOT_FOUND');
});

test('rota over HTTP: CRUD refuses a bad zone, CSV export/import, iCal export, who is on call', async (t) => {
  const h = await startHarness(rota, TOKENS);
  t.after(() => h.close());
  const bad = await api(h, 'PUT', DISPATCH_ROUTES.rotaItem('teams', 'neuro'), 'tok-admin', { id: 'neuro', name: 'Neuro', zone: 'Mars/Olympus', members: ['n1'], lead: 'n1', backupOrder: [] });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'RELAIS_ROTA_INVALID');
  assert.match(bad.body.error.details.problems.join(), /unknown time zone Mars\/Olympus/);
  assert.equal((await api(h, 'PUT', DISPATCH_ROUTES.rotaItem('teams', 'neuro'), 'tok-op', {})).status, 403);
  const del = await api(h, 'DELETE', DISPATCH_ROUTES.rotaItem('radiologists', 'n1'), 'tok-admin');
  assert.equal(del.status, 400, 'deleting a radiologist still in a team is refused');

  const q = '?teamId=neuro&from=2026-06-01T00:00:00Z&to=2026-06-08T00:00:00Z';
  const csv = await api(h, 'GET', `${DISPATCH_ROUTES.shiftsCsv}${q}`, 'tok-op');
  assert.equal(csv.status, 200);
  assert.equal(csv.text.trim().split('\r\n').length, 1 + 8 * 2);
  // Swap the nights of n1 to n3 in the file and publish it.
  const edited = csv.text.replace(/^neuro,n1,10101010101,Dr Anne Neuro,/gm, 'neuro,n3,10303030303,Dr Chef,');
  const imp = await api(h, 'POST', `${DISPATCH_ROUTES.shiftsCsv}${q}`, 'tok-admin', edited);
  assert.equal(imp.status, 200, JSON.stringify(imp.body));
  assert.equal(imp.body.shifts, 16);
  const oc = await api(h, 'GET', `${DISPATCH_ROUTES.onCall}?at=2026-06-02T22:00:00Z&teamId=neuro`, 'tok-n1');
  assert.deepEqual(oc.body.onCall.map((x: { radiologistId: string; role: string }) => `${x.radiologistId}/${x.role}`), ['n3/primary', 'n2/backup']);
  const ics = await api(h, 'GET', `${DISPATCH_ROUTES.shiftsIcs}${q}`, 'tok-n2');
  assert.equal(ics.status, 200);
  assert.equal((ics.text.match(/BEGIN:VEVENT/g) ?? []).length, 8, 'a radiologist gets their own shifts only');
  assert.match(ics.text, /X-RELAIS-RADIOLOGIST:n2/);
  const badCsv = await api(h, 'POST', `${DISPATCH_ROUTES.shiftsCsv}?teamId=neuro`, 'tok-admin', 'radiologist_id,start,end\nghost,2026-06-01 18:00,2026-06-02 08:00\n');
  assert.equal(badCsv.status, 400);
  assert.deepEqual(badCsv.body.error.details.problems, ['line 2: unknown radiologist ghost']);
});

test('SMS gateway down: the alert is retried on the clock, recorded attempt by attempt, and arrives once', async (t) => {
  const h = await startHarness(rota, TOKENS);
  t.after(() => h.close());
  h.gateway.failNext(2, 503);
  await h.engine.onStudyReceived({ caseId: 'case-retry', siteId: 'mg', urgency: 'emergency', modality: 'CT', bodyPart: 'HEAD' });
  await h.engine.idle();
  assert.equal(h.gateway.messages().length, 0);
  for (let i = 0; i < 4; i++) {
    await h.clock.advanceAsync(15_000);
    await h.engine.idle();
  }
  const toN1 = h.gateway.messages().filter((m) => m.to === '+33611111111');
  assert.equal(toN1.length, 1);
  assert.equal(h.gateway.requests(), 3);
  const d = h.engine.outbox.list((x) => x.channel === 'sms' && x.caseId === 'case-retry')[0]!;
  assert.deepEqual(d.attempts.map((a) => a.outcome), ['retry', 'retry', 'ok']);
  assert.match(d.attempts[0]!.detail ?? '', /HTTP 503/);
  const tl = h.engine.getCase('case-retry')!.timeline.find((e) => e.type === 'notified' && e.data?.channel === 'sms')!;
  assert.equal(tl.data?.attempts, 3);
});
