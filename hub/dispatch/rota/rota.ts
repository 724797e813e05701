/**
 * The rota, pure: who is on call for a team at an instant, and the resolved shifts of a period.
 * Shift patterns are cron expressions in an IANA zone, expanded with croner (previous and next
 * occurrences from any instant, DST-aware, bad zones rejected); instants are UTC milliseconds.
 * Resolution order: pattern occurrences (day type, week cycle, validity) → minus planned
 * periods of their team (a published rota replaces the patterns) → overrides added, and the
 * radiologist an override `replaces` removed for its interval (a swap is two overrides).
 * Contract: `compileRota` throws RotaInvalidError listing every problem; everything else is a
 * pure function of (compiled rota, instants). A shift lasts at most MAX_SHIFT_MS.
 */
import { Cron } from 'croner';
import type { Rota, RotaOverride, ShiftPattern, ShiftRole, HolidayRegion, SwapBody } from '../../../protocol/dispatch.ts';
import type { Urgency } from '../../../protocol/common.ts';
import { HolidayCalendar, regionForZone } from './holidays.ts';
import { Zones, RotaZoneError, daysBetween, weekdayOf, addDays } from './zone.ts';

export const MAX_SHIFT_MS = 7 * 86_400_000;

export class RotaInvalidError extends Error {
  readonly code = 'RELAIS_ROTA_INVALID';
  constructor(readonly problems: string[]) {
    super(`invalid rota: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5})` : ''}`);
    this.name = 'RotaInvalidError';
  }
}

export interface Shift {
  teamId: string;
  radiologistId: string;
  role: ShiftRole;
  start: number;
  end: number;
  /** `pattern:<id>` or `override:<id>`. */
  source: string;
  urgencies?: Urgency[];
  label?: string;
}

interface CompiledPattern {
  p: ShiftPattern;
  start: Cron;
  end: Cron;
  region: HolidayRegion;
  validFrom: number;
  validUntil: number;
}

export interface CompiledRota {
  readonly rota: Rota;
  readonly patterns: readonly CompiledPattern[];
  readonly zones: Zones;
  readonly holidays: HolidayCalendar;
  readonly teamRegion: ReadonlyMap<string, HolidayRegion>;
}

function cron(pattern: string, zone: string): Cron {
  const c = new Cron(pattern, { timezone: zone, paused: true });
  c.nextRun(new Date(0)); // croner validates the zone lazily: force it now
  return c;
}

/** Validates references, zones and patterns; returns the problems (empty when valid). */
export function rotaProblems(rota: Rota): string[] {
  const problems: string[] = [];
  const zones = new Zones();
  const unique = (kind: string, ids: string[]) => {
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) problems.push(`${kind} ${id}: duplicate id`);
      seen.add(id);
    }
    return seen;
  };
  const rads = unique('radiologist', rota.radiologists.map((r) => r.id));
  const teams = unique('team', rota.teams.map((t) => t.id));
  const sites = unique('site', rota.sites.map((s) => s.id));
  unique('agreement', rota.agreements.map((a) => a.id));
  unique('pattern', rota.patterns.map((p) => p.id));
  unique('override', rota.overrides.map((o) => o.id));
  const checkZone = (what: string, zone: string) => {
    try {
      zones.get(zone);
      cron('0 0 * * *', zone);
    } catch {
      problems.push(`${what}: unknown time zone ${zone}`);
    }
  };
  for (const r of rota.radiologists) if (r.zone) checkZone(`radiologist ${r.id}`, r.zone);
  for (const t of rota.teams) {
    checkZone(`team ${t.id}`, t.zone);
    for (const m of [...t.members, t.lead, ...t.backupOrder]) if (!rads.has(m)) problems.push(`team ${t.id}: unknown radiologist ${m}`);
  }
  for (const s of rota.sites) checkZone(`site ${s.id}`, s.zone);
  for (const a of rota.agreements) {
    if (!sites.has(a.siteId)) problems.push(`agreement ${a.id}: unknown site ${a.siteId}`);
    if (!teams.has(a.teamId)) problems.push(`agreement ${a.id}: unknown team ${a.teamId}`);
  }
  for (const p of rota.patterns) {
    if (!teams.has(p.teamId)) problems.push(`pattern ${p.id}: unknown team ${p.teamId}`);
    if (!rads.has(p.radiologistId)) problems.push(`pattern ${p.id}: unknown radiologist ${p.radiologistId}`);
    checkZone(`pattern ${p.id}`, p.zone);
    for (const [name, expr] of [['start', p.start], ['end', p.end]] as const) {
      try {
        cron(expr, 'UTC');
      } catch (err) {
        problems.push(`pattern ${p.id}: invalid ${name} pattern "${expr}" (${(err as Error).message})`);
      }
    }
  }
  for (const o of rota.overrides) {
    if (!teams.has(o.teamId)) problems.push(`override ${o.id}: unknown team ${o.teamId}`);
    if (!rads.has(o.radiologistId)) problems.push(`override ${o.id}: unknown radiologist ${o.radiologistId}`);
    if (o.replaces && !rads.has(o.replaces)) problems.push(`override ${o.id}: unknown radiologist ${o.replaces}`);
    if (!(Date.parse(o.from) < Date.parse(o.to))) problems.push(`override ${o.id}: from must be before to`);
  }
  for (const pp of rota.planned) {
    if (!teams.has(pp.teamId)) problems.push(`planned period ${pp.id}: unknown team ${pp.teamId}`);
    if (!(Date.parse(pp.from) < Date.parse(pp.to))) problems.push(`planned period ${pp.id}: from must be before to`);
  }
  return problems;
}

export function compileRota(rota: Rota): CompiledRota {
  const problems = rotaProblems(rota);
  if (problems.length) throw new RotaInvalidError(problems);
  const zones = new Zones();
  const teamRegion = new Map(rota.teams.map((t) => [t.id, t.holidayRegion ?? regionForZone(t.zone)] as const));
  const patterns = rota.patterns.map((p) => ({
    p,
    start: cron(p.start, p.zone),
    end: cron(p.end, p.zone),
    region: teamRegion.get(p.teamId) ?? regionForZone(p.zone),
    validFrom: p.validFrom ? Date.parse(p.validFrom) : -Infinity,
    validUntil: p.validUntil ? Date.parse(p.validUntil) : Infinity,
  }));
  return { rota, patterns, zones, holidays: new HolidayCalendar(rota.extraHolidays), teamRegion };
}

function compiled(r: Rota | CompiledRota): CompiledRota {
  return 'patterns' in r && 'zones' in r ? (r as CompiledRota) : compileRota(r as Rota);
}

function startMatches(c: CompiledRota, cp: CompiledPattern, s: number): boolean {
  if (s < cp.validFrom || s >= cp.validUntil) return false;
  const date = c.zones.get(cp.p.zone).localDate(s);
  const dayType = cp.p.dayType ?? 'any';
  if (dayType !== 'any') {
    const working = c.holidays.isWorkingDay(date, cp.region);
    if (working !== (dayType === 'working')) return false;
  }
  if (cp.p.cycle) {
    const { everyWeeks, anchorMonday, offset } = cp.p.cycle;
    const monday = addDays(date, 1 - weekdayOf(date));
    const weeks = Math.floor(daysBetween(anchorMonday, monday) / 7);
    if ((((weeks - offset) % everyWeeks) + everyWeeks) % everyWeeks !== 0) return false;
  }
  return true;
}

/** Occurrences of one pattern whose interval meets [from, to). */
function patternShifts(c: CompiledRota, cp: CompiledPattern, from: number, to: number): Shift[] {
  const out: Shift[] = [];
  let cursor = new Date(from - MAX_SHIFT_MS - 1000);
  for (let guard = 0; guard < 10_000; guard++) {
    const s = cp.start.nextRun(cursor);
    if (!s || s.getTime() >= to) break;
    cursor = s;
    const start = s.getTime();
    if (!startMatches(c, cp, start)) continue;
    const e = cp.end.nextRun(s);
    if (!e) continue;
    const end = Math.min(e.getTime(), start + MAX_SHIFT_MS);
    if (end <= from) continue;
    const shift: Shift = { teamId: cp.p.teamId, radiologistId: cp.p.radiologistId, role: cp.p.role, start, end, source: `pattern:${cp.p.id}` };
    if (cp.p.urgencies) shift.urgencies = cp.p.urgencies;
    if (cp.p.label) shift.label = cp.p.label;
    out.push(shift);
  }
  return out;
}

/** Removes [cutFrom, cutTo) from each shift that `applies`. */
function cut(shifts: Shift[], cutFrom: number, cutTo: number, applies: (s: Shift) => boolean): Shift[] {
  const out: Shift[] = [];
  for (const s of shifts) {
    if (!applies(s) || s.end <= cutFrom || s.start >= cutTo) {
      out.push(s);
      continue;
    }
    if (s.start < cutFrom) out.push({ ...s, end: cutFrom });
    if (s.end > cutTo) out.push({ ...s, start: cutTo });
  }
  return out;
}

function overrideShift(o: RotaOverride): Shift {
  const s: Shift = { teamId: o.teamId, radiologistId: o.radiologistId, role: o.role, start: Date.parse(o.from), end: Date.parse(o.to), source: `override:${o.id}` };
  if (o.urgencies) s.urgencies = o.urgencies;
  if (o.reason) s.label = o.reason;
  return s;
}

/** Resolved shifts meeting [from, to), for one team or all, sorted by start then team. */
export function shiftsBetween(rota: Rota | CompiledRota, teamId: string | undefined, from: number, to: number): Shift[] {
  const c = compiled(rota);
  let shifts: Shift[] = [];
  for (const cp of c.patterns) {
    if (teamId && cp.p.teamId !== teamId) continue;
    shifts.push(...patternShifts(c, cp, from, to));
  }
  for (const pp of c.rota.planned) {
    if (teamId && pp.teamId !== teamId) continue;
    shifts = cut(shifts, Date.parse(pp.from), Date.parse(pp.to), (s) => s.teamId === pp.teamId);
  }
  const overrides = c.rota.overrides.filter((o) => (!teamId || o.teamId === teamId) && Date.parse(o.to) > from - MAX_SHIFT_MS && Date.parse(o.from) < to);
  for (const o of overrides) {
    if (o.replaces) {
      const self = `override:${o.id}`;
      shifts = cut(shifts, Date.parse(o.from), Date.parse(o.to), (s) => s.teamId === o.teamId && s.radiologistId === o.replaces && s.source !== self);
    }
    shifts.push(overrideShift(o));
  }
  // Overrides that replace someone also cut overrides added before them; re-apply in order.
  for (const o of overrides) {
    if (!o.replaces) continue;
    const self = `override:${o.id}`;
    shifts = cut(shifts, Date.parse(o.from), Date.parse(o.to), (s) => s.teamId === o.teamId && s.radiologistId === o.replaces && s.source !== self && s.source.startsWith('override:'));
  }
  return shifts.filter((s) => s.end > from && s.start < to && s.end > s.start).sort((a, b) => a.start - b.start || a.teamId.localeCompare(b.teamId) || a.radiologistId.localeCompare(b.radiologistId));
}

export interface OnCall {
  teamId: string;
  radiologistId: string;
  role: ShiftRole;
  since: number;
  until: number;
  source: string;
  urgencies?: Urgency[];
}

function toOnCall(s: Shift): OnCall {
  const o: OnCall = { teamId: s.teamId, radiologistId: s.radiologistId, role: s.role, since: s.start, until: s.end, source: s.source };
  if (s.urgencies) o.urgencies = s.urgencies;
  return o;
}

/** Who is on call for `teamId` at `instant` (primary before backup, then by id; one entry per radiologist and role). */
export function onCall(rota: Rota | CompiledRota, teamId: string, instant: number): OnCall[] {
  return dedupe(shiftsBetween(rota, teamId, instant, instant + 1).filter((s) => s.start <= instant && instant < s.end).map(toOnCall));
}

function dedupe(list: OnCall[]): OnCall[] {
  const byKey = new Map<string, OnCall>();
  for (const o of list) {
    const k = `${o.teamId}|${o.radiologistId}|${o.role}`;
    const prev = byKey.get(k);
    if (!prev) byKey.set(k, o);
    else byKey.set(k, { ...prev, since: Math.min(prev.since, o.since), until: Math.max(prev.until, o.until) });
  }
  return [...byKey.values()].sort((a, b) => (a.role === b.role ? 0 : a.role === 'primary' ? -1 : 1) || a.teamId.localeCompare(b.teamId) || a.radiologistId.localeCompare(b.radiologistId));
}

/**
 * The next instant after `instant` (within `horizonMs`) at which who is on call for `teamId`
 * changes, with who is on call from then; undefined when nothing changes within the horizon
 * (e.g. one radiologist on call around the clock).
 */
export function nextOnCallChange(rota: Rota | CompiledRota, teamId: string, instant: number, horizonMs = 14 * 86_400_000): { at: number; onCall: OnCall[] } | undefined {
  const end = instant + horizonMs;
  const shifts = shiftsBetween(rota, teamId, instant, end);
  const at = (t: number) => dedupe(shifts.filter((s) => s.start <= t && t < s.end).map(toOnCall));
  const signature = (list: OnCall[]) => list.map((o) => `${o.radiologistId}|${o.role}`).join(',');
  const current = signature(at(instant));
  const boundaries = [...new Set(shifts.flatMap((s) => [s.start, s.end]))].filter((x) => x > instant && x < end).sort((a, b) => a - b);
  for (const b of boundaries) {
    const list = at(b);
    if (signature(list) !== current) return { at: b, onCall: list };
  }
  return undefined;
}

/** Whether `instant` falls in the night/week-end/holiday permanence of `zone` (18:00–08:00, non-working days). */
export function isPermanence(c: CompiledRota, zone: string, instant: number, region: HolidayRegion = regionForZone(zone)): boolean {
  const z = c.zones.get(zone);
  const f = z.fields(instant);
  if (f.hour >= 18 || f.hour < 8) return true;
  return !c.holidays.isWorkingDay(z.localDate(instant), region);
}

/**
 * Cached on-call view for the engine: resolves every team's shifts over a window and answers
 * `at(t)` from it, recomputing when t leaves the window. `nextChange(t)` is the next shift start
 * or end after t (within the window horizon), used to trigger rebalancing at shift changes.
 */
export class OnCallIndex {
  #from = 0;
  #to = -1;
  #shifts: Shift[] = [];
  constructor(readonly rota: CompiledRota, private readonly windowMs = 2 * 86_400_000) {}

  #ensure(t: number): void {
    if (t >= this.#from && t < this.#to - 1) return;
    this.#from = t - 3_600_000;
    this.#to = t + this.windowMs;
    this.#shifts = shiftsBetween(this.rota, undefined, this.#from, this.#to);
  }

  at(t: number, teamId?: string): OnCall[] {
    this.#ensure(t);
    return dedupe(this.#shifts.filter((s) => s.start <= t && t < s.end && (!teamId || s.teamId === teamId)).map(toOnCall));
  }

  nextChange(t: number): number | undefined {
    this.#ensure(t);
    let next: number | undefined;
    for (const s of this.#shifts) {
      for (const x of [s.start, s.end]) if (x > t && (next === undefined || x < next)) next = x;
    }
    return next ?? this.#to - 1;
  }
}

/** A swap: B covers A's interval and A covers B's (two overrides with `replaces`). */
export function swapOverrides(body: SwapBody, ids: [string, string], role: ShiftRole = 'primary'): RotaOverride[] {
  const reason = body.reason ?? 'swap';
  return [
    { id: ids[0], teamId: body.teamId, radiologistId: body.b.radiologistId, role, from: body.a.from, to: body.a.to, replaces: body.a.radiologistId, reason },
    { id: ids[1], teamId: body.teamId, radiologistId: body.a.radiologistId, role, from: body.b.from, to: body.b.to, replaces: body.b.radiologistId, reason },
  ];
}

export { RotaZoneError };
