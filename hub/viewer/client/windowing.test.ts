import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CT_PRESETS, defaultWindow, dragWindow, greyLevel, renderRgba, windowTable } from './windowing.ts';
import type { GreyFrame, RgbFrame } from './pixels.ts';
import { distance, fitView, panBy, toCanvas, toImage, zoomAt } from './viewport.ts';

function grey(samples: number[], over: Partial<GreyFrame> = {}): GreyFrame {
  const s = Int16Array.from(samples);
  return { kind: 'grey', width: samples.length, height: 1, samples: s, minStored: Math.min(...samples), maxStored: Math.max(...samples), slope: 1, intercept: 0, monochrome1: false, windows: [], ...over };
}

test('the linear window follows PS3.3 C.11.2.1.2.1 (values computed by hand)', () => {
  const brain = CT_PRESETS.brain; // c − 0.5 = 39.5, w − 1 = 79: 0 below 0, 255 above 79
  assert.equal(greyLevel(-1000, brain), 0);
  assert.equal(greyLevel(0, brain), 0);
  assert.equal(greyLevel(1, brain), 3); // ((1 − 39.5)/79 + .5) × 255 = 3.23
  assert.equal(greyLevel(40, brain), 129); // (0.5/79 + .5) × 255 = 129.11
  assert.equal(greyLevel(79, brain), 255);
  assert.equal(greyLevel(80, brain), 255);
  assert.equal(greyLevel(1000, CT_PRESETS.bone), 164); // (400.5/2799 + .5) × 255 = 163.99
  assert.equal(greyLevel(0, CT_PRESETS.bone), 73); // (−599.5/2799 + .5) × 255 = 72.88
  assert.equal(greyLevel(-600, CT_PRESETS.lung), 128); // (−0.5+0.5)/1499... = 127.58 → 128
  assert.equal(greyLevel(10, { center: 10, width: 1 }), 255, 'width 1 is a threshold at c − 0.5');
  assert.equal(greyLevel(9, { center: 10, width: 1 }), 0);
});

test('CT presets are the usual brain, subdural, bone and lung windows', () => {
  assert.deepEqual(CT_PRESETS, {
    brain: { center: 40, width: 80 }, subdural: { center: 75, width: 215 }, bone: { center: 600, width: 2800 }, lung: { center: -600, width: 1500 },
  });
});

test('rescale slope and intercept give modality values before the window; MONOCHROME1 is inverted after it', () => {
  // stored 0, 1024, 2024 with intercept −1024 are −1024, 0 and 1000 HU
  const f = grey([0, 1024, 2024], { intercept: -1024 });
  const out = new Uint8ClampedArray(12);
  renderRgba(f, CT_PRESETS.bone, out);
  assert.deepEqual([out[0], out[4], out[8]], [0, 73, 164]);
  assert.deepEqual([out[1], out[2], out[3]], [0, 0, 255], 'grey in R, G and B, opaque');
  renderRgba({ ...f, monochrome1: true }, CT_PRESETS.bone, out);
  assert.deepEqual([out[0], out[4], out[8]], [255, 182, 91]);
  // slope 2, intercept −5: stored 10 is 15
  assert.deepEqual([...windowTable(grey([10, 11], { slope: 2, intercept: -5 }), { center: 16, width: 2 })], [0, 255]); // 15 ≤ 15.5 − .5 → 0; 17 > 16 → 255
});

test('signed stored values index the table from the frame minimum', () => {
  const f = grey([-2048, -1, 0, 2047]);
  const out = new Uint8ClampedArray(16);
  renderRgba(f, { center: 0, width: 4096 }, out);
  // c − .5 = −.5, w − 1 = 4095: ((v + .5)/4095 + .5) × 255
  assert.deepEqual([out[0], out[4], out[8], out[12]], [0, 127, 128, 255]);
});

test('without a window the dataset’s own VOI is used, else the full range', () => {
  assert.deepEqual(defaultWindow(grey([0, 100], { windows: [{ center: 40, width: 400 }, { center: 0, width: 10 }] })), { center: 40, width: 400 });
  assert.deepEqual(defaultWindow(grey([0, 100], { slope: 2, intercept: -100 })), { center: 0, width: 201 });
});

test('RGB frames are painted as they are', () => {
  const f: RgbFrame = { kind: 'rgb', width: 2, height: 1, rgb: Uint8Array.from([1, 2, 3, 250, 251, 252]) };
  const out = new Uint8ClampedArray(8);
  renderRgba(f, undefined, out);
  assert.deepEqual([...out], [1, 2, 3, 255, 250, 251, 252, 255]);
});

test('dragging widens with x and moves the center with y, never below width 1', () => {
  assert.deepEqual(dragWindow({ center: 40, width: 80 }, 10, -5, 4), { center: 20, width: 120 });
  assert.equal(dragWindow({ center: 40, width: 80 }, -100, 0, 4).width, 1);
});

test('the view fits, zooms about a fixed point, pans, and maps both ways', () => {
  const v = fitView(512, 512, 1024, 768);
  assert.deepEqual(v, { scale: 1.5, offsetX: 128, offsetY: 0 });
  const z = zoomAt(v, 2, { x: 512, y: 384 });
  assert.equal(z.scale, 3);
  assert.deepEqual(toImage(z, { x: 512, y: 384 }), toImage(v, { x: 512, y: 384 }), 'the point under the cursor stays');
  const p = panBy(z, 10, -20);
  assert.deepEqual(toCanvas(p, toImage(p, { x: 33, y: 44 })), { x: 33, y: 44 });
});

test('distances use PixelSpacing (row spacing, column spacing) in mm, else pixels', () => {
  const d = distance({ x: 0, y: 0 }, { x: 4, y: 3 }, [0.5, 0.25]);
  assert.equal(d.unit, 'mm');
  assert.ok(Math.abs(d.value - Math.sqrt(1 + 2.25)) < 1e-12);
  assert.deepEqual(distance({ x: 0, y: 0 }, { x: 4, y: 3 }), { value: 5, unit: 'px' });
});
