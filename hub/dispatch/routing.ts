/**
 * Routing, pure: which team and who takes a study, with the reason in French and English.
 * Rules, in order: the site's active agreements (urgency, modality) give the teams; the
 * specialty asked (explicit, or from the routing rules: a stroke CT → neuro) is preferred when
 * someone with it is on call; then primary before back-up, then the fewest open cases (across
 * all sites: one radiologist may cover several), then agreement priority, then id. Nobody is
 * given a case at or above their maximum; an on-call shift limited to some urgencies is honoured.
 * Contract: same inputs → same decision. On-call and load come in as functions.
 */
import type { Agreement, Radiologist, Rota, RoutingRule, Site, Team, Text2 } from '../../protocol/dispatch.ts';
import type { Urgency } from '../../protocol/common.ts';
import type { OnCall } from './rota/rota.ts';
import { assignedText, T } from './texts.ts';

export interface RoutableStudy {
  siteId: string;
  urgency: Urgency;
  modality: string;
  bodyPart?: string;
  specialty?: string;
}

/** Look-up tables over one version of the rota document. */
export class Directory {
  readonly radiologists: ReadonlyMap<string, Radiologist>;
  readonly teams: ReadonlyMap<string, Team>;
  readonly sites: ReadonlyMap<string, Site>;
  readonly agreementsBySite: ReadonlyMap<string, readonly Agreement[]>;
  readonly rules: readonly RoutingRule[];
  constructor(readonly rota: Rota) {
    this.radiologists = new Map(rota.radiologists.map((r) => [r.id, r]));
    this.teams = new Map(rota.teams.map((t) => [t.id, t]));
    this.sites = new Map(rota.sites.map((s) => [s.id, s]));
    const bySite = new Map<string, Agreement[]>();
    for (const a of rota.agreements) bySite.set(a.siteId, [...(bySite.get(a.siteId) ?? []), a]);
    for (const list of bySite.values()) list.sort((x, y) => x.priority - y.priority || x.id.localeCompare(y.id));
    this.agreementsBySite = bySite;
    this.rules = rota.rules;
  }

  name(radiologistId: string): string {
    return this.radiologists.get(radiologistId)?.displayName ?? radiologistId;
  }
}

const norm = (s: string | undefined) => (s ?? '').trim().toUpperCase();

/** The specialty asked: explicit on the request, else the first matching routing rule. */
export function specialtyFor(study: RoutableStudy, rules: readonly RoutingRule[]): string | undefined {
  if (study.specialty) return study.specialty;
  for (const r of rules) {
    if (r.modalities && !r.modalities.map(norm).includes(norm(study.modality))) continue;
    if (r.bodyParts && !r.bodyParts.map(norm).includes(norm(study.bodyPart))) continue;
    if (r.urgencies && !r.urgencies.includes(study.urgency)) continue;
    return r.specialty;
  }
  return undefined;
}

/** Active agreements of the site covering this urgency and modality, best first. */
export function agreementsFor(dir: Directory, study: RoutableStudy, at: number): Agreement[] {
  return (dir.agreementsBySite.get(study.siteId) ?? []).filter((a) => {
    if (a.validFrom && Date.parse(a.validFrom) > at) return false;
    if (a.validUntil && Date.parse(a.validUntil) <= at) return false;
    if (a.urgencies && !a.urgencies.includes(study.urgency)) return false;
    if (a.modalities && !a.modalities.map(norm).includes(norm(study.modality))) return false;
    return true;
  });
}

export interface Candidate {
  radiologistId: string;
  teamId: string;
  agreementId: string;
  role: 'primary' | 'backup';
  openCases: number;
  max: number;
  specialtyMatched: boolean;
  priority: number;
}

export type RoutingDecision =
  | {
      kind: 'assign';
      radiologistId: string;
      teamId: string;
      agreementId: string;
      role: 'primary' | 'backup';
      specialtyAsked?: string;
      specialtyMatched: boolean;
      openCases: number;
      text: Text2;
      considered: number;
    }
  | { kind: 'wait'; reason: 'no-agreement' | 'nobody-available'; teamIds: string[]; specialtyAsked?: string; text: Text2 };

