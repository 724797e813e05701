import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from './prng.ts';

test('the same seed and stream replay the same impairments; other streams differ', () => {
  const a = createRandom(42, 'up/loss');
  const b = createRandom(42, 'up/loss');
  const c = createRandom(42, 'down/loss');
  const xa = Array.from({ length: 100 }, a);
  assert.deepEqual(Array.from({ length: 100 }, b), xa);
  assert.notDeepEqual(Array.from({ length: 100 }, c), xa);
  assert.notDeepEqual(Array.from({ length: 100 }, createRandom(43, 'up/loss')), xa);
});

test('values are in [0, 1) and roughly uniform', () => {
  const r = createRandom(7);
  const bins = new Array<number>(10).fill(0);
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const v = r();
    assert.ok(v >= 0 && v < 1);
    bins[Math.floor(v * 10)]!++;
  }
  for (const b of bins) assert.ok(Math.abs(b - n / 10) < n / 100, `bin ${b}`);
});
