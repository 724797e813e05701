import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../test/fakes/manual-clock.ts';
import { makeEngine, smallRota } from './engine.test-helpers.ts';
import { DispatchError } from './engine.ts';

const START = '2026-06-02T20:00:00.000Z';
const MIN = 60_000;

async function started(rota = smallRota(), clock = new ManualClock(START)) {
  const h = makeEngine(clock, rota);
  await h.engine.start();
  return { ...h, clock };
}

test('the three alerts, each once: assigned → taken in charge → report available', async () => {
  const { engine, web, sms, clock } = await started();
  const c = await engine.onStudyReceived({ caseId: '1.2.3', siteId: 'mg', urgency: 'emergency', modality: 'CT', bodyPart: 'HEAD' });
  await engine.idle();
  assert.equal(c.assignee, 'n1');
  assert.equal(c.deadlineAt, '2026-06-02T21:00:00.000Z');
  assert.equal(c.atRiskAt, '2026-06-02T20:30:00.000Z');
  assert.deepEqual(sms.sent.map((d) => `${d.alert}>${d.address}`), ['study-assigned>+33600000001']);
  assert.match(sms.sent[0]!.message.short, /URGENT CT head de CH Marie-Galante, réf\. [0-9A-Z]{6}, pour vous\. Prise en charge avant 22:05, compte rendu avant 23:00 \(heure de Paris\)/);
  assert.equal(web.sent[0]!.address, 'radiologist:n1');
  await clock.advanceAsync(2 * MIN);
  await engine.acknowledge('1.2.3', 'n1');
  await engine.acknowledge('1.2.3', 'n1'); // idempotent
  await engine.onReportSigned({ caseId: '1.2.3', radiologistId: 'n1' });
  await engine.onReportDelivered({ caseId: '1.2.3' });
  await engine.onReportDelivered({ caseId: '1.2.3' });
  await engine.idle();
  const toClinician = sms.sent.filter((d) => d.address === '+590690000001').map((d) => d.alert);
  assert.deepEqual(toClinician, ['taken-in-charge', 'report-available']);
  assert.match(sms.sent.find((d) => d.alert === 'taken-in-charge')!.message.short, /pris en charge par Dr N1 à 16:02\. Compte rendu attendu avant 17:00 \(heure de Guadeloupe\)/);
  const done = engine.getCase('1.2.3')!;
  assert.equal(done.state, 'delivered');
  assert.equal(done.deadlineStatus, 'met');
  assert.deepEqual(done.timeline.filter((e) => !e.type.startsWith('notif')).map((e) => e.type), ['received', 'assigned', 'acknowledged', 'reported', 'delivered']);
  assert.equal(done.timeline.find((e) => e.type === 'assigned')!.text.fr, "assigné à Dr N1 : d'astreinte neuro (Neuro), 0 dossier ouvert sur 3");
  assert.equal(done.timeline.find((e) => e.type === 'acknowledged')!.actor.rpps, smallRota().radiologists[0]!.rpps);
  assert.equal(engine.openCases('n1'), 0);
  await engine.stop();
});

test('escalation: back-up at +5 min, lead at +10, operator at +15, back-up again at +20 (looping), exact times', async () => {
  const { engine, clock, sms } = await started();
  await engine.onStudyReceived({ caseId: '1.2.4', siteId: 'mg', urgency: 'emergency', modality: 'CT' });
  await clock.advanceAsync(5 * MIN - 1);
  assert.equal(engine.getCase('1.2.4')!.escalationStep, 0);
  await clock.advanceAsync(1);
  let c = engine.getCase('1.2.4')!;
  assert.equal(c.assignee, 'n2');
  await clock.advanceAsync(15 * MIN);
  await engine.idle();
  c = engine.getCase('1.2.4')!;
  const steps = c.timeline.filter((e) => e.type === 'escalated').map((e) => `${e.at.slice(11, 16)} ${e.data?.link} ${e.data?.radiologistId ?? ''}`.trim());
  // step 4 goes back to the back-up chain: n2 holds it, n1 (primary, on call, in the back-up order? no) → no back-up, lead.
  assert.deepEqual(steps.slice(0, 3), ['20:05 backup n2', '20:10 lead n3', '20:15 operator']);
  assert.equal(steps[3]!.slice(0, 5), '20:20');
  assert.ok(sms.sent.some((d) => d.alert === 'escalation' && d.address === '+33600000099'), 'operator SMS');
  // The lead may take it in charge.
  await engine.acknowledge('1.2.4', 'n3');
  assert.equal(engine.getCase('1.2.4')!.assignee, 'n3');
  await assert.rejects(engine.acknowledge('1.2.4', 'n1'), (e: unknown) => e instanceof DispatchError && e.code === 'RELAIS_DISPATCH_INVALID_STATE');
  await engine.stop();
});

