import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bottleneck } from './bottleneck.ts';

const MBIT = 1e6;

test('a saturated bottleneck delivers exactly its rate, in arrival order', () => {
  const b = new Bottleneck({ rateBitsPerSecond: 10 * MBIT, burstBytes: 1500, queueBytes: 1_000_000 });
  // 500 datagrams of 1452 B all offered at t=0 (queue large enough): the last leaves when the
  // rate has carried all bytes beyond the initial bucket.
  let last = 0;
  for (let i = 0; i < 500; i++) {
    const t = b.offer(0, 1452);
    assert.ok(t !== null);
    assert.ok(t >= last, 'order kept');
    last = t;
  }
  const expectedMs = ((500 * 1452 - 1500) * 8) / (10 * MBIT) * 1000;
  assert.ok(Math.abs(last - expectedMs) < 1e-6, `${last} vs ${expectedMs}`);
});

test('drop-tail: the queue holds queueBytes, then drops, then accepts again once drained', () => {
  const b = new Bottleneck({ rateBitsPerSecond: 8 * MBIT, burstBytes: 1000, queueBytes: 10_000 }); // 1 B/µs
  let accepted = 0;
  let dropped = 0;
  for (let i = 0; i < 30; i++) (b.offer(0, 1000) === null ? dropped++ : accepted++);
  // The first datagram leaves at once on the bucket's tokens; ten more fill the queue.
  assert.equal(accepted, 11);
  assert.equal(dropped, 19);
  assert.equal(b.backlogBytes(0), 10_000);
  // 1000 B take 1 ms: after 3 ms three have left, three fit again.
  assert.equal(b.backlogBytes(3), 7_000);
  assert.notEqual(b.offer(3, 1000), null);
  assert.notEqual(b.offer(3, 1000), null);
  assert.notEqual(b.offer(3, 1000), null);
  assert.equal(b.offer(3, 1000), null);
});

test('an idle bottleneck lets one burst through at once, never more than its bucket', () => {
  const b = new Bottleneck({ rateBitsPerSecond: 8 * MBIT, burstBytes: 3000, queueBytes: 100_000 });
  assert.equal(b.offer(100, 1500), 100);
  assert.equal(b.offer(100, 1500), 100);
  assert.equal(b.offer(100, 1500), 101.5);
  // After a long idle period the bucket is full again, but only up to its depth.
  assert.equal(b.offer(10_000, 1500), 10_000);
  assert.equal(b.offer(10_000, 1500), 10_000);
  assert.equal(b.offer(10_000, 1500), 10_001.5);
});

test('rate over a long paced run stays within a datagram of the configured rate', () => {
  const b = new Bottleneck({ rateBitsPerSecond: 4 * MBIT, burstBytes: 1500, queueBytes: 300_000 });
  let delivered = 0;
  let lastDepart = 0;
  // Offer 1.3× the rate for 10 s (one 1452 B datagram every 2.23 ms).
  const interval = (1452 * 8) / (4 * MBIT * 1.3) * 1000;
  for (let t = 0; t < 10_000; t += interval) {
    const d = b.offer(t, 1452);
    if (d !== null && d <= 10_000) {
      delivered += 1452;
      lastDepart = d;
    }
  }
  const rate = (delivered * 8) / (10_000 / 1000);
  assert.ok(Math.abs(rate - 4 * MBIT) / (4 * MBIT) < 0.002, `rate ${rate}`);
  assert.ok(lastDepart <= 10_000);
});
