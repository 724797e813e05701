/**
 * A simulated day on a manual clock (issue 6's check): 5 sites (Paris region, Guadeloupe,
 * Martinique, French Guiana, Réunion), 3 teams in 3 zones, a rota whose nights cross midnight,
 * on Paris's spring-forward night (2026-03-28 12:00Z → 2026-03-29 12:00Z), 200 studies of mixed
 * urgency, radiologists who take cases in charge late or never, and a hub restart halfway.
 * Checked against independent oracles: the pure onCall function, hand-written UTC offsets for the
 * deadlines, and a replay of every timeline for loads and escalation times.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../fakes/manual-clock.ts';
import { silentLogger } from '../../lib/logger.ts';
import { DEFAULT_DISPATCH_POLICY, type CaseDocument, type DispatchCase, type Rota, type ShiftPattern, type Radiologist } from '../../protocol/dispatch.ts';
import type { Urgency } from '../../protocol/common.ts';
import { DispatchEngine } from '../../hub/dispatch/engine.ts';
import { compileRota, onCall } from '../../hub/dispatch/rota/rota.ts';
import { MemoryDocument } from '../../hub/dispatch/store/json-document.ts';
import { memoryDeliveryStore, type ChannelAdapter, type DeliveryRequest, type Outcome } from '../../hub/notify/types.ts';

const MIN = 60_000;
const DAY_START = Date.parse('2026-03-28T12:00:00Z');
const DAY_END = Date.parse('2026-03-29T12:00:00Z');
const RUN_END = Date.parse('2026-03-31T06:00:00Z');
const RESTART_AT = Date.parse('2026-03-29T00:30:00Z');

class Recorder implements ChannelAdapter {
  readonly sent: DeliveryRequest[] = [];
  constructor(readonly name: 'web' | 'sms') {}
  async send(d: DeliveryRequest): Promise<Outcome> {
    this.sent.push(d);
    return { status: 'ok' };
  }
}

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function radiologist(id: string, specialties: string[], max: number, i: number): Radiologist {
  return { id, displayName: `Dr ${id}`, rpps: String(10000000000 + i), specialties, channels: { sms: `+3360000${String(i).padStart(4, '0')}` }, maxOpenCases: max };
}

function buildRota(): Rota {
  const p = (id: string, teamId: string, r: string, zone: string, start: string, end: string, role: 'primary' | 'backup' = 'primary'): ShiftPattern => ({ id, teamId, radiologistId: r, role, zone, start, end });
  const rads = [
    ['nA', ['neuro'], 4], ['nB', ['neuro'], 4], ['nC', ['neuro', 'general'], 4], ['nD', ['neuro'], 3], ['nE', ['neuro'], 3],
    ['gA1', ['general'], 4], ['gA2', ['general', 'msk'], 4], ['gA3', ['general'], 4], ['gA4', ['general'], 4], ['gA5', ['general'], 3], ['gA6', ['general'], 3],
    ['oR1', ['paediatrics', 'general'], 4], ['oR2', ['general'], 4], ['oR3', ['general', 'paediatrics'], 4], ['oR4', ['general'], 3], ['oR5', ['general'], 3],
  ] as const;
  return {
    radiologists: rads.map(([id, sp, max], i) => radiologist(id, [...sp], max, i + 1)),
    teams: [
      { id: 'neuro', name: 'Neuro France', zone: 'Europe/Paris', members: ['nA', 'nB', 'nC', 'nD', 'nE'], lead: 'nE', backupOrder: ['nD'] },
      { id: 'antilles', name: 'Antilles-Guyane', zone: 'America/Martinique', members: ['gA1', 'gA2', 'gA3', 'gA4', 'gA5', 'gA6'], lead: 'gA6', backupOrder: ['gA5'] },
      { id: 'ocean', name: 'Océan Indien', zone: 'Indian/Reunion', members: ['oR1', 'oR2', 'oR3', 'oR4', 'oR5'], lead: 'oR5', backupOrder: ['oR4'] },
    ],
    sites: [
      { id: 'creil', name: 'GHPSO Creil', zone: 'Europe/Paris', defaultContact: { name: 'SAU Creil', channels: { sms: '+33344000001' } } },
      { id: 'mg', name: 'CH Marie-Galante', zone: 'America/Guadeloupe', defaultContact: { name: 'Urgences MG', channels: { sms: '+590590000001' } } },
      { id: 'mq', name: 'CHU Martinique', zone: 'America/Martinique', defaultContact: { name: 'Urgences MQ', channels: { sms: '+596596000001' } } },
      { id: 'kourou', name: 'CMC Kourou', zone: 'America/Cayenne', defaultContact: { name: 'Urgences Kourou', channels: { sms: '+594594000001' } } },
      { id: 'stp', name: 'GHER Saint-Paul', zone: 'Indian/Reunion', defaultContact: { name: 'Urgences St-Paul', channels: { sms: '+262262000001' } } },
    ],
    agreements: [
      { id: 'creil-neuro', siteId: 'creil', teamId: 'neuro', priority: 1 },
      { id: 'creil-ocean', siteId: 'creil', teamId: 'ocean', priority: 2 },
      { id: 'mg-antilles', siteId: 'mg', teamId: 'antilles', priority: 1 },
      { id: 'mg-neuro', siteId: 'mg', teamId: 'neuro', priority: 2, urgencies: ['emergency'] },
      { id: 'mq-antilles', siteId: 'mq', teamId: 'antilles', priority: 1 },
      { id: 'mq-neuro', siteId: 'mq', teamId: 'neuro', priority: 2, urgencies: ['emergency'], responseMinutes: { emergency: 45 } },
      { id: 'kourou-antilles', siteId: 'kourou', teamId: 'antilles', priority: 1 },
      { id: 'stp-ocean', siteId: 'stp', teamId: 'ocean', priority: 1 },
      { id: 'stp-neuro', siteId: 'stp', teamId: 'neuro', priority: 2, urgencies: ['emergency'] },
    ],
    rules: [{ id: 'stroke', specialty: 'neuro', modalities: ['CT', 'MR'], bodyParts: ['HEAD', 'BRAIN'], urgencies: ['emergency'] }],
    operators: [{ id: 'ops', displayName: 'Régulation', channels: { sms: '+33600009999' } }],
    patterns: [
      // Neuro (Paris): day 08–18, night 18–08 (two on call), back-up 24 h from 08:00.
      p('n-day', 'neuro', 'nA', 'Europe/Paris', '0 8 * * *', '0 18 * * *'),
      p('n-night1', 'neuro', 'nB', 'Europe/Paris', '0 18 * * *', '0 8 * * *'),
      p('n-night2', 'neuro', 'nC', 'Europe/Paris', '0 18 * * *', '0 8 * * *'),
      p('n-backup', 'neuro', 'nD', 'Europe/Paris', '0 8 * * *', '0 8 * * *', 'backup'),
      // Antilles (Martinique time, no DST): day 07–19 (two), night 19–07 (two), back-up 24 h.
      p('a-day1', 'antilles', 'gA1', 'America/Martinique', '0 7 * * *', '0 19 * * *'),
      p('a-day2', 'antilles', 'gA2', 'America/Martinique', '0 7 * * *', '0 19 * * *'),
      p('a-night1', 'antilles', 'gA3', 'America/Martinique', '0 19 * * *', '0 7 * * *'),
      p('a-night2', 'antilles', 'gA4', 'America/Martinique', '0 19 * * *', '0 7 * * *'),
      p('a-backup', 'antilles', 'gA5', 'America/Martinique', '0 7 * * *', '0 7 * * *', 'backup'),
      // Océan Indien (Réunion, UTC+4): day 08–18 (paediatrics + general), night 18–08, back-up 24 h.
      p('o-day1', 'ocean', 'oR1', 'Indian/Reunion', '0 8 * * *', '0 18 * * *'),
      p('o-day2', 'ocean', 'oR3', 'Indian/Reunion', '0 8 * * *', '0 18 * * *'),
      p('o-night', 'ocean', 'oR2', 'Indian/Reunion', '0 18 * * *', '0 8 * * *'),
      p('o-backup', 'ocean', 'oR4', 'Indian/Reunion', '0 8 * * *', '0 8 * * *', 'backup'),
    ],
    overrides: [
      // nA is replaced by nE on Sunday morning's day shift: 08:00–12:00 CEST.
      { id: 'ill', teamId: 'neuro', radiologistId: 'nE', role: 'primary', from: '2026-03-29T06:00:00Z', to: '2026-03-29T10:00:00Z', replaces: 'nA', reason: 'maladie' },
    ],
    planned: [],
    extraHolidays: [],
    policy: DEFAULT_DISPATCH_POLICY,
  };
}

/** Independent oracle: UTC offset (hours) of each site zone during the simulated days. */
function offsetHours(zone: string, t: number): number {
  switch (zone) {
    case 'Europe/Paris': return t < Date.parse('2026-03-29T01:00:00Z') ? 1 : 2;
    case 'America/Guadeloupe': case 'America/Martinique': return -4;
    case 'America/Cayenne': return -3;
    case 'Indian/Reunion': return 4;
    default: throw new Error(zone);
  }
}

