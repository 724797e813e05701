import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRota, onCall, shiftsBetween } from './rota.ts';
import { parisLikeRota } from './fixtures.test-helpers.ts';
import { shiftsToCsv, csvToPublished } from './csv.ts';
import { shiftsToIcal, icalToPublished } from './ical.ts';
import { applyPublished, RotaImportError } from './published.ts';

const T = (iso: string) => Date.parse(iso);
const week = [T('2026-03-23T00:00:00Z'), T('2026-03-30T12:00:00Z')] as const; // contains the spring-forward night

test('CSV export → import round-trips the resolved shifts (DST week), and the import replaces the patterns', () => {
  const rota = parisLikeRota();
  const shifts = shiftsBetween(rota, 't1', ...week);
  const csv = shiftsToCsv(rota, shifts, ';');
  assert.match(csv.split('\r\n')[0]!, /^team_id;radiologist_id;rpps/);
  assert.match(csv, /;2026-03-28 18:00;2026-03-29 08:00;/); // local times for people
  const published = csvToPublished({ ...rota, patterns: [] }, csv, { teamId: 't1', from: week[0], to: week[1] });
  const imported = compileRota(applyPublished({ ...rota, patterns: [] }, published));
  for (let t = week[0]; t < week[1]; t += 37 * 60_000) {
    assert.deepEqual(onCall(imported, 't1', t).map((o) => `${o.radiologistId}/${o.role}`), onCall(rota, 't1', t).map((o) => `${o.radiologistId}/${o.role}`), new Date(t).toISOString());
  }
  // Patterns are ignored inside the published period, kept outside it.
  const swapped = csv.replace(/^t1;a;[0-9]+;Dr A;/gm, `t1;c;${rota.radiologists[2]!.rpps};Dr C;`); // a's nights are now c's
  const withPatterns = compileRota(applyPublished(rota, csvToPublished(rota, swapped, { teamId: 't1', from: week[0], to: week[1] })));
  assert.deepEqual(onCall(withPatterns, 't1', T('2026-03-29T00:30:00Z')).filter((o) => o.role === 'primary').map((o) => o.radiologistId), ['c']);
  assert.deepEqual(onCall(withPatterns, 't1', T('2026-04-01T00:30:00Z')).filter((o) => o.role === 'primary').map((o) => o.radiologistId), ['a']);
});

test('CSV import with local times in the team zone, rpps instead of id; bad rows are all reported', () => {
  const rota = parisLikeRota();
  const csv = `\ufeffradiologist_id,rpps,role,start,end\n,${rota.radiologists[1]!.rpps},primary,2026-03-28 18:00,2026-03-29 08:00\n`;
  const p = csvToPublished(rota, csv, { teamId: 't1' });
  assert.equal(p.shifts[0]!.radiologistId, 'b');
  assert.equal(new Date(p.shifts[0]!.end).toISOString(), '2026-03-29T06:00:00.000Z');
  assert.throws(() => csvToPublished(rota, 'radiologist_id,start,end,role\nzz,2026-03-28 18:00,2026-03-28 17:00,chief\na,yesterday,2026-03-29 08:00,\n', { teamId: 't1' }), (e: unknown) => {
    assert.ok(e instanceof RotaImportError, 'import error');
    assert.deepEqual(e.problems, ['line 2: unknown radiologist zz', 'line 2: start must be before end', 'line 2: role must be primary or backup', 'line 3: start and end must be ISO instants or local "YYYY-MM-DD HH:MM"']);
    return true;
  });
});

test('iCalendar export → import round-trips; RRULE with a TZID keeps 18:00 local across the DST change', () => {
  const rota = parisLikeRota();
  rota.radiologists[0]!.channels.email = 'a@example.org';
  const shifts = shiftsBetween(rota, 't1', ...week);
  const ics = shiftsToIcal(rota, shifts, T('2026-03-01T00:00:00Z'));
  assert.match(ics, /^BEGIN:VCALENDAR\r\n/);
  assert.ok(ics.split('\r\n').every((l) => Buffer.byteLength(l) <= 75 + 2), 'folded lines');
  const back = icalToPublished({ ...rota, patterns: [] }, ics, { teamId: 't1', from: week[0], to: week[1] });
  assert.equal(back.shifts.length, shifts.length);
  const recurring = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', 'BEGIN:VEVENT', 'UID:nights@test', 'DTSTAMP:20260301T000000Z',
    'DTSTART;TZID=Europe/Paris:20260327T180000', 'DTEND;TZID=Europe/Paris:20260328T080000', 'RRULE:FREQ=DAILY;COUNT=4',
    'ATTENDEE;CN=Dr A:mailto:a@example.org', 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
  const p = icalToPublished(rota, recurring, { teamId: 't1', from: week[0], to: week[1] });
  assert.deepEqual(p.shifts.map((s) => new Date(s.start).toISOString()), ['2026-03-27T17:00:00.000Z', '2026-03-28T17:00:00.000Z', '2026-03-29T16:00:00.000Z']); // the 4th starts after the window
  assert.equal((p.shifts[1]!.end - p.shifts[1]!.start) / 3_600_000, 13);
  assert.throws(() => icalToPublished(rota, recurring.replace('Europe/Paris', 'Europe/Atlantis').replace('Europe/Paris', 'Europe/Atlantis'), { teamId: 't1', from: week[0], to: week[1] }), /unknown TZID Europe\/Atlantis/);
});
