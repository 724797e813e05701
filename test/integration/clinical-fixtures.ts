/**
 * Shared pieces of the clinical pages' integration tests: a rota (one neuro team on call at
 * night, the site « CH Marie-Galante » with its clinician's SMS), a valid exam request, a
 * hub on a manual clock with an SMS gateway simulator, and a cookie-less form poster.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_DISPATCH_POLICY, type Rota } from '../../protocol/dispatch.ts';
import { insKey, INS_OIDS } from '../../protocol/ins.ts';
import type { ExamRequest } from '../../protocol/clinical.ts';
import { SmsChannel } from '../../hub/notify/channels/sms.ts';
import { startSmsGateway, type SmsGateway } from '../../simulators/sms-gateway/server.ts';
import { ManualClock } from '../fakes/manual-clock.ts';
import { startTestHub, type TestHub } from './hub-harness.ts';

export const START = '2026-06-02T20:00:00Z'; // 22:00 in Paris: the night shift
export const CLINICIAN_SMS = '+590690000001';

export function clinicalRota(): Rota {
  return {
    radiologists: [
      { id: 'n1', displayName: 'Dr Anne Neuro', rpps: '10101010101', specialties: ['neuro'], channels: {}, maxOpenCases: 3 },
      { id: 'n2', displayName: 'Dr Bruno Back', rpps: '10202020202', specialties: ['neuro'], channels: {}, maxOpenCases: 3 },
      { id: 'x9', displayName: 'Dr Xavier Ailleurs', rpps: '10909090909', specialties: ['general'], channels: {}, maxOpenCases: 3 },
    ],
    teams: [
      { id: 'neuro', name: 'Neuro Antilles', zone: 'Europe/Paris', members: ['n1', 'n2'], lead: 'n2', backupOrder: ['n2'] },
      { id: 'other', name: 'Autre équipe', zone: 'Europe/Paris', members: ['x9'], lead: 'x9', backupOrder: [] },
    ],
    sites: [{ id: 'ch-mg', name: 'CH Marie-Galante', zone: 'America/Guadeloupe', defaultContact: { name: 'Urgences MG', channels: { sms: CLINICIAN_SMS } } }],
    agreements: [{ id: 'a1', siteId: 'ch-mg', teamId: 'neuro', priority: 1 }],
    rules: [],
    operators: [],
    patterns: [
      { id: 'p1', teamId: 'neuro', radiologistId: 'n1', role: 'primary', zone: 'Europe/Paris', start: '0 18 * * *', end: '0 8 * * *' },
      { id: 'p2', teamId: 'neuro', radiologistId: 'n2', role: 'backup', zone: 'Europe/Paris', start: '0 18 * * *', end: '0 8 * * *' },
    ],
    overrides: [], planned: [], extraHolidays: [], policy: DEFAULT_DISPATCH_POLICY,
  };
}

/** The same team with Dr Anne Neuro on call around the clock (tests on the real clock). */
export function allDayRota(): Rota {
  const r = clinicalRota();
  r.patterns = [{ id: 'h24', teamId: 'neuro', radiologistId: 'n1', role: 'primary', zone: 'Europe/Paris', start: '0 0 * * *', end: '0 0 * * *' }];
  return r;
}

export function examRequest(at: string, over: Partial<ExamRequest> = {}): ExamRequest {
  const body = '1840275056123';
  const id = `rq-${Date.parse(at).toString(36)}-${randomBytes(8).toString('hex')}`;
  return {
    requestId: id,
    revision: 1,
    createdAt: at,
    updatedAt: at,
    accessionNumber: `RL${randomBytes(3).toString('hex')}`,
    studyInstanceUid: `2.25.${BigInt(`0x${randomBytes(12).toString('hex')}`).toString()}`,
    urgency: 'emergency',
    patient: { ins: { matricule: `${body}${String(insKey(body)).padStart(2, '0')}`, oid: INS_OIDS.nirTest }, birthNames: 'MARTIN', firstNames: 'PAUL', sex: 'M', birthDate: '1984-02-10', birthPlaceCode: '75056', localId: { value: 'IPP-7', issuer: 'CH' } },
    clinical: { context: 'Déficit brachial gauche depuis 40 min', question: 'AVC ischémique ? Occlusion ?' },
    exam: { examType: 'ct-head', modality: 'CT', bodyPart: 'HEAD', scheduledAt: at },
    requester: { name: 'Dr Urgence', phone: CLINICIAN_SMS },
    ...over,
  };
}

export interface ClinicalHub {
  t: TestHub;
  clock: ManualClock;
  gateway: SmsGateway;
  /** A second radiologist of the team, and one of another team. */
  tokens: { n1: string; n2: string; x9: string; operator: string; clinician: string; admin: string };
  close(): Promise<void>;
}

export async function clinicalHub(extra: Parameters<typeof startTestHub>[0] = {}): Promise<ClinicalHub> {
  const clock = new ManualClock(START);
  const gateway = await startSmsGateway({ token: 'gw-token' });
  const t = await startTestHub({ clock, channels: [new SmsChannel({ url: gateway.url, token: 'gw-token', sender: 'RELAIS' })], rota: clinicalRota(), siteA: 'ch-mg', radiologistId: 'n1', clinicianSites: ['ch-mg'], ...extra });
  const n2 = (await t.stores.identities.issueUser('dr-back', 'radiologist', 'Dr Bruno Back', { radiologistId: 'n2' })).token;
  const x9 = (await t.stores.identities.issueUser('dr-other', 'radiologist', 'Dr Xavier Ailleurs', { radiologistId: 'x9' })).token;
  return {
    t, clock, gateway,
    tokens: { n1: t.tokens.radiologist, n2, x9, operator: t.tokens.operator, clinician: t.tokens.clinician, admin: t.tokens.admin },
    async close() {
      await t.close();
      await gateway.close();
    },
  };
}

export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