function nextLocalMidnight(zone: string, t: number): number {
  const local = t + offsetHours(zone, t) * 3_600_000;
  const midnightLocal = Math.floor(local / 86_400_000) * 86_400_000 + 86_400_000;
  const guess = midnightLocal - offsetHours(zone, t) * 3_600_000;
  return midnightLocal - offsetHours(zone, guess) * 3_600_000;
}

/** Arrivals Saturday/Sunday: next working day is Monday 30 March (no holiday); due at its end. */
function deferredDeadline(zone: string): number {
  const offsetMon = zone === 'Europe/Paris' ? 2 : offsetHours(zone, 0);
  return Date.parse('2026-03-31T00:00:00Z') - offsetMon * 3_600_000;
}

interface Arrival {
  at: number;
  caseId: string;
  siteId: string;
  urgency: Urgency;
  modality: string;
  bodyPart?: string;
  specialty?: string;
}

function arrivals(rnd: () => number): Arrival[] {
  const sites = ['creil', 'mg', 'mq', 'kourou', 'stp'];
  const out: Arrival[] = [];
  for (let i = 0; i < 200; i++) {
    const at = DAY_START + Math.floor(rnd() * (DAY_END - DAY_START) / 1000) * 1000;
    const u = rnd();
    const urgency: Urgency = u < 0.5 ? 'emergency' : u < 0.8 ? 'scheduled' : 'deferred';
    const k = rnd();
    const exam = k < 0.3 ? { modality: 'CT', bodyPart: 'HEAD' } : k < 0.4 ? { modality: 'MR', bodyPart: 'BRAIN' } : k < 0.7 ? { modality: 'CT', bodyPart: 'CHEST' } : k < 0.85 ? { modality: 'CR', bodyPart: 'KNEE' } : { modality: 'CR', bodyPart: 'CHEST', specialty: 'paediatrics' };
    out.push({ at, caseId: `1.2.250.1.999.${i + 1}`, siteId: sites[Math.floor(rnd() * sites.length)]!, urgency, ...exam });
  }
  return out.sort((a, b) => a.at - b.at);
}

