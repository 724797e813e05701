import { test } from 'node:test';
import assert from 'node:assert/strict';
import Holidays from 'date-holidays';
import { easterSunday, frenchHolidays, HolidayCalendar, regionForZone } from './holidays.ts';
import type { HolidayRegion } from '../../../protocol/dispatch.ts';

test('Easter Sunday matches known dates', () => {
  assert.equal(easterSunday(2024), '2024-03-31');
  assert.equal(easterSunday(2025), '2025-04-20');
  assert.equal(easterSunday(2026), '2026-04-05');
  assert.equal(easterSunday(2038), '2038-04-25'); // latest possible
  assert.equal(easterSunday(2285), '2285-03-22'); // earliest possible
});

test('2026 metropolitan holidays include the Easter-based ones', () => {
  const dates = frenchHolidays(2026, 'FR-MET').map((h) => h.date);
  assert.deepEqual(dates, ['2026-01-01', '2026-04-06', '2026-05-01', '2026-05-08', '2026-05-14', '2026-05-25', '2026-07-14', '2026-08-15', '2026-11-01', '2026-11-11', '2026-12-25']);
});

test('overseas zones get their abolition day by default', () => {
  const cal = new HolidayCalendar();
  assert.ok(cal.holiday('2026-05-22', regionForZone('America/Martinique')));
  assert.ok(cal.holiday('2026-05-27', regionForZone('America/Guadeloupe')));
  assert.ok(cal.holiday('2026-06-10', regionForZone('America/Cayenne')));
  assert.ok(cal.holiday('2026-12-20', regionForZone('Indian/Reunion')));
  assert.equal(cal.holiday('2026-12-20', 'FR-MET'), undefined);
  assert.equal(cal.isWorkingDay('2026-05-14', 'FR-MET'), false); // Ascension, a Thursday
  assert.equal(cal.nextWorkingDay('2026-05-13', 'FR-MET'), '2026-05-15');
  assert.equal(cal.nextWorkingDay('2026-12-24', 'FR-MET'), '2026-12-28');
});

test('agrees with the date-holidays package (public holidays), 2000–2060, every region', () => {
  const regions: Array<[HolidayRegion, string | undefined]> = [['FR-MET', undefined], ['FR-GP', 'GP'], ['FR-MQ', 'MQ'], ['FR-GF', 'GF'], ['FR-RE', 'RE'], ['FR-YT', 'YT'], ['FR-AM', '57']];
  for (const [region, state] of regions) {
    const hd = state ? new Holidays('FR', state) : new Holidays('FR');
    for (let year = 2000; year <= 2060; year++) {
      const theirs = hd.getHolidays(year).filter((h) => h.type === 'public').map((h) => h.date.slice(0, 10));
      const ours = frenchHolidays(year, region).map((h) => h.date);
      assert.deepEqual([...new Set(ours)].sort(), [...new Set(theirs)].sort(), `${region} ${year}`);
    }
  }
});
