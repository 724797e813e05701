import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../test/fakes/manual-clock.ts';
import { DelayLine, JitterProcess } from './delay-line.ts';
import { createRandom } from './prng.ts';

test('items come out at their due time, in the order they went in, even when due earlier', () => {
  const clock = new ManualClock(0);
  const out: Array<[string, number]> = [];
  const line = new DelayLine<string>(clock, (item) => out.push([item, clock.now()]));
  line.schedule(50, 'a');
  line.schedule(30, 'b'); // due before a: waits for a (order kept)
  line.schedule(80, 'c');
  clock.advance(49);
  assert.deepEqual(out, []);
  clock.advance(1);
  assert.deepEqual(out, [['a', 50], ['b', 50]]);
  clock.advance(100);
  assert.deepEqual(out, [['a', 50], ['b', 50], ['c', 80]]);
  assert.equal(line.pending, 0);
});

test('clear drops what is pending and cancels the timer', () => {
  const clock = new ManualClock(0);
  const out: string[] = [];
  const line = new DelayLine<string>(clock, (item) => out.push(item));
  line.schedule(10, 'x');
  line.clear();
  clock.advance(100);
  assert.deepEqual(out, []);
  assert.equal(clock.pending, 0);
});

test('jitter stays within ±J, is constant within a period and redrawn across periods', () => {
  const j = new JitterProcess({ jitterMs: 20, periodMs: 10 }, createRandom(5, 'jitter'));
  const offsets = new Set<number>();
  for (let t = 0; t < 10_000; t += 0.5) {
    const o = j.offsetAt(t);
    assert.ok(o >= -20 && o <= 20);
    if (t % 10 !== 0) assert.equal(o, j.offsetAt(Math.floor(t / 10) * 10 + 9.9));
    offsets.add(o);
  }
  assert.ok(offsets.size > 900, `${offsets.size} distinct offsets for 1000 periods`);
  const values = [...offsets];
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  assert.ok(Math.abs(mean) < 1.5, `mean ${mean}`);
  assert.equal(new JitterProcess({ jitterMs: 0, periodMs: 10 }, Math.random).offsetAt(123), 0);
});
