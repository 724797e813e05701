/**
 * `npm run bench -- dispatch [n]`: assignment latency with 1,000 open cases and 100 radiologists
 * (10 teams, 20 sites, everyone on call, maximum 20 open cases each). One JSON line per variant:
 * - `engine-memory`: DispatchEngine.onStudyReceived with in-memory stores (routing, state, timers);
 * - `engine-durable`: the same with the lowdb files fsynced on every change (what the hub runs);
 * - `route-indexed`: the routing decision alone, on-call from the cached OnCallIndex;
 * - anchor `route-uncached`: the same decision with on-call computed by croner for each study
 *   (no index) — what the index saves.
 * Each timed assignment is followed by an untimed report so the open count stays at 1,000.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ManualClock } from '../fakes/manual-clock.ts';
import { silentLogger } from '../../lib/logger.ts';
import { DEFAULT_DISPATCH_POLICY, type CaseDocument, type Rota } from '../../protocol/dispatch.ts';
import type { Urgency } from '../../protocol/common.ts';
import { DispatchEngine } from '../../hub/dispatch/engine.ts';
import { MemoryDocument } from '../../hub/dispatch/store/json-document.ts';
import { dispatchFiles } from '../../hub/dispatch/store/files.ts';
import { memoryDeliveryStore, type ChannelAdapter } from '../../hub/notify/types.ts';
import { compileRota, onCall, OnCallIndex } from '../../hub/dispatch/rota/rota.ts';
import { Directory, route } from '../../hub/dispatch/routing.ts';

const RADIOLOGISTS = 100;
const OPEN = 1000;
const START = '2026-06-02T20:00:00Z';

function rota(): Rota {
  const r: Rota = { radiologists: [], teams: [], sites: [], agreements: [], rules: [{ id: 'stroke', specialty: 'neuro', modalities: ['CT'], bodyParts: ['HEAD'], urgencies: ['emergency'] }], operators: [], patterns: [], overrides: [], planned: [], extraHolidays: [], policy: DEFAULT_DISPATCH_POLICY };
  for (let t = 0; t < 10; t++) {
    const members: string[] = [];
    for (let i = 0; i < RADIOLOGISTS / 10; i++) {
      const id = `r${t}-${i}`;
      members.push(id);
      r.radiologists.push({ id, displayName: `Dr ${id}`, rpps: String(10000000000 + t * 100 + i), specialties: i % 3 === 0 ? ['neuro'] : ['general'], channels: { sms: `+336${String(t * 100 + i).padStart(8, '0')}` }, maxOpenCases: 20 });
      r.patterns.push({ id: `p-${id}`, teamId: `t${t}`, radiologistId: id, role: i === 9 ? 'backup' : 'primary', zone: t % 2 ? 'America/Martinique' : 'Europe/Paris', start: '0 8 * * *', end: '0 8 * * *' });
    }
    r.teams.push({ id: `t${t}`, name: `Team ${t}`, zone: t % 2 ? 'America/Martinique' : 'Europe/Paris', members, lead: members[0]!, backupOrder: [members[9]!] });
  }
  for (let s = 0; s < 20; s++) {
    r.sites.push({ id: `s${s}`, name: `Site ${s}`, zone: s % 2 ? 'America/Guadeloupe' : 'Europe/Paris', defaultContact: { name: 'SAU', channels: { sms: '+33300000000' } } });
    r.agreements.push({ id: `a${s}-1`, siteId: `s${s}`, teamId: `t${s % 10}`, priority: 1 }, { id: `a${s}-2`, siteId: `s${s}`, teamId: `t${(s + 3) % 10}`, priority: 2 });
  }
  return r;
}

const ok: ChannelAdapter[] = [{ name: 'web', send: async () => ({ status: 'ok' }) }, { name: 'sms', send: async () => ({ status: 'ok' }) }];
const URG: Urgency[] = ['emergency', 'scheduled', 'deferred'];
const study = (i: number) => ({ caseId: `1.2.250.1.7.${i}`, siteId: `s${i % 20}`, urgency: URG[i % 3]!, modality: 'CT', bodyPart: i % 2 ? 'HEAD' : 'CHEST' });

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function engineBench(variant: string, n: number, stores: { rotaStore: MemoryDocument<Rota> | ReturnType<typeof dispatchFiles>['rotaStore']; caseStore: MemoryDocument<CaseDocument> | ReturnType<typeof dispatchFiles>['caseStore']; deliveryStore: ReturnType<typeof memoryDeliveryStore> | ReturnType<typeof dispatchFiles>['deliveryStore'] }): Promise<void> {
  const clock = new ManualClock(START);
  const engine = new DispatchEngine({ clock, logger: silentLogger(), rotaStore: stores.rotaStore, caseStore: stores.caseStore, notify: { channels: ok, store: stores.deliveryStore }, initialRota: rota() });
  await engine.start();
  for (let i = 0; i < OPEN; i++) await engine.onStudyReceived(study(i));
  await engine.idle();
  const times: number[] = [];
  let oldest = 0;
  for (let i = OPEN; i < OPEN + n; i++) {
    const t0 = performance.now();
    const c = await engine.onStudyReceived(study(i));
    times.push(performance.now() - t0);
    if (!c.assignee) throw new Error('not assigned');
    const old = engine.getCase(study(oldest++).caseId)!;
    await engine.onReportSigned({ caseId: old.caseId, radiologistId: old.assignee! });
  }
  await engine.stop();
  times.sort((a, b) => a - b);
  const open = engine.cases((c) => c.state === 'assigned' || c.state === 'acknowledged').length;
  process.stdout.write(`${JSON.stringify({ bench: 'dispatch-assign', variant, n, openCases: open, radiologists: RADIOLOGISTS, p50Ms: +pct(times, 0.5).toFixed(3), p99Ms: +pct(times, 0.99).toFixed(3) })}\n`);
}

function routeOnly(n: number, indexed: boolean): void {
  const r = rota();
  const compiled = compileRota(r);
  const dir = new Directory(r);
  const at = Date.parse(START);
  const load = new Map<string, number>();
  for (let i = 0; i < OPEN; i++) load.set(`r${i % 10}-${i % 9}`, (load.get(`r${i % 10}-${i % 9}`) ?? 0) + 1);
  const index = new OnCallIndex(compiled);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const onCallAt = indexed ? (teamId: string) => index.at(at, teamId) : (teamId: string) => onCall(compiled, teamId, at);
    const d = route({ dir, study: study(i), at, onCallAt, load: (id) => load.get(id) ?? 0 });
    times.push(performance.now() - t0);
    if (d.kind !== 'assign') throw new Error('not assigned');
  }
  times.sort((a, b) => a - b);
  process.stdout.write(`${JSON.stringify({ bench: 'dispatch-assign', variant: indexed ? 'route-indexed' : 'route-uncached', ...(indexed ? {} : { anchor: true }), n, openCases: OPEN, radiologists: RADIOLOGISTS, p50Ms: +pct(times, 0.5).toFixed(3), p99Ms: +pct(times, 0.99).toFixed(3) })}\n`);
}

export async function main(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 300);
  routeOnly(Math.min(n, 100), false);
  routeOnly(n, true);
  await engineBench('engine-memory', n, { rotaStore: new MemoryDocument<Rota>(), caseStore: new MemoryDocument<CaseDocument>(), deliveryStore: memoryDeliveryStore() });
  const dir = await mkdtemp(join(tmpdir(), 'relais-bench-dispatch-'));
  try {
    await engineBench('engine-durable', n, dispatchFiles(dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
