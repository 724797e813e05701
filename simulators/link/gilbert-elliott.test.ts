import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GilbertElliott, bernoulliLoss, burstyLoss, stationaryLoss } from './gilbert-elliott.ts';
import { createRandom } from './prng.ts';

function run(ge: GilbertElliott, n: number): { rate: number; meanBurst: number } {
  let lost = 0;
  let bursts = 0;
  let prev = false;
  for (let i = 0; i < n; i++) {
    const l = ge.lose();
    if (l) lost++;
    if (l && !prev) bursts++;
    prev = l;
  }
  return { rate: lost / n, meanBurst: bursts ? lost / bursts : 0 };
}

test('Bernoulli loss hits its rate and comes in isolated drops', () => {
  const r = run(new GilbertElliott(bernoulliLoss(0.01), createRandom(1, 'loss')), 400_000);
  assert.ok(Math.abs(r.rate - 0.01) < 0.001, `rate ${r.rate}`);
  assert.ok(r.meanBurst < 1.02, `burst ${r.meanBurst}`);
});

test('bursty loss keeps the mean rate but loses datagrams in runs of the asked length', () => {
  const params = burstyLoss(0.01, 4);
  assert.ok(Math.abs(stationaryLoss(params) - 0.01) < 1e-12);
  const r = run(new GilbertElliott(params, createRandom(2, 'loss')), 1_000_000);
  assert.ok(Math.abs(r.rate - 0.01) < 0.0015, `rate ${r.rate}`);
  assert.ok(Math.abs(r.meanBurst - 4) < 0.3, `burst ${r.meanBurst}`);
});

test('no loss means no loss, and the same seed replays the same pattern', () => {
  assert.equal(run(new GilbertElliott(bernoulliLoss(0), createRandom(3)), 10_000).rate, 0);
  const a = new GilbertElliott(burstyLoss(0.05, 3), createRandom(9, 'x'));
  const b = new GilbertElliott(burstyLoss(0.05, 3), createRandom(9, 'x'));
  for (let i = 0; i < 10_000; i++) assert.equal(a.lose(), b.lose());
});

test('parameters outside [0, 1] are refused', () => {
  assert.throws(() => new GilbertElliott({ pGoodToBad: 2, pBadToGood: 0, lossGood: 0, lossBad: 0 }, Math.random), RangeError);
  assert.throws(() => burstyLoss(0.01, 0.5), RangeError);
});
