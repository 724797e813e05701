import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRota, onCall, shiftsBetween, RotaInvalidError, OnCallIndex, swapOverrides, isPermanence } from './rota.ts';
import { parisLikeRota, pattern } from './fixtures.test-helpers.ts';

const T = (iso: string) => Date.parse(iso);
const who = (rota: ReturnType<typeof compileRota>, iso: string) => onCall(rota, 't1', T(iso)).filter((o) => o.role === 'primary').map((o) => o.radiologistId);

test('Paris spring-forward day (2026-03-29): the night shift lasts 13 h and covers 02:30 local, which does not exist', () => {
  const c = compileRota(parisLikeRota());
  const night = shiftsBetween(c, 't1', T('2026-03-28T20:00:00Z'), T('2026-03-28T20:00:01Z')).find((s) => s.radiologistId === 'a')!;
  assert.equal(new Date(night.start).toISOString(), '2026-03-28T17:00:00.000Z'); // 18:00 CET
  assert.equal(new Date(night.end).toISOString(), '2026-03-29T06:00:00.000Z'); // 08:00 CEST
  assert.equal((night.end - night.start) / 3_600_000, 13);
  assert.deepEqual(who(c, '2026-03-29T00:59:59Z'), ['a']); // 01:59:59 CET
  assert.deepEqual(who(c, '2026-03-29T01:00:00Z'), ['a']); // 03:00 CEST
  assert.deepEqual(who(c, '2026-03-29T05:59:59Z'), ['a']); // 07:59:59 CEST
  assert.deepEqual(who(c, '2026-03-29T06:00:00Z'), ['c']); // 08:00 CEST, Sunday → week-end shift
  assert.deepEqual(who(c, '2026-03-30T06:00:00Z'), ['b']); // Monday 08:00 CEST
  assert.deepEqual(who(c, '2026-03-30T05:59:59Z'), ['a']);
});

test('Paris fall-back day (2026-10-25): the night shift lasts 15 h; both 02:30 are covered', () => {
  const c = compileRota(parisLikeRota());
  const night = shiftsBetween(c, 't1', T('2026-10-25T00:00:00Z'), T('2026-10-25T00:00:01Z')).find((s) => s.radiologistId === 'a')!;
  assert.equal(new Date(night.start).toISOString(), '2026-10-24T16:00:00.000Z'); // 18:00 CEST
  assert.equal(new Date(night.end).toISOString(), '2026-10-25T07:00:00.000Z'); // 08:00 CET
  assert.equal((night.end - night.start) / 3_600_000, 15);
  assert.deepEqual(who(c, '2026-10-25T00:30:00Z'), ['a']); // 02:30 CEST
  assert.deepEqual(who(c, '2026-10-25T01:30:00Z'), ['a']); // 02:30 CET
  assert.deepEqual(who(c, '2026-10-25T06:59:59Z'), ['a']);
  assert.deepEqual(who(c, '2026-10-25T07:00:00Z'), ['c']);
  assert.deepEqual(who(c, '2026-10-25T16:59:59Z'), ['c']); // 17:59:59 CET
  assert.deepEqual(who(c, '2026-10-25T17:00:00Z'), ['a']); // 18:00 CET
});

test('a 02:30 shift start still happens on the spring-forward day (at 03:00 CEST), and once on fall-back day', () => {
  const r = parisLikeRota();
  r.patterns = [pattern('early', 't1', 'a', 'Europe/Paris', '30 2 * * *', '0 6 * * *')];
  const c = compileRota(r);
  const spring = shiftsBetween(c, 't1', T('2026-03-29T00:00:00Z'), T('2026-03-29T12:00:00Z'));
  assert.equal(spring.length, 1);
  assert.equal(new Date(spring[0]!.start).toISOString(), '2026-03-29T01:00:00.000Z');
  const fall = shiftsBetween(c, 't1', T('2026-10-25T00:00:00Z'), T('2026-10-25T12:00:00Z'));
  assert.equal(fall.length, 1);
});

for (const [zone, offsetH] of [['America/Martinique', -4], ['America/Guadeloupe', -4], ['America/Cayenne', -3], ['Indian/Reunion', 4]] as const) {
  test(`${zone} has no DST: nights are 14 h on Paris's change days too`, () => {
    const c = compileRota(parisLikeRota(zone));
    for (const day of ['2026-03-28', '2026-10-24', '2026-07-10']) {
      const startUtc = T(`${day}T18:00:00Z`) - offsetH * 3_600_000;
      const night = shiftsBetween(c, 't1', startUtc, startUtc + 1).find((s) => s.radiologistId === 'a')!;
      assert.equal(night.start, startUtc, `${zone} ${day}`);
      assert.equal((night.end - night.start) / 3_600_000, 14);
    }
  });
}

