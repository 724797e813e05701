/**
 * Wall-clock arithmetic in IANA zones, on the platform's Intl time-zone data (no library:
 * the two operations needed — instant → local fields, local midnight → instant — are a few
 * lines over Intl.DateTimeFormat; croner does the recurring patterns).
 * Contract: instants are epoch milliseconds (UTC); local dates are 'YYYY-MM-DD'; weekday 1 = Monday.
 * `assertZone` throws RotaZoneError for a name the runtime does not know (no silent UTC fallback).
 */

export class RotaZoneError extends Error {
  constructor(readonly zone: string) {
    super(`unknown IANA time zone: ${zone}`);
    this.name = 'RotaZoneError';
  }
}

export interface LocalFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

export class ZoneFormatter {
  readonly #fmt: Intl.DateTimeFormat;
  constructor(readonly zone: string) {
    try {
      this.#fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric', month: 'numeric', day: 'numeric',
        hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short',
      });
    } catch {
      throw new RotaZoneError(zone);
    }
  }

  fields(instant: number): LocalFields {
    const out: Record<string, string> = {};
    for (const p of this.#fmt.formatToParts(new Date(instant))) out[p.type] = p.value;
    return {
      year: Number(out.year), month: Number(out.month), day: Number(out.day),
      hour: Number(out.hour), minute: Number(out.minute), second: Number(out.second),
      weekday: WEEKDAYS[out.weekday ?? ''] ?? 0,
    };
  }

  /** UTC offset of this zone at `instant`, in ms (local − UTC). */
  offsetMs(instant: number): number {
    const f = this.fields(instant);
    const asUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
    return asUtc - Math.floor(instant / 1000) * 1000;
  }

  localDate(instant: number): string {
    const f = this.fields(instant);
    return ymd(f.year, f.month, f.day);
  }

  /**
   * The instant of a local wall time. A time that does not exist (spring-forward gap) maps to
   * the instant just after the gap at the same distance from the transition; an ambiguous time
   * (fall-back) maps to its first occurrence.
   */
  toInstant(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
    const wall = Date.UTC(year, month - 1, day, hour, minute, second);
    const offBefore = this.offsetMs(wall - 86_400_000);
    const offAfter = this.offsetMs(wall + 86_400_000);
    const valid = [wall - offBefore, wall - offAfter].filter((c) => c + this.offsetMs(c) === wall);
    if (valid.length > 0) return Math.min(...valid);
    return wall - offBefore;
  }

  /** First instant of the local day after the one containing `instant`. */
  startOfNextDay(instant: number): number {
    const d = addDays(this.localDate(instant), 1);
    const [y, m, dd] = parseYmd(d);
    return this.toInstant(y, m, dd);
  }

  startOfDay(date: string): number {
    const [y, m, d] = parseYmd(date);
    return this.toInstant(y, m, d);
  }
}

/** Cache of formatters by zone; one per caller (no module singleton). */
export class Zones {
  readonly #byName = new Map<string, ZoneFormatter>();
  get(zone: string): ZoneFormatter {
    let f = this.#byName.get(zone);
    if (!f) {
      f = new ZoneFormatter(zone);
      this.#byName.set(zone, f);
    }
    return f;
  }
}

export function assertZone(zone: string): void {
  new ZoneFormatter(zone);
}

export function ymd(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export function parseYmd(date: string): [number, number, number] {
  const [y, m, d] = date.split('-').map(Number);
  return [y!, m!, d!];
}

export function addDays(date: string, n: number): string {
  const [y, m, d] = parseYmd(date);
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return ymd(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

/** ISO weekday (1 = Monday) of a local date. */
export function weekdayOf(date: string): number {
  const [y, m, d] = parseYmd(date);
  const w = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return w === 0 ? 7 : w;
}

/** Whole days from `a` to `b` (local dates). */
export function daysBetween(a: string, b: string): number {
  const [y1, m1, d1] = parseYmd(a);
  const [y2, m2, d2] = parseYmd(b);
  return Math.round((Date.UTC(y2, m2 - 1, d2) - Date.UTC(y1, m1 - 1, d1)) / 86_400_000);
}