test('deadlines: emergency at risk at 30 min and breached at 60; scheduled ends the local day; deferred the next working day', async () => {
  const { engine, clock } = await started();
  await engine.onStudyReceived({ caseId: 'e1', siteId: 'mg', urgency: 'emergency', modality: 'CT' });
  await engine.acknowledge('e1', 'n1');
  await clock.advanceAsync(30 * MIN);
  assert.equal(engine.getCase('e1')!.deadlineStatus, 'at-risk');
  await clock.advanceAsync(30 * MIN);
  assert.equal(engine.getCase('e1')!.deadlineStatus, 'breached');
  assert.equal(engine.counters().open.emergency!.breached, 1);
  await engine.onReportSigned({ caseId: 'e1', radiologistId: 'n1' });
  assert.equal(engine.getCase('e1')!.deadlineStatus, 'missed');
  assert.deepEqual(engine.counters().closed.emergency, { met: 0, missed: 1 });
  // 2026-06-02 21:00Z is 17:00 in Guadeloupe (UTC−4): scheduled due at local midnight = 04:00Z.
  const s = await engine.onStudyReceived({ caseId: 's1', siteId: 'mg', urgency: 'scheduled', modality: 'CR' });
  assert.equal(s.deadlineAt, '2026-06-03T04:00:00.000Z');
  // Deferred on Friday 2026-05-22 in Guadeloupe: next working day is Tuesday 26 (Mon 25 = Whit Monday; 27 May is Guadeloupe's holiday, after).
  await engine.stop();
  const later = await started(smallRota(), new ManualClock('2026-05-22T15:00:00Z'));
  const d = await later.engine.onStudyReceived({ caseId: 'd1', siteId: 'mg', urgency: 'deferred', modality: 'CR' });
  assert.equal(d.deadlineAt, '2026-05-27T04:00:00.000Z');
  await later.engine.stop();
});

test('restart: pending escalations and deadlines resume from stored state at their exact times', async () => {
  const clock = new ManualClock(START);
  const first = makeEngine(clock, smallRota());
  await first.engine.start();
  await first.engine.onStudyReceived({ caseId: 'r1', siteId: 'mg', urgency: 'emergency', modality: 'CT' });
  await clock.advanceAsync(2 * MIN);
  await first.engine.stop();
  const second = makeEngine(clock, smallRota(), first.stores);
  await second.engine.start();
  await clock.advanceAsync(3 * MIN - 1);
  assert.equal(second.engine.getCase('r1')!.assignee, 'n1');
  await clock.advanceAsync(1);
  const c = second.engine.getCase('r1')!;
  assert.equal(c.assignee, 'n2');
  assert.equal(c.timeline.find((e) => e.type === 'escalated')!.at, '2026-06-02T20:05:00.000Z');
  await second.engine.idle();
  // alert (1) to n1 was not sent again by the second engine.
  assert.equal(second.sms.sent.filter((d) => d.alert === 'study-assigned').length, 0);
  await clock.advanceAsync(55 * MIN);
  assert.equal(second.engine.getCase('r1')!.deadlineStatus, 'breached');
  await second.engine.stop();
});