test('public holidays switch the day to the non-working shift, per region', () => {
  const paris = compileRota(parisLikeRota());
  assert.deepEqual(who(paris, '2026-05-14T08:00:00Z'), ['c']); // Ascension, Thursday 10:00 CEST
  assert.deepEqual(who(paris, '2026-05-22T14:00:00Z'), ['b']); // a working Friday in Paris
  const mq = compileRota(parisLikeRota('America/Martinique'));
  assert.deepEqual(who(mq, '2026-05-22T14:00:00Z'), ['c']); // 10:00 in Martinique: abolition day
  assert.equal(isPermanence(paris, 'Europe/Paris', T('2026-05-14T08:00:00Z')), true);
  assert.equal(isPermanence(paris, 'Europe/Paris', T('2026-05-13T08:00:00Z')), false);
  assert.equal(isPermanence(paris, 'Europe/Paris', T('2026-05-13T17:00:00Z')), true); // 19:00
});

test('an invalid zone or pattern is rejected with every problem listed', () => {
  const r = parisLikeRota();
  r.teams[0]!.zone = 'Mars/Olympus';
  r.patterns.push(pattern('bad', 't1', 'a', 'Europe/Pariss', '0 18 * * *', '0 99 * * *'));
  r.patterns.push(pattern('orphan', 'nope', 'zz', 'Europe/Paris', '0 18 * * *', '0 8 * * *'));
  assert.throws(() => compileRota(r), (err: unknown) => {
    assert.ok(err instanceof RotaInvalidError, 'rota error');
    const text = err.problems.join('\n');
    assert.match(text, /team t1: unknown time zone Mars\/Olympus/);
    assert.match(text, /pattern bad: unknown time zone Europe\/Pariss/);
    assert.match(text, /pattern bad: invalid end pattern/);
    assert.match(text, /pattern orphan: unknown team nope/);
    assert.match(text, /pattern orphan: unknown radiologist zz/);
    return true;
  });
});

test('overrides, swaps and planned periods', () => {
  const r = parisLikeRota();
  // b is ill on Tuesday 2026-06-02: d covers the day shift.
  r.overrides.push({ id: 'ill', teamId: 't1', radiologistId: 'd', role: 'primary', from: '2026-06-02T06:00:00Z', to: '2026-06-02T16:00:00Z', replaces: 'b' });
  // a and c swap: c takes a's Wednesday night, a takes c's Saturday day.
  r.overrides.push(...swapOverrides({ teamId: 't1', a: { radiologistId: 'a', from: '2026-06-03T16:00:00Z', to: '2026-06-04T06:00:00Z' }, b: { radiologistId: 'c', from: '2026-06-06T06:00:00Z', to: '2026-06-06T16:00:00Z' } }, ['sw1', 'sw2']));
  // A published rota for 2026-06-10..11 where only c is on call.
  r.planned.push({ id: 'june', teamId: 't1', from: '2026-06-10T00:00:00Z', to: '2026-06-11T00:00:00Z' });
  r.overrides.push({ id: 'imp1', teamId: 't1', radiologistId: 'c', role: 'primary', from: '2026-06-10T00:00:00Z', to: '2026-06-11T00:00:00Z' });
  const c = compileRota(r);
  assert.deepEqual(who(c, '2026-06-02T10:00:00Z'), ['d']);
  assert.deepEqual(who(c, '2026-06-02T16:00:00Z'), ['a']);
  assert.deepEqual(who(c, '2026-06-03T20:00:00Z'), ['c']);
  assert.deepEqual(who(c, '2026-06-06T10:00:00Z'), ['a']);
  assert.deepEqual(who(c, '2026-06-10T03:00:00Z'), ['c']);
  assert.deepEqual(who(c, '2026-06-10T10:00:00Z'), ['c']);
  assert.deepEqual(onCall(c, 't1', T('2026-06-10T03:00:00Z')).map((o) => o.radiologistId), ['c']); // backup pattern ignored too
  assert.deepEqual(who(c, '2026-06-11T03:00:00Z'), ['a']);
});

test('1-in-2 week cycle', () => {
  const r = parisLikeRota();
  r.patterns = [
    pattern('wk-a', 't1', 'a', 'Europe/Paris', '0 8 * * *', '0 8 * * *', { cycle: { everyWeeks: 2, anchorMonday: '2026-06-01', offset: 0 } }),
    pattern('wk-b', 't1', 'b', 'Europe/Paris', '0 8 * * *', '0 8 * * *', { cycle: { everyWeeks: 2, anchorMonday: '2026-06-01', offset: 1 } }),
  ];
  const c = compileRota(r);
  assert.deepEqual(who(c, '2026-06-03T10:00:00Z'), ['a']);
  assert.deepEqual(who(c, '2026-06-10T10:00:00Z'), ['b']);
  assert.deepEqual(who(c, '2026-06-17T10:00:00Z'), ['a']);
  assert.deepEqual(who(c, '2026-05-27T10:00:00Z'), ['b']);
});

test('the cached index agrees with onCall over a DST week and tells the next change', () => {
  const c = compileRota(parisLikeRota());
  const idx = new OnCallIndex(c);
  for (let t = T('2026-03-27T00:00:00Z'); t < T('2026-04-01T00:00:00Z'); t += 17 * 60_000) {
    assert.deepEqual(idx.at(t, 't1'), onCall(c, 't1', t), new Date(t).toISOString());
  }
  assert.equal(new Date(idx.nextChange(T('2026-03-29T03:00:00Z'))!).toISOString(), '2026-03-29T06:00:00.000Z');
});