test('a simulated day: 5 sites, 3 teams, DST night, 200 studies, a restart — every assignment, escalation, deadline and alert checked', { timeout: 120_000 }, async (t) => {
  const rota = buildRota();
  const compiled = compileRota(rota);
  const clock = new ManualClock(DAY_START - MIN);
  const rnd = prng(20260329);
  const web = new Recorder('web');
  const sms = new Recorder('sms');
  const stores = { rota: new MemoryDocument<Rota>(), cases: new MemoryDocument<CaseDocument>(), deliveries: memoryDeliveryStore() };
  const make = () => new DispatchEngine({ clock, logger: silentLogger(), rotaStore: stores.rota, caseStore: stores.cases, notify: { channels: [web, sms], store: stores.deliveries, random: () => 0.5 }, initialRota: rota, hubZone: 'Europe/Paris' });
  let engine = make();
  await engine.start();

  // Radiologists' behaviour, on the same manual clock: 1–4 min to take a case in charge, or never
  // (18 %); an escalated back-up (70 %) or lead takes it 2 min after the alert; reports 5–60 min later.
  const seen = new Map<string, number>();
  const never = new Set<string>();
  const behave = (c: DispatchCase) => {
    const from = seen.get(c.caseId) ?? 0;
    seen.set(c.caseId, c.timeline.length);
    for (const e of c.timeline.slice(from)) {
      const who = e.data?.radiologistId as string | undefined;
      if ((e.type === 'assigned' || e.type === 'reassigned') && who) {
        if (rnd() < 0.18) never.add(`${c.caseId}/${who}`);
        else clock.setTimeout(() => void engine.acknowledge(c.caseId, who).catch(() => {}), Math.floor((1 + rnd() * 3) * MIN));
      }
      if (e.type === 'escalated' && who && !(e.data?.link === 'backup' && rnd() < 0.3)) clock.setTimeout(() => void engine.acknowledge(c.caseId, who).catch(() => {}), 2 * MIN);
      if (e.type === 'acknowledged') {
        const reader = e.actor.id!;
        const reading = Math.floor((c.urgency === 'emergency' ? 5 + rnd() * 60 : 10 + rnd() * 50) * MIN);
        clock.setTimeout(() => {
          void engine.onReportSigned({ caseId: c.caseId, radiologistId: reader }).then(
            () => clock.setTimeout(() => void engine.onReportDelivered({ caseId: c.caseId }).catch(() => {}), MIN),
            () => {},
          );
        }, reading);
      }
    }
  };
  engine.onCase(behave);

  const plan = arrivals(rnd);
  let restarted = false;
  for (const a of plan) {
    if (!restarted && a.at >= RESTART_AT) {
      await clock.advanceAsync(RESTART_AT - clock.now());
      await engine.stop();
      engine = make(); // a new process: same files, no memory
      engine.onCase(behave);
      await engine.start();
      restarted = true;
    }
    await clock.advanceAsync(a.at - clock.now());
    await engine.onStudyReceived({ caseId: a.caseId, siteId: a.siteId, urgency: a.urgency, modality: a.modality, ...(a.bodyPart ? { bodyPart: a.bodyPart } : {}), ...(a.specialty ? { specialty: a.specialty } : {}) });
  }
  while (clock.now() < RUN_END) await clock.advanceAsync(Math.min(30 * MIN, RUN_END - clock.now()));
  await engine.idle();

  const cases = engine.cases();
  assert.equal(cases.length, 200);
  assert.ok(restarted, 'the hub restarted mid-day');
  const rads = new Map(rota.radiologists.map((r) => [r.id, r]));
  const ackMs = (u: Urgency) => DEFAULT_DISPATCH_POLICY.ackTimeoutMinutes[u] * MIN;
  let escalations = 0;
  let waited = 0;
  let specialtyFallbacks = 0;

  // Replay of every timeline in time order: open cases per radiologist never above their maximum.
  const events: Array<{ at: number; seq: number; caseId: string; type: string; who?: string }> = [];
  for (const c of cases) c.timeline.forEach((e, i) => events.push({ at: Date.parse(e.at), seq: i, caseId: c.caseId, type: e.type, who: e.data?.radiologistId as string | undefined ?? e.actor.id }));
  events.sort((a, b) => a.at - b.at || a.seq - b.seq);
  const holder = new Map<string, string>();
  const open = new Map<string, number>();
  const move = (caseId: string, to: string | undefined) => {
    const from = holder.get(caseId);
    if (from) open.set(from, open.get(from)! - 1);
    if (to) {
      holder.set(caseId, to);
      open.set(to, (open.get(to) ?? 0) + 1);
      const r = rads.get(to)!;
      assert.ok(open.get(to)! <= r.maxOpenCases, `${to} above maximum (${open.get(to)} > ${r.maxOpenCases})`);
    } else holder.delete(caseId);
  };
  const byCase = new Map(cases.map((c) => [c.caseId, c]));
  for (const e of events) {
    const c = byCase.get(e.caseId)!;
    const entry = c.timeline[e.seq]!;
    if (e.type === 'assigned' || (e.type === 'escalated' && entry.data?.link === 'backup')) move(e.caseId, e.who);
    if (e.type === 'acknowledged' && holder.get(e.caseId) !== e.who) move(e.caseId, e.who); // a lead taking it in charge
    if (e.type === 'reported' || e.type === 'cancelled') move(e.caseId, undefined);
  }

  for (const c of cases) {
    const site = rota.sites.find((s) => s.id === c.siteId)!;
    const arrival = plan.find((a) => a.caseId === c.caseId)!;
    const received = Date.parse(c.receivedAt);
    assert.equal(received, arrival.at, 'received at its arrival');

    // Every assignment: on call at that instant (pure oracle), in a team that serves the site,
    // with the specialty asked whenever someone with it was on call below their maximum.
    for (const [i, e] of c.timeline.entries()) {
      if (e.type !== 'assigned') continue;
      const t = Date.parse(e.at);
      const who = e.data!.radiologistId as string;
      const team = e.data!.teamId as string;
      assert.ok(rota.agreements.some((a) => a.siteId === c.siteId && a.teamId === team), `${c.caseId}: team ${team} serves ${c.siteId}`);
      assert.ok(onCall(compiled, team, t).some((o) => o.radiologistId === who), `${c.caseId}: ${who} on call for ${team} at ${e.at}`);
      const asked = e.data!.specialtyAsked as string | undefined;
      const expected = arrival.specialty ?? (c.urgency === 'emergency' && ['HEAD', 'BRAIN'].includes(arrival.bodyPart ?? '') ? 'neuro' : undefined);
      assert.equal(asked, expected, `${c.caseId}: specialty asked`);
      if (asked && !e.data!.specialtyMatched) {
        specialtyFallbacks++;
        const teams = rota.agreements.filter((a) => a.siteId === c.siteId && (!a.urgencies || a.urgencies.includes(c.urgency))).map((a) => a.teamId);
        const loadsThen = replayLoads(cases, t, `${c.caseId}#${i}`);
        const free = teams.flatMap((tm) => onCall(compiled, tm, t)).filter((o) => rads.get(o.radiologistId)!.specialties.includes(asked) && (loadsThen.get(o.radiologistId) ?? 0) < rads.get(o.radiologistId)!.maxOpenCases);
        assert.deepEqual(free.map((o) => o.radiologistId), [], `${c.caseId}: a ${asked} radiologist was free at ${e.at}`);
      } else if (asked) {
        assert.ok(rads.get(who)!.specialties.includes(asked), `${c.caseId}: ${who} has ${asked}`);
      }
    }
    if (c.timeline.some((e) => e.type === 'waiting')) waited++;

    // Escalations at their exact times: k × ack timeout after the (re)assignment that started the chain.
    let base: number | undefined;
    for (const e of c.timeline) {
      if (e.type === 'assigned' || e.type === 'reassigned') base = Date.parse(e.at);
      if (e.type === 'escalated') {
        escalations++;
        const k = e.data!.step as number;
        assert.equal(Date.parse(e.at), base! + k * ackMs(c.urgency), `${c.caseId}: escalation step ${k} at ${e.at}`);
      }
    }
    // …and one fired whenever nobody took the case in charge within the timeout.
    c.timeline.forEach((e, i) => {
      if (e.type !== 'assigned') return;
      const due = Date.parse(e.at) + ackMs(c.urgency);
      const next = c.timeline.slice(i + 1).find((x) => ['acknowledged', 'escalated', 'assigned', 'reassigned', 'shift-ended'].includes(x.type));
      assert.ok(next, `${c.caseId}: something follows the assignment at ${e.at}`);
      if (next.type === 'escalated') assert.equal(Date.parse(next.at), due, `${c.caseId}: first escalation exactly at the timeout`);
      else assert.ok(Date.parse(next.at) <= due, `${c.caseId}: ${next.type} at ${next.at} after the timeout ${new Date(due).toISOString()} without escalation`);
    });

    // Deadlines (independent arithmetic) and their at-risk / breach events at the right instants.
    const expectedDeadline = c.urgency === 'emergency'
      ? received + (c.siteId === 'mq' ? 45 : 60) * MIN
      : c.urgency === 'scheduled' ? nextLocalMidnight(site.zone, received) : deferredDeadline(site.zone);
    assert.equal(Date.parse(c.deadlineAt), expectedDeadline, `${c.caseId} (${c.urgency}, ${site.zone}) deadline`);
    const expectedAtRisk = c.urgency === 'emergency' ? received + 30 * MIN : Math.max(received, expectedDeadline - (c.urgency === 'scheduled' ? 120 : 240) * MIN);
    assert.equal(Date.parse(c.atRiskAt), expectedAtRisk, `${c.caseId} at-risk instant`);
    assert.ok(c.reportedAt, `${c.caseId} reported`);
    const reported = Date.parse(c.reportedAt!);
    assert.equal(c.deadlineStatus, reported < expectedDeadline ? 'met' : 'missed', `${c.caseId} deadline status`);
    const breach = c.timeline.filter((e) => e.type === 'breached');
    assert.deepEqual(breach.map((e) => Date.parse(e.at)), reported >= expectedDeadline ? [expectedDeadline] : [], `${c.caseId} breach event`);
    const risk = c.timeline.filter((e) => e.type === 'at-risk');
    assert.deepEqual(risk.map((e) => Date.parse(e.at)), reported >= expectedAtRisk && expectedAtRisk < expectedDeadline ? [expectedAtRisk] : [], `${c.caseId} at-risk event`);
    assert.equal(c.state, 'delivered', `${c.caseId} delivered`);

    // The three alerts: exactly once per channel and recipient; (2) and (3) once per case.
    const sent = [...web.sent, ...sms.sent].filter((d) => d.caseId === c.caseId);
    const keys = sent.map((d) => d.key);
    assert.equal(new Set(keys).size, keys.length, `${c.caseId}: an alert was sent twice`);
    for (const alert of ['taken-in-charge', 'report-available']) {
      assert.deepEqual(sent.filter((d) => d.alert === alert).map((d) => d.channel).sort(), ['sms', 'web'], `${c.caseId}: ${alert} once on each channel`);
    }
    const assignees = [...new Set(c.timeline.filter((e) => e.type === 'assigned' || e.type === 'reassigned').map((e) => e.data!.radiologistId as string))];
    const alert1 = sent.filter((d) => d.alert === 'study-assigned');
    assert.deepEqual(alert1.map((d) => `${d.recipient.id}/${d.channel}`).sort(), assignees.flatMap((r) => [`${r}/sms`, `${r}/web`]).sort(), `${c.caseId}: alert (1) once to each radiologist it was given to`);
    for (const d of sent.filter((x) => x.channel === 'sms')) assert.doesNotMatch(d.message.short, /1\.2\.250/, 'no UID in SMS');
  }

  const counters = engine.counters();
  const sum = (u: Urgency) => counters.closed[u]!.met + counters.closed[u]!.missed;
  assert.equal(sum('emergency') + sum('scheduled') + sum('deferred'), 200);
  assert.equal(counters.closed.emergency!.missed, cases.filter((c) => c.urgency === 'emergency' && c.deadlineStatus === 'missed').length);
  assert.equal(counters.escalations, escalations);
  assert.ok(escalations >= 10, `escalations happened (${escalations})`);
  assert.ok(counters.closed.emergency!.missed > 0 && cases.some((c) => c.timeline.some((e) => e.type === 'at-risk')), 'some emergencies went at risk and breached');
  assert.ok(cases.some((c) => c.timeline.some((e) => e.type === 'escalated' && e.data?.link === 'lead')), 'a lead was alerted');
  assert.ok(cases.filter((c) => c.urgency === 'emergency').every((c) => c.timeline.some((e) => e.type === 'assigned' && Date.parse(e.at) === Date.parse(c.receivedAt)) || c.timeline.some((e) => e.type === 'waiting')), 'emergencies assigned on arrival');
  t.diagnostic(JSON.stringify({ escalations, waited, specialtyFallbacks, counters: counters.closed }));
});

