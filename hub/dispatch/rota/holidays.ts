/**
 * French public holidays, computed (no table to keep up to date): the eleven national ones
 * (Code du travail L3133-1, Easter-based included), Alsace-Moselle's Good Friday and
 * St Stephen's day, and the overseas departments' abolition-of-slavery days (décret 83-1003),
 * plus Good Friday in Guadeloupe and Martinique where it is a non-working day by custom.
 * Checked against the date-holidays package for 2000–2060 in holidays.test.ts.
 * Contract: pure; dates are local 'YYYY-MM-DD' in the calendar of the region.
 */
import type { ExtraHoliday, HolidayRegion } from '../../../protocol/dispatch.ts';
import { addDays, weekdayOf, ymd } from './zone.ts';

/** Easter Sunday of a Gregorian year (anonymous Gregorian algorithm, Meeus/Jones/Butcher). */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return ymd(year, month, day);
}

export interface Holiday {
  date: string;
  fr: string;
  en: string;
}

const ABOLITION: Partial<Record<HolidayRegion, string>> = {
  'FR-YT': '04-27',
  'FR-MQ': '05-22',
  'FR-GP': '05-27',
  'FR-GF': '06-10',
  'FR-RE': '12-20',
};

export function frenchHolidays(year: number, region: HolidayRegion): Holiday[] {
  const easter = easterSunday(year);
  const fixed = (md: string, fr: string, en: string): Holiday => ({ date: `${year}-${md}`, fr, en });
  const list: Holiday[] = [
    fixed('01-01', "Jour de l'an", "New Year's Day"),
    { date: addDays(easter, 1), fr: 'Lundi de Pâques', en: 'Easter Monday' },
    fixed('05-01', 'Fête du travail', 'Labour Day'),
    fixed('05-08', 'Victoire 1945', 'Victory in Europe Day'),
    { date: addDays(easter, 39), fr: 'Ascension', en: 'Ascension Day' },
    { date: addDays(easter, 50), fr: 'Lundi de Pentecôte', en: 'Whit Monday' },
    fixed('07-14', 'Fête nationale', 'Bastille Day'),
    fixed('08-15', 'Assomption', 'Assumption Day'),
    fixed('11-01', 'Toussaint', "All Saints' Day"),
    fixed('11-11', 'Armistice 1918', 'Armistice Day'),
    fixed('12-25', 'Noël', 'Christmas Day'),
  ];
  if (region === 'FR-AM' || region === 'FR-GP' || region === 'FR-MQ') {
    list.push({ date: addDays(easter, -2), fr: 'Vendredi saint', en: 'Good Friday' });
  }
  if (region === 'FR-AM') list.push(fixed('12-26', 'Saint-Étienne', "St Stephen's Day"));
  const abolition = ABOLITION[region];
  if (abolition) list.push(fixed(abolition, "Abolition de l'esclavage", 'Abolition of slavery'));
  return list.sort((x, y) => x.date.localeCompare(y.date));
}

const ZONE_REGION: Record<string, HolidayRegion> = {
  'Europe/Paris': 'FR-MET',
  'America/Martinique': 'FR-MQ',
  'America/Guadeloupe': 'FR-GP',
  'America/Cayenne': 'FR-GF',
  'Indian/Reunion': 'FR-RE',
  'Indian/Mayotte': 'FR-YT',
};

/** The holiday calendar used by default in a zone (metropolitan France elsewhere). */
export function regionForZone(zone: string): HolidayRegion {
  return ZONE_REGION[zone] ?? 'FR-MET';
}

/** Holiday look-ups with a per-instance cache by year and region. */
export class HolidayCalendar {
  readonly #cache = new Map<string, Map<string, Holiday>>();
  constructor(private readonly extra: readonly ExtraHoliday[] = []) {}

  #year(year: number, region: HolidayRegion): Map<string, Holiday> {
    const key = `${year}:${region}`;
    let m = this.#cache.get(key);
    if (!m) {
      m = new Map(frenchHolidays(year, region).map((h) => [h.date, h]));
      for (const x of this.extra) {
        if (x.date.startsWith(`${year}-`) && (!x.region || x.region === region)) m.set(x.date, { date: x.date, fr: x.label, en: x.label });
      }
      this.#cache.set(key, m);
    }
    return m;
  }

  holiday(date: string, region: HolidayRegion): Holiday | undefined {
    return this.#year(Number(date.slice(0, 4)), region).get(date);
  }

  /** Monday to Friday and not a public holiday. */
  isWorkingDay(date: string, region: HolidayRegion): boolean {
    return weekdayOf(date) <= 5 && !this.holiday(date, region);
  }

  nextWorkingDay(date: string, region: HolidayRegion): string {
    let d = addDays(date, 1);
    while (!this.isWorkingDay(d, region)) d = addDays(d, 1);
    return d;
  }
}