test('nobody on call: the case waits, the operator is alerted, and it is assigned when a shift starts', async () => {
  const rota = smallRota();
  rota.patterns = [{ id: 'night', teamId: 'neuro', radiologistId: 'n1', role: 'primary', zone: 'Europe/Paris', start: '0 23 * * *', end: '0 8 * * *' }];
  const { engine, clock, web } = await started(rota);
  const c = await engine.onStudyReceived({ caseId: 'w1', siteId: 'mg', urgency: 'emergency', modality: 'CT' });
  assert.equal(c.state, 'received');
  await engine.idle();
  assert.ok(web.sent.some((d) => d.alert === 'operator-attention' && d.address === 'operators'), 'operator alerted');
  await clock.advanceAsync(59 * MIN);
  assert.equal(engine.getCase('w1')!.state, 'received');
  await clock.advanceAsync(MIN); // 23:00 Paris = 21:00Z
  const a = engine.getCase('w1')!;
  assert.equal(a.state, 'assigned');
  assert.equal(a.assignedAt, '2026-06-02T21:00:00.000Z');
  await engine.stop();
});

test('a shift that ends before the case is taken hands it to the next radiologist on call', async () => {
  const rota = smallRota();
  rota.patterns = [
    { id: 'eve', teamId: 'neuro', radiologistId: 'n1', role: 'primary', zone: 'Europe/Paris', start: '0 8 * * *', end: '3 22 * * *' },
    { id: 'night', teamId: 'neuro', radiologistId: 'n2', role: 'primary', zone: 'Europe/Paris', start: '3 22 * * *', end: '0 8 * * *' },
  ];
  const { engine, clock } = await started(rota);
  await engine.onStudyReceived({ caseId: 'h1', siteId: 'mg', urgency: 'emergency', modality: 'CT' });
  assert.equal(engine.getCase('h1')!.assignee, 'n1');
  await clock.advanceAsync(3 * MIN);
  const c = engine.getCase('h1')!;
  assert.equal(c.assignee, 'n2');
  assert.deepEqual(c.timeline.filter((e) => e.type !== 'notified').map((e) => e.type), ['received', 'assigned', 'shift-ended', 'assigned']);
  assert.equal(c.nextEscalationAt, '2026-06-02T20:08:00.000Z'); // a fresh acknowledgement timeout
  await engine.stop();
});

test('input is validated and unknown fields (patient identity) are not kept', async () => {
  const { engine } = await started();
  await assert.rejects(engine.onStudyReceived({ caseId: 'x', siteId: 'mg', urgency: 'soon' as never, modality: 'CT' }));
  const withPatient = { caseId: 'p1', siteId: 'mg', urgency: 'scheduled', modality: 'CT', patientName: 'DUPONT^JEAN', patientId: '123456' } as never;
  await engine.onStudyReceived(withPatient);
  assert.doesNotMatch(JSON.stringify(engine.cases()), /DUPONT|123456/);
  await engine.stop();
});

test('closed cases leave the live file for the archive after the retention, alerts settled', async () => {
  const { memoryCaseArchive } = await import('./store/archive.ts');
  const { MemoryDocument } = await import('./store/json-document.ts');
  const { memoryDeliveryStore } = await import('../notify/types.ts');
  const { DispatchEngine } = await import('./engine.ts');
  const { silentLogger } = await import('../../lib/logger.ts');
  const clock = new ManualClock(START);
  const archive = memoryCaseArchive();
  const deliveries = memoryDeliveryStore();
  const engine = new DispatchEngine({ clock, logger: silentLogger(), rotaStore: new MemoryDocument(), caseStore: new MemoryDocument(), notify: { channels: [], store: deliveries }, initialRota: smallRota(), archive, retainClosedMs: 2 * 3_600_000 });
  await engine.start();
  await engine.onStudyReceived({ caseId: 'a1', siteId: 'mg', urgency: 'emergency', modality: 'CT' });
  await engine.onStudyReceived({ caseId: 'a2', siteId: 'mg', urgency: 'emergency', modality: 'CT' });
  await engine.onReportSigned({ caseId: 'a1', radiologistId: 'n1' });
  await engine.onReportDelivered({ caseId: 'a1' });
  await clock.advanceAsync(2 * 3_600_000);
  await engine.idle();
  assert.deepEqual(archive.cases.map((c) => c.caseId), ['a1']);
  assert.equal(engine.getCase('a1'), undefined);
  assert.ok(engine.getCase('a2'), 'open case kept');
  await engine.stop();
});
