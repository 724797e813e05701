import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyVoiLut, applyWindow, CT_PRESETS, percentileWindow, storedSamples, type GreyFrame } from './voi.ts';

const brain = CT_PRESETS.find((w) => w.name === 'brain')!;

function frame(values: number[], extra: Partial<GreyFrame> = {}): GreyFrame {
  return { samples: Int16Array.from(values), bitsStored: 16, signed: true, slope: 1, intercept: 0, monochrome1: false, ...extra };
}

test('CT brain window 40/80: below 0 HU black, above 80 HU white, centre mid-grey', () => {
  const out = applyWindow(frame([-1000, 0, 40, 80, 1000]), brain);
  assert.equal(out[0], 0);
  assert.equal(out[4], 255);
  assert.ok(out[2]! > 120 && out[2]! < 136, String(out[2]));
  assert.ok(out[1]! <= 2 && out[3]! >= 253);
});

test('rescale slope/intercept is applied before the window (stored 1024 with intercept −1024 is 0 HU)', () => {
  const out = applyWindow(frame([1064], { intercept: -1024 }), brain);
  assert.ok(out[0]! > 120 && out[0]! < 136);
});

test('MONOCHROME1 is inverted', () => {
  const w = { name: 'x', center: 50, width: 100 };
  assert.equal(applyWindow(frame([0, 100]), w)[0], 0);
  assert.equal(applyWindow(frame([0, 100], { monochrome1: true }), w)[0], 255);
});

test('signed 12-bit samples are sign-extended; unsigned high bits are masked', () => {
  const raw = new Uint8Array(new Uint16Array([0x0fff, 0x0800, 0x07ff, 0xf001]).buffer);
  assert.deepEqual([...storedSamples(raw, 16, 12, true)], [-1, -2048, 2047, 1]);
  assert.deepEqual([...storedSamples(raw, 16, 12, false)], [0xfff, 0x800, 0x7ff, 0x001]);
});

test('VOI LUT maps through its table; percentile window spans the data', () => {
  const lut = { firstMapped: 10, bits: 8, data: Uint16Array.from([0, 100, 255]) };
  assert.deepEqual([...applyVoiLut(frame([5, 11, 99]), lut)], [0, 100, 255]);
  const w = percentileWindow(frame(Array.from({ length: 1000 }, (_, i) => i)));
  assert.ok(w.center > 450 && w.center < 550 && w.width > 900);
});
