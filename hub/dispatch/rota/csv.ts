/**
 * Rota shifts as CSV (csv-parse / csv-stringify: RFC 4180 quoting, BOM, `,` or `;` as
 * spreadsheets in France write it). One row per shift:
 * `team_id,radiologist_id,rpps,radiologist_name,role,start,end,zone,start_local,end_local,urgencies,source`.
 * Export: `start`/`end` are UTC instants; `*_local` are the same in the team's zone, for people.
 * Import: a radiologist by `radiologist_id` or `rpps`; times as ISO instants with an offset, or
 * as local `YYYY-MM-DD HH:MM` in `zone` (default: the team's); role defaults to primary.
 * Every bad row is reported with its line number; nothing is applied if one is bad.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { Rota, ShiftRole } from '../../../protocol/dispatch.ts';
import type { Urgency } from '../../../protocol/common.ts';
import type { Shift } from './rota.ts';
import { Zones } from './zone.ts';
import { RotaImportError, type PublishedRota, type PublishedShift } from './published.ts';

export const CSV_COLUMNS = ['team_id', 'radiologist_id', 'rpps', 'radiologist_name', 'role', 'start', 'end', 'zone', 'start_local', 'end_local', 'urgencies', 'source'] as const;

function localText(zones: Zones, zone: string, t: number): string {
  const f = zones.get(zone).fields(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${f.year}-${p(f.month)}-${p(f.day)} ${p(f.hour)}:${p(f.minute)}`;
}

export function shiftsToCsv(rota: Rota, shifts: readonly Shift[], delimiter: ',' | ';' = ','): string {
  const zones = new Zones();
  const rads = new Map(rota.radiologists.map((r) => [r.id, r]));
  const teams = new Map(rota.teams.map((t) => [t.id, t]));
  const rows = shifts.map((s) => {
    const zone = teams.get(s.teamId)?.zone ?? 'UTC';
    const r = rads.get(s.radiologistId);
    return [s.teamId, s.radiologistId, r?.rpps ?? '', r?.displayName ?? '', s.role, new Date(s.start).toISOString(), new Date(s.end).toISOString(), zone, localText(zones, zone, s.start), localText(zones, zone, s.end), (s.urgencies ?? []).join(' '), s.source];
  });
  return stringify([[...CSV_COLUMNS], ...rows], { delimiter, record_delimiter: '\r\n' });
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function parseTime(zones: Zones, value: string, zone: string): number | undefined {
  const v = value.trim();
  if (INSTANT.test(v)) return Date.parse(v);
  const m = LOCAL.exec(v);
  if (!m) return undefined;
  return zones.get(zone).toInstant(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
}

export interface ImportWindow {
  teamId: string;
  from?: number;
  to?: number;
}

export function csvToPublished(rota: Rota, text: string, w: ImportWindow): PublishedRota {
  const team = rota.teams.find((t) => t.id === w.teamId);
  if (!team) throw new RotaImportError([`unknown team ${w.teamId}`]);
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: (h: string[]) => h.map((x) => x.trim().toLowerCase()), delimiter: [',', ';'], bom: true, skip_empty_lines: true, trim: true, relax_column_count: true });
  } catch (err) {
    throw new RotaImportError([`not readable as CSV: ${(err as Error).message}`]);
  }
  const zones = new Zones();
  const byRpps = new Map(rota.radiologists.map((r) => [r.rpps, r.id]));
  const ids = new Set(rota.radiologists.map((r) => r.id));
  const problems: string[] = [];
  const shifts: PublishedShift[] = [];
  records.forEach((row, i) => {
    const line = i + 2;
    if (row.team_id && row.team_id !== w.teamId) return; // other teams' rows in a shared file
    const radiologistId = row.radiologist_id && ids.has(row.radiologist_id) ? row.radiologist_id : row.rpps ? byRpps.get(row.rpps) : undefined;
    if (!radiologistId) problems.push(`line ${line}: unknown radiologist ${row.radiologist_id || row.rpps || '(empty)'}`);
    const zone = row.zone || team.zone;
    let start: number | undefined;
    let end: number | undefined;
    try {
      start = parseTime(zones, row.start ?? row.start_local ?? '', zone);
      end = parseTime(zones, row.end ?? row.end_local ?? '', zone);
    } catch {
      problems.push(`line ${line}: unknown time zone ${zone}`);
      return;
    }
    if (start === undefined || end === undefined) problems.push(`line ${line}: start and end must be ISO instants or local "YYYY-MM-DD HH:MM"`);
    else if (!(start < end)) problems.push(`line ${line}: start must be before end`);
    const role = (row.role || 'primary').toLowerCase();
    if (role !== 'primary' && role !== 'backup') problems.push(`line ${line}: role must be primary or backup`);
    const urgencies = (row.urgencies ?? '').split(/[\s|]+/).filter(Boolean);
    if (urgencies.some((u) => !['emergency', 'scheduled', 'deferred'].includes(u))) problems.push(`line ${line}: unknown urgency in "${row.urgencies}"`);
    if (radiologistId && start !== undefined && end !== undefined && start < end) {
      shifts.push({ radiologistId, role: role as ShiftRole, start, end, ...(urgencies.length ? { urgencies: urgencies as Urgency[] } : {}) });
    }
  });
  if (problems.length) throw new RotaImportError(problems);
  if (shifts.length === 0 && (w.from === undefined || w.to === undefined)) throw new RotaImportError(['no shift for this team in the file']);
  const from = w.from ?? Math.min(...shifts.map((s) => s.start));
  const to = w.to ?? Math.max(...shifts.map((s) => s.end));
  return { teamId: w.teamId, from, to, shifts, source: 'CSV import' };
}
