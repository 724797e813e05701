import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, DEFAULT_RETRY } from './backoff.ts';

test('backoff grows exponentially, is capped, and jitter stays within [floor, ceiling]', () => {
  const policy = { baseMs: 1000, factor: 2, maxMs: 60_000, minMs: 100 };
  assert.equal(backoffDelay(policy, 0, () => 0.999999), 1000);
  assert.equal(backoffDelay(policy, 3, () => 0.999999), 8000);
  assert.equal(backoffDelay(policy, 30, () => 0.999999), 60_000);
  assert.equal(backoffDelay(policy, 30, () => 0), 100);
  for (let a = 0; a < 40; a++) {
    const d = backoffDelay(DEFAULT_RETRY, a, Math.random);
    assert.ok(d >= 250 && d <= DEFAULT_RETRY.maxMs, `attempt ${a}: ${d}`);
  }
});
