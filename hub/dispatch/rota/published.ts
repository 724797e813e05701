/**
 * A published rota for one team and period (from a CSV or iCalendar file): it replaces the
 * team's patterns over the period by the listed shifts. Re-importing the same period replaces
 * the earlier import. Pure.
 */
import type { PlannedPeriod, Rota, RotaOverride, ShiftRole } from '../../../protocol/dispatch.ts';
import type { Urgency } from '../../../protocol/common.ts';

export interface PublishedShift {
  radiologistId: string;
  role: ShiftRole;
  start: number;
  end: number;
  urgencies?: Urgency[];
}

export interface PublishedRota {
  teamId: string;
  from: number;
  to: number;
  shifts: PublishedShift[];
  source: string;
}

export class RotaImportError extends Error {
  readonly code = 'RELAIS_ROTA_INVALID';
  constructor(readonly problems: string[]) {
    super(`rota file refused: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5})` : ''}`);
    this.name = 'RotaImportError';
  }
}

export function applyPublished(rota: Rota, p: PublishedRota): Rota {
  const tag = `imp-${p.teamId}-${p.from.toString(36)}`;
  const inside = (from: string, to: string) => Date.parse(from) >= p.from && Date.parse(to) <= p.to;
  const overrides = rota.overrides.filter((o) => !(o.teamId === p.teamId && o.id.startsWith('imp-') && inside(o.from, o.to)));
  const planned = rota.planned.filter((pp) => !(pp.teamId === p.teamId && inside(pp.from, pp.to)));
  const period: PlannedPeriod = { id: tag, teamId: p.teamId, from: new Date(p.from).toISOString(), to: new Date(p.to).toISOString(), source: p.source.slice(0, 120) };
  const added: RotaOverride[] = p.shifts.map((s, i) => ({
    id: `${tag}-${i + 1}`,
    teamId: p.teamId,
    radiologistId: s.radiologistId,
    role: s.role,
    from: new Date(Math.max(s.start, p.from)).toISOString(),
    to: new Date(Math.min(s.end, p.to)).toISOString(),
    reason: p.source.slice(0, 200),
    ...(s.urgencies ? { urgencies: s.urgencies } : {}),
  })).filter((o) => o.from < o.to);
  return { ...rota, planned: [...planned, period], overrides: [...overrides, ...added] };
}
