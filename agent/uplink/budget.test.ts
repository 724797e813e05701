import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BandwidthBudget, parseBudgetRules } from './budget.ts';
import { RateMeter } from './rate-meter.ts';

const H = 3_600_000;
// 8 Mbit/s link = 1 MB/s; one-minute windows: 60 MB per window at 100 %.
const LINK = 8_000_000;
const budget = (rules = '08-20=50') =>
  new BandwidthBudget({ linkBitsPerSecond: LINK, windowMs: 60_000, rules: parseBudgetRules(rules), defaultFraction: 1, utcOffsetMinutes: 60 });

test('by day scheduled and deferred work gets half the link, at night all of it (local hours)', () => {
  const b = budget();
  // UTC+1: 07:30 UTC is 08:30 local (day), 19:30 UTC is 20:30 local (night).
  assert.equal(b.fractionAt(7.5 * H), 0.5);
  assert.equal(b.allowanceBytes(7.5 * H), 30_000_000);
  assert.equal(b.fractionAt(19.5 * H), 1);
  assert.equal(b.fractionAt(6.5 * H), 1, '07:30 local is before the day rule');
});

test('once a window is spent, budgeted work waits for the next window; unused budget is not carried over', () => {
  const b = budget();
  const t0 = 9 * H; // 10:00 local
  assert.equal(b.openAt(t0), t0);
  b.spend(29_000_000, t0 + 1_000);
  assert.equal(b.openAt(t0 + 2_000), t0 + 2_000, 'still under half of the window');
  b.spend(1_000_000, t0 + 3_000);
  assert.equal(b.openAt(t0 + 3_000), t0 + 60_000, 'spent: wait for the next minute');
  assert.equal(b.openAt(t0 + 60_000), t0 + 60_000, 'a new window starts at zero');
  assert.equal(b.spentInWindow(t0 + 61_000), 0);
});

test('a zero share waits for the next hour that has one; rules wrap over midnight; bad rules are refused', () => {
  const b = budget('22-06=0');
  const t = 22 * H; // 23:00 local
  b.spend(1, t);
  assert.equal(b.openAt(t), 5 * H + 24 * H, '06:00 local the next day');
  assert.throws(() => parseBudgetRules('8h-20=50'), /HH-HH=PERCENT/);
  assert.throws(() => parseBudgetRules('08-20=150'), /out of range/);
  assert.deepEqual(parseBudgetRules('08-20=50, 20-08=100'), [
    { fromHour: 8, toHour: 20, fraction: 0.5 },
    { fromHour: 20, toHour: 8, fraction: 1 },
  ]);
});

test('the current rate is the bytes of the last ten seconds per second (shorter at the start)', () => {
  const m = new RateMeter(10_000);
  m.add(500_000, 0);
  m.add(500_000, 1_000);
  assert.equal(m.rate(2_000), 500_000, 'one MB in two seconds');
  assert.equal(m.rate(30_000), 0, 'nothing sent for longer than the window');
});
