import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../test/fakes/manual-clock.ts';
import { ImpairedDirection } from './direction.ts';
import { OutageSchedule } from './outage-schedule.ts';
import { createRandom } from './prng.ts';
import { namedProfile, type DirectionProfile } from './profiles.ts';

interface Delivered {
  seq: number;
  at: number;
}

/** Offers `seconds` of traffic at `load` × the profile's rate, 1452 B datagrams numbered in order. */
function drive(profile: DirectionProfile, opts: { seed: number; seconds: number; load: number; cut?: [number, number] }) {
  const clock = new ManualClock(0);
  const outages = new OutageSchedule(undefined, 0);
  const sentAt = new Map<number, number>();
  const delivered: Delivered[] = [];
  const dir = new ImpairedDirection({
    profile,
    clock,
    random: { loss: createRandom(opts.seed, 'loss'), jitter: createRandom(opts.seed, 'jitter') },
    outages,
    send: (d) => delivered.push({ seq: Buffer.from(d).readUInt32BE(0), at: clock.now() }),
  });
  const interval = (1452 * 8) / (profile.rateBitsPerSecond * opts.load) * 1000;
  let seq = 0;
  for (let t = 0; t < opts.seconds * 1000; t += interval) {
    clock.set(t);
    if (opts.cut && t >= opts.cut[0] && !outages.isDown(t) && t < opts.cut[0] + interval) outages.cut(t, opts.cut[1]);
    const d = Buffer.alloc(1452);
    d.writeUInt32BE(seq, 0);
    sentAt.set(seq, t);
    dir.push(d);
    seq++;
  }
  clock.advance(10_000);
  return { delivered, sentAt, counters: dir.counters(), offered: seq };
}

test('rural-4g: delivers the link rate, keeps order, delays within 40 ± 20 ms plus queueing, loses about 0.5 %', () => {
  const p = namedProfile('rural-4g').up;
  const { delivered, counters, offered } = drive(p, { seed: 11, seconds: 20, load: 1.3 });
  assert.equal(counters.datagramsIn, offered);
  assert.equal(counters.datagramsOut, delivered.length);
  assert.equal(counters.inFlight, 0);
  for (let i = 1; i < delivered.length; i++) assert.ok(delivered[i]!.seq > delivered[i - 1]!.seq, 'order kept');
  // Everything offered is accounted for.
  const { queue, loss, outage } = counters.drops;
  assert.equal(counters.datagramsOut + queue + loss + outage, offered);
  assert.equal(outage, 0);
  assert.ok(queue > 0, 'overload fills the 1-BDP queue and drops');
  assert.ok(counters.maxBacklogBytes <= p.queueBytes);
  const lossRate = loss / (offered - queue);
  assert.ok(Math.abs(lossRate - 0.005) < 0.0015, `loss ${lossRate}`);
  // Throughput over the steady part (1 s .. 19 s): rate × (1 − loss).
  const inWindow = delivered.filter((d) => d.at >= 1000 && d.at < 19_000).length;
  const bps = (inWindow * 1452 * 8) / 18;
  assert.ok(Math.abs(bps / (p.rateBitsPerSecond * (1 - 0.005)) - 1) < 0.01, `rate ${bps}`);
});

test('lightly loaded, each datagram arrives after delay ± jitter (no queueing), never earlier', () => {
  const p = namedProfile('rural-4g').up;
  const { delivered, sentAt } = drive({ ...p, loss: { pGoodToBad: 0, pBadToGood: 1, lossGood: 0, lossBad: 0 } }, { seed: 3, seconds: 5, load: 0.1 });
  let min = Infinity;
  let max = -Infinity;
  for (const d of delivered) {
    const oneWay = d.at - sentAt.get(d.seq)!;
    min = Math.min(min, oneWay);
    max = Math.max(max, oneWay);
  }
  const serialisation = (1452 * 8) / p.rateBitsPerSecond * 1000;
  assert.ok(min >= 20 + serialisation - 1e-9, `min ${min}`);
  assert.ok(max <= 60 + serialisation + 1e-9, `max ${max}`);
  assert.ok(max - min > 30, 'jitter spreads delays over most of ±20 ms');
});

test('the same seed replays the same losses and delivery times', () => {
  const p = namedProfile('island-vsat').up;
  const a = drive(p, { seed: 5, seconds: 5, load: 1.1 });
  const b = drive(p, { seed: 5, seconds: 5, load: 1.1 });
  const c = drive(p, { seed: 6, seconds: 5, load: 1.1 });
  assert.deepEqual(a.delivered, b.delivered);
  assert.notDeepEqual(a.delivered.map((d) => d.seq), c.delivered.map((d) => d.seq));
});

test('a cut drops everything arriving or in flight during it, and traffic resumes after', () => {
  const p = namedProfile('lan').up;
  const { delivered, counters } = drive(p, { seed: 1, seconds: 3, load: 0.5, cut: [1000, 1000] });
  assert.ok(counters.drops.outage > 0);
  assert.equal(delivered.filter((d) => d.at >= 1000 && d.at < 2000).length, 0);
  assert.ok(delivered.some((d) => d.at < 1000));
  assert.ok(delivered.some((d) => d.at >= 2000));
});
