import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NAMED_PROFILES, namedProfile, resolveProfile, type DirectionProfile } from './profiles.ts';
import { stationaryLoss } from './gilbert-elliott.ts';

const stationaryLossOf = (d: DirectionProfile) => stationaryLoss(d.loss);

test('the named profiles say what the issue asks for', () => {
  const rural = namedProfile('rural-4g');
  assert.equal(rural.up.rateBitsPerSecond, 10e6);
  assert.equal(rural.up.delayMs + rural.down.delayMs, 80);
  assert.equal(rural.up.jitterMs, 20);
  assert.ok(Math.abs(stationaryLossOf(rural.up) - 0.005) < 1e-12);
  assert.equal(rural.up.queueBytes, 100_000, 'queue of one BDP');
  const island = namedProfile('island-vsat');
  assert.equal(island.down.rateBitsPerSecond, 4e6);
  assert.equal(island.up.delayMs + island.down.delayMs, 600);
  assert.ok(Math.abs(stationaryLossOf(island.down) - 0.01) < 1e-12);
  assert.equal(island.up.queueBytes, 300_000);
  const flapping = namedProfile('flapping');
  assert.equal(flapping.up.rateBitsPerSecond, 20e6);
  assert.equal(flapping.up.delayMs * 2, 40);
  assert.deepEqual(flapping.outages, { everyMs: 120_000, durationMs: 30_000, offsetMs: 90_000 });
  assert.ok(namedProfile('lan'));
  assert.ok(Object.keys(NAMED_PROFILES).includes('rural-4g-bursty'));
});

test('custom profiles are validated and completed with defaults', () => {
  const p = resolveProfile({
    name: 'n2',
    up: { rateBitsPerSecond: 2e6, delayMs: 300, jitterMs: 50 },
    down: { rateBitsPerSecond: 2e6, delayMs: 300, jitterMs: 50, queueBytes: 50_000 },
  });
  assert.equal(p.up.queueBytes, 150_000, 'one BDP: 2 Mbit/s × 600 ms');
  assert.equal(namedProfile('lan').up.queueBytes, 96_000, 'at least 64 full datagrams');
  assert.equal(p.down.queueBytes, 50_000);
  assert.equal(p.up.burstBytes, 1500);
  assert.equal(p.outages, null);
  assert.throws(() => resolveProfile({ name: 'x', up: { rateBitsPerSecond: 0, delayMs: 1 }, down: { rateBitsPerSecond: 1, delayMs: 1 } }));
  assert.throws(() => resolveProfile({ name: 'x', up: { rateBitsPerSecond: 1, delayMs: 1, bogus: 1 }, down: { rateBitsPerSecond: 1, delayMs: 1 } }));
  assert.throws(() => namedProfile('nope'), /known: lan/);
});