export interface RoutingInput {
  dir: Directory;
  study: RoutableStudy;
  at: number;
  onCallAt: (teamId: string) => readonly OnCall[];
  load: (radiologistId: string) => number;
  /** Radiologists not to choose (e.g. the one whose shift just ended). */
  exclude?: ReadonlySet<string>;
  /** Only these roles (default both; primaries are preferred anyway). */
  roles?: ReadonlyArray<'primary' | 'backup'>;
}

export function candidatesFor(input: RoutingInput, agreements: readonly Agreement[], specialty: string | undefined): Candidate[] {
  const { dir, study, onCallAt, load, exclude } = input;
  const best = new Map<string, Candidate>();
  for (const a of agreements) {
    for (const oc of onCallAt(a.teamId)) {
      if (input.roles && !input.roles.includes(oc.role)) continue;
      if (exclude?.has(oc.radiologistId)) continue;
      if (oc.urgencies && !oc.urgencies.includes(study.urgency)) continue;
      const r = dir.radiologists.get(oc.radiologistId);
      if (!r || r.active === false) continue;
      const open = load(r.id);
      if (open >= r.maxOpenCases) continue;
      const c: Candidate = {
        radiologistId: r.id, teamId: a.teamId, agreementId: a.id, role: oc.role, openCases: open, max: r.maxOpenCases,
        specialtyMatched: specialty !== undefined && r.specialties.includes(specialty), priority: a.priority,
      };
      const prev = best.get(r.id);
      if (!prev || compare(c, prev) < 0) best.set(r.id, c);
    }
  }
  return [...best.values()].sort(compare);
}

function compare(a: Candidate, b: Candidate): number {
  return (
    Number(b.specialtyMatched) - Number(a.specialtyMatched) ||
    (a.role === b.role ? 0 : a.role === 'primary' ? -1 : 1) ||
    a.openCases - b.openCases ||
    a.priority - b.priority ||
    a.radiologistId.localeCompare(b.radiologistId)
  );
}

export function route(input: RoutingInput): RoutingDecision {
  const { dir, study, at } = input;
  const specialty = specialtyFor(study, dir.rules);
  const agreements = agreementsFor(dir, study, at);
  const siteName = dir.sites.get(study.siteId)?.name ?? study.siteId;
  const withSpecialty = <T extends object>(o: T): T => (specialty ? { ...o, specialtyAsked: specialty } : o);
  if (agreements.length === 0) {
    return withSpecialty({ kind: 'wait', reason: 'no-agreement', teamIds: [], text: T.noAgreement(siteName) });
  }
  const candidates = candidatesFor(input, agreements, specialty);
  const chosen = candidates[0];
  if (!chosen) {
    const teamIds = [...new Set(agreements.map((a) => a.teamId))];
    return withSpecialty({ kind: 'wait', reason: 'nobody-available', teamIds, text: T.nobodyAvailable(teamIds.map((t) => dir.teams.get(t)?.name ?? t).join(', ')) });
  }
  const reason = {
    name: dir.name(chosen.radiologistId),
    teamName: dir.teams.get(chosen.teamId)?.name ?? chosen.teamId,
    role: chosen.role,
    specialtyMatched: chosen.specialtyMatched,
    openCases: chosen.openCases,
    max: chosen.max,
    ...(specialty ? { specialty, specialtyAsked: specialty } : {}),
  };
  return withSpecialty({
    kind: 'assign',
    radiologistId: chosen.radiologistId,
    teamId: chosen.teamId,
    agreementId: chosen.agreementId,
    role: chosen.role,
    specialtyMatched: chosen.specialtyMatched,
    openCases: chosen.openCases,
    text: assignedText(reason),
    considered: candidates.length,
  });
}