/** Open cases per radiologist just before the assignment `stopAt` (caseId#timeline index). */
function replayLoads(cases: DispatchCase[], at: number, stopAt: string): Map<string, number> {
  const events: Array<{ at: number; key: string; caseId: string; type: string; who?: string; link?: unknown }> = [];
  for (const c of cases) c.timeline.forEach((e, i) => events.push({ at: Date.parse(e.at), key: `${c.caseId}#${i}`, caseId: c.caseId, type: e.type, who: (e.data?.radiologistId as string | undefined) ?? e.actor.id, link: e.data?.link }));
  events.sort((a, b) => a.at - b.at);
  const holder = new Map<string, string>();
  const open = new Map<string, number>();
  for (const e of events) {
    if (e.at > at || e.key === stopAt) break;
    const to = e.type === 'assigned' || (e.type === 'escalated' && e.link === 'backup') || (e.type === 'acknowledged' && holder.get(e.caseId) !== e.who) ? e.who : e.type === 'reported' || e.type === 'cancelled' ? null : undefined;
    if (to === undefined) continue;
    const from = holder.get(e.caseId);
    if (from) open.set(from, open.get(from)! - 1);
    if (to) {
      holder.set(e.caseId, to);
      open.set(to, (open.get(to) ?? 0) + 1);
    } else holder.delete(e.caseId);
  }
  return open;
}
