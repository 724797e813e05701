import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutageSchedule } from './outage-schedule.ts';

test('30 s every 2 min: up for the first 90 s, then down 30 s, repeating', () => {
  const s = new OutageSchedule({ everyMs: 120_000, durationMs: 30_000 }, 1000);
  assert.deepEqual(s.state(1000), { down: false, cause: null, until: 91_000 });
  assert.equal(s.isDown(90_999), false);
  assert.deepEqual(s.state(91_000), { down: true, cause: 'scheduled', until: 121_000 });
  assert.equal(s.isDown(120_999), true);
  assert.equal(s.isDown(121_000), false);
  assert.equal(s.isDown(211_000), true);
  assert.equal(s.isDown(1000 + 10 * 120_000 + 95_000), true);
});

test('an explicit offset puts the first outage where asked', () => {
  const s = new OutageSchedule({ everyMs: 10_000, durationMs: 2_000, offsetMs: 0 }, 0);
  assert.equal(s.isDown(0), true);
  assert.equal(s.isDown(2_000), false);
  assert.equal(s.isDown(10_500), true);
});

test('a forced cut starts now, lasts its duration, extends but never shortens, and restore ends it', () => {
  const s = new OutageSchedule(undefined, 0);
  assert.deepEqual(s.state(5), { down: false, cause: null, until: Infinity });
  s.cut(10, 60_000);
  assert.deepEqual(s.state(10), { down: true, cause: 'forced', until: 60_010 });
  s.cut(20, 1_000);
  assert.equal(s.state(30_000).until, 60_010);
  assert.equal(s.isDown(60_010), false);
  s.cut(70_000, Infinity);
  assert.equal(s.isDown(10 ** 12), true);
  s.restore();
  assert.equal(s.isDown(70_001), false);
});

test('forced and scheduled outages combine; restore leaves the schedule alone', () => {
  const s = new OutageSchedule({ everyMs: 100, durationMs: 20 }, 0); // down [80,100), [180,200)…
  s.cut(90, 50); // forced [90,140)
  assert.deepEqual(s.state(95), { down: true, cause: 'forced', until: 140 });
  assert.deepEqual(s.state(139), { down: true, cause: 'forced', until: 140 });
  assert.deepEqual(s.state(140), { down: false, cause: null, until: 180 });
  s.restore();
  assert.equal(s.isDown(185), true);
});

test('invalid schedules are refused', () => {
  assert.throws(() => new OutageSchedule({ everyMs: 10, durationMs: 10 }, 0), RangeError);
  assert.throws(() => new OutageSchedule(undefined, 0).cut(0, 0), RangeError);
});
