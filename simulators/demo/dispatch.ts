/**
 * The demo's dispatch: a small rota seeded through the hub's public HTTP API with an admin
 * token the demo provisions — one regional team on call around the clock with a demo
 * radiologist, the demo site and its agreement, a stroke rule — then the study's case read
 * back from its timeline (« assigné à … ») and, in --once mode, taken in charge as the
 * simulated radiologist would (HTTP), so the clinician's alert (2) goes out.
 * Talks to the hub only over HTTP, as any client would.
 */
import { DEFAULT_DISPATCH_POLICY, DISPATCH_ROUTES, type Rota } from '../../protocol/dispatch.ts';

export const DEMO_DISPATCH = {
  siteId: 'demo-urgences',
  siteName: 'Urgences de démonstration',
  teamId: 'garde-regionale',
  radiologistId: 'demo-radiologue',
  radiologistName: 'Dr Camille Martin',
} as const;

export function demoRota(): Rota {
  const d = DEMO_DISPATCH;
  return {
    radiologists: [{ id: d.radiologistId, displayName: d.radiologistName, rpps: '10000000018', specialties: ['neuro', 'general'], channels: {}, maxOpenCases: 10 }],
    teams: [{ id: d.teamId, name: 'Garde régionale (démo)', zone: 'Europe/Paris', members: [d.radiologistId], lead: d.radiologistId, backupOrder: [] }],
    sites: [{ id: d.siteId, name: d.siteName, zone: 'Europe/Paris', defaultContact: { name: 'Urgentiste de garde (démo)', channels: {} } }],
    agreements: [{ id: 'demo-convention', siteId: d.siteId, teamId: d.teamId, priority: 0 }],
    rules: [{ id: 'avc', specialty: 'neuro', modalities: ['CT', 'MR'], bodyParts: ['HEAD', 'BRAIN'], urgencies: ['emergency'] }],
    operators: [],
    patterns: [{ id: 'garde-24h', teamId: d.teamId, radiologistId: d.radiologistId, role: 'primary', zone: 'Europe/Paris', start: '0 0 * * *', end: '0 0 * * *', label: 'Garde 24 h/24' }],
    overrides: [],
    planned: [],
    extraHolidays: [],
    policy: DEFAULT_DISPATCH_POLICY,
  };
}

async function call(hubUrl: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${hubUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json().catch(() => undefined) };
}

/** PUT the demo rota (admin token). */
export async function seedDemoRota(hubUrl: string, adminToken: string): Promise<void> {
  const r = await call(hubUrl, adminToken, 'PUT', DISPATCH_ROUTES.rota, demoRota());
  if (r.status !== 200) throw new Error(`the hub refused the demo rota: HTTP ${r.status} ${JSON.stringify(r.json)}`);
}

export interface DemoAssignment {
  /** « assigné à Dr Camille Martin : d'astreinte … » as on the timeline. */
  text: string;
  radiologistId: string;
}

/** Polls the case's timeline until it is assigned (the case opens at the first instance). */
export async function waitForAssignment(hubUrl: string, token: string, caseId: string, timeoutMs: number, lang: 'fr' | 'en' = 'fr', signal?: AbortSignal): Promise<DemoAssignment> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal?.aborted) throw new Error('stopped');
    const r = await call(hubUrl, token, 'GET', `${DISPATCH_ROUTES.case(caseId)}/timeline?lang=${lang}`).catch(() => undefined);
    const entries = (r?.json as { timeline?: Array<{ type: string; text: string; data?: { radiologistId?: string } }> } | undefined)?.timeline ?? [];
    const assigned = entries.find((e) => e.type === 'assigned' || e.type === 'reassigned');
    if (assigned) return { text: assigned.text, radiologistId: assigned.data?.radiologistId ?? '' };
    const waiting = entries.find((e) => e.type === 'waiting');
    if (waiting) throw new Error(waiting.text);
    if (Date.now() > deadline) throw new Error(`case ${caseId} not assigned after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Takes the case in charge as the radiologist (HTTP), returns the timeline line it adds. */
export async function takeInCharge(hubUrl: string, radiologistToken: string, caseId: string, lang: 'fr' | 'en' = 'fr'): Promise<string> {
  const r = await call(hubUrl, radiologistToken, 'POST', DISPATCH_ROUTES.acknowledge(caseId), {});
  if (r.status !== 200) throw new Error(`take in charge refused: HTTP ${r.status} ${JSON.stringify(r.json)}`);
  const tl = await call(hubUrl, radiologistToken, 'GET', `${DISPATCH_ROUTES.case(caseId)}/timeline?lang=${lang}`);
  const entries = (tl.json as { timeline?: Array<{ type: string; text: string }> }).timeline ?? [];
  return [...entries].reverse().find((e) => e.type === 'acknowledged')?.text ?? '';
}
