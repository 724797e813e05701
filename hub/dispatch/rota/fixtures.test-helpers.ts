/** Small rota builders shared by the rota and routing unit tests. */
import type { Rota, Radiologist, ShiftPattern } from '../../../protocol/dispatch.ts';
import { DEFAULT_DISPATCH_POLICY } from '../../../protocol/dispatch.ts';

export function rad(id: string, specialties: string[] = ['general'], maxOpenCases = 3): Radiologist {
  return { id, displayName: `Dr ${id.toUpperCase()}`, rpps: ('1' + [...id].map((ch) => ch.charCodeAt(0)).join('')).padEnd(11, '0').slice(0, 11), specialties, channels: {}, maxOpenCases };
}

export function pattern(id: string, teamId: string, radiologistId: string, zone: string, start: string, end: string, extra: Partial<ShiftPattern> = {}): ShiftPattern {
  return { id, teamId, radiologistId, role: 'primary', zone, start, end, ...extra };
}

export function emptyRota(): Rota {
  return { radiologists: [], teams: [], sites: [], agreements: [], rules: [], operators: [], patterns: [], overrides: [], planned: [], extraHolidays: [], policy: DEFAULT_DISPATCH_POLICY };
}

/** One team in `zone`: night (A), working-day (B) and non-working-day (C) shifts, D as backup at night. */
export function parisLikeRota(zone = 'Europe/Paris'): Rota {
  const r = emptyRota();
  r.radiologists.push(rad('a'), rad('b'), rad('c'), rad('d'));
  r.teams.push({ id: 't1', name: 'Team 1', zone, members: ['a', 'b', 'c', 'd'], lead: 'b', backupOrder: ['d'] });
  r.patterns.push(
    pattern('night', 't1', 'a', zone, '0 18 * * *', '0 8 * * *'),
    pattern('day', 't1', 'b', zone, '0 8 * * *', '0 18 * * *', { dayType: 'working' }),
    pattern('weekend', 't1', 'c', zone, '0 8 * * *', '0 18 * * *', { dayType: 'non-working' }),
    pattern('night-backup', 't1', 'd', zone, '0 18 * * *', '0 8 * * *', { role: 'backup' }),
  );
  return r;
}
