/**
 * Rota shifts as iCalendar (RFC 5545) through ical.js (Mozilla's parser/serialiser: line
 * folding, escaping, RRULE expansion — the parts not worth writing by hand).
 * Export: one VEVENT per shift, UTC times, X-RELAIS-TEAM / -RADIOLOGIST / -ROLE / -RPPS, and the
 * radiologist as ATTENDEE when an e-mail is known — subscribable from any calendar.
 * Import: VEVENTs (recurring ones expanded within the window) give shifts; the radiologist is
 * found by X-RELAIS-RADIOLOGIST, X-RELAIS-RPPS or ATTENDEE e-mail; a TZID naming an IANA zone
 * is honoured (wall time kept across DST), floating times are in the team's zone.
 */
import ICAL from 'ical.js';
import type { Rota, ShiftRole } from '../../../protocol/dispatch.ts';
import type { Shift } from './rota.ts';
import { Zones } from './zone.ts';
import { RotaImportError, type PublishedRota, type PublishedShift } from './published.ts';
import type { ImportWindow } from './csv.ts';

const utc = (ms: number) => ICAL.Time.fromJSDate(new Date(ms), true);

export function shiftsToIcal(rota: Rota, shifts: readonly Shift[], stampMs: number, lang: 'fr' | 'en' = 'fr'): string {
  const rads = new Map(rota.radiologists.map((r) => [r.id, r]));
  const teams = new Map(rota.teams.map((t) => [t.id, t]));
  const cal = new ICAL.Component(['vcalendar', [], []]);
  cal.updatePropertyWithValue('prodid', '-//Relais//Dispatch rota//FR');
  cal.updatePropertyWithValue('version', '2.0');
  cal.updatePropertyWithValue('calscale', 'GREGORIAN');
  for (const s of shifts) {
    const r = rads.get(s.radiologistId);
    const team = teams.get(s.teamId)?.name ?? s.teamId;
    const v = new ICAL.Component('vevent');
    const ev = new ICAL.Event(v);
    ev.uid = `${s.source}-${s.radiologistId}-${s.start}@relais`;
    const role = s.role === 'primary' ? (lang === 'fr' ? 'astreinte' : 'on call') : lang === 'fr' ? 'back-up' : 'back-up';
    ev.summary = `${team} — ${r?.displayName ?? s.radiologistId} (${role})`;
    ev.startDate = utc(s.start);
    ev.endDate = utc(s.end);
    v.updatePropertyWithValue('dtstamp', utc(stampMs));
    v.addPropertyWithValue('x-relais-team', s.teamId);
    v.addPropertyWithValue('x-relais-radiologist', s.radiologistId);
    v.addPropertyWithValue('x-relais-role', s.role);
    if (r) v.addPropertyWithValue('x-relais-rpps', r.rpps);
    if (r?.channels.email) {
      const a = v.addPropertyWithValue('attendee', `mailto:${r.channels.email}`);
      a.setParameter('cn', r.displayName);
    }
    cal.addSubcomponent(v);
  }
  return cal.toString().replace(/\r?\n/g, '\r\n') + '\r\n';
}

function instantOf(zones: Zones, t: ICAL.Time, tzid: string | undefined, teamZone: string): number {
  if (t.zone === ICAL.Timezone.utcTimezone) return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  let zone = teamZone;
  if (tzid) {
    try {
      zones.get(tzid);
      zone = tzid;
    } catch {
      throw new RotaImportError([`unknown TZID ${tzid} (use an IANA zone name such as Europe/Paris)`]);
    }
  }
  return zones.get(zone).toInstant(t.year, t.month, t.day, t.isDate ? 0 : t.hour, t.isDate ? 0 : t.minute, t.isDate ? 0 : t.second);
}

export function icalToPublished(rota: Rota, text: string, w: ImportWindow & { from: number; to: number }): PublishedRota {
  const team = rota.teams.find((t) => t.id === w.teamId);
  if (!team) throw new RotaImportError([`unknown team ${w.teamId}`]);
  let cal: ICAL.Component;
  try {
    cal = new ICAL.Component(ICAL.parse(text));
  } catch (err) {
    throw new RotaImportError([`not readable as iCalendar: ${(err as Error).message}`]);
  }
  const zones = new Zones();
  const byRpps = new Map(rota.radiologists.map((r) => [r.rpps, r.id]));
  const byEmail = new Map(rota.radiologists.filter((r) => r.channels.email).map((r) => [r.channels.email!.toLowerCase(), r.id]));
  const ids = new Set(rota.radiologists.map((r) => r.id));
  const problems: string[] = [];
  const shifts: PublishedShift[] = [];
  for (const v of cal.getAllSubcomponents('vevent')) {
    const ev = new ICAL.Event(v);
    const label = ev.uid || ev.summary || '(no UID)';
    const teamProp = v.getFirstPropertyValue('x-relais-team');
    if (teamProp && String(teamProp) !== w.teamId) continue;
    const rid = String(v.getFirstPropertyValue('x-relais-radiologist') ?? '');
    const rpps = String(v.getFirstPropertyValue('x-relais-rpps') ?? '');
    const emails = ev.attendees.map((a) => String(a.getFirstValue()).replace(/^mailto:/i, '').toLowerCase());
    const radiologistId = ids.has(rid) ? rid : byRpps.get(rpps) ?? emails.map((e) => byEmail.get(e)).find(Boolean);
    if (!radiologistId) {
      problems.push(`event ${label}: no known radiologist (X-RELAIS-RADIOLOGIST, X-RELAIS-RPPS or ATTENDEE e-mail)`);
      continue;
    }
    const roleText = String(v.getFirstPropertyValue('x-relais-role') ?? 'primary').toLowerCase();
    const role: ShiftRole = roleText === 'backup' ? 'backup' : 'primary';
    const tzParam = v.getFirstProperty('dtstart')?.getParameter('tzid');
    const tzid = typeof tzParam === 'string' ? tzParam : undefined;
    if (!ev.startDate || !ev.endDate) {
      problems.push(`event ${label}: DTSTART and DTEND (or DURATION) are required`);
      continue;
    }
    try {
      if (ev.isRecurring()) {
        const it = ev.iterator();
        for (let n = it.next(), guard = 0; n && guard < 5000; n = it.next(), guard++) {
          const d = ev.getOccurrenceDetails(n);
          const start = instantOf(zones, d.startDate, tzid, team.zone);
          if (start >= w.to) break;
          const end = instantOf(zones, d.endDate, tzid, team.zone);
          if (end > w.from) shifts.push({ radiologistId, role, start, end });
        }
      } else {
        const start = instantOf(zones, ev.startDate, tzid, team.zone);
        const end = instantOf(zones, ev.endDate, tzid, team.zone);
        if (!(start < end)) problems.push(`event ${label}: DTSTART must be before DTEND`);
        else if (end > w.from && start < w.to) shifts.push({ radiologistId, role, start, end });
      }
    } catch (err) {
      problems.push(`event ${label}: ${err instanceof RotaImportError ? err.problems.join('; ') : (err as Error).message}`);
    }
  }
  if (problems.length) throw new RotaImportError(problems);
  return { teamId: w.teamId, from: w.from, to: w.to, shifts, source: 'iCalendar import' };
}
