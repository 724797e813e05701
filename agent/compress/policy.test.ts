import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseCodec, contentClassOf, LINK_PROFILES_BPS } from './policy.ts';
import { DEFAULT_MEASUREMENTS } from './measurements.ts';

const m = DEFAULT_MEASUREMENTS;

test('CT on rural-4g: JPEG-LS, the tightest codec that encodes at 10× the link', () => {
  const d = chooseCodec({ contentClass: 'CT', linkRateBps: LINK_PROFILES_BPS['rural-4g'], measurements: m });
  assert.equal(d.codec, 'jpeg-ls');
});

test('a slow link lets the slower, tighter JPEG XL win; a faster headroom rule keeps JPEG-LS', () => {
  assert.equal(chooseCodec({ contentClass: 'CT', linkRateBps: 1e6, measurements: m }).codec, 'jpeg-xl');
  assert.equal(chooseCodec({ contentClass: 'CT', linkRateBps: 1e6, measurements: m, headroom: 100 }).codec, 'jpeg-ls');
});

test('ratios within tolerance go to the more compatible syntax', () => {
  const table = { CT: [{ codec: 'j2k' as const, ratio: 5.5, encodeMBps: 50, decodeMBps: 50 }, { codec: 'jpeg-ls' as const, ratio: 5.4, encodeMBps: 50, decodeMBps: 50 }] };
  assert.equal(chooseCodec({ contentClass: 'CT', linkRateBps: 10e6, measurements: table }).codec, 'jpeg-ls');
  assert.equal(chooseCodec({ contentClass: 'CT', linkRateBps: 10e6, measurements: table, tolerance: 0 }).codec, 'j2k');
});

test('allowed codecs restrict the choice; nothing measured means no codec', () => {
  assert.equal(chooseCodec({ contentClass: 'CT', linkRateBps: 1e6, measurements: m, allowed: ['jpeg-ls', 'rle'] }).codec, 'jpeg-ls');
  assert.equal(chooseCodec({ contentClass: 'CT', measurements: {} }).codec, null);
});

test('a LAN too fast for any codec picks the shortest estimated delivery', () => {
  const d = chooseCodec({ contentClass: 'CT', linkRateBps: 1e9, measurements: m });
  assert.ok(d.codec === 'htj2k' || d.codec === 'jpeg-ls' || d.codec === 'rle', d.reason);
  assert.match(d.reason, /shortest delivery/);
});

test('content classes', () => {
  assert.equal(contentClassOf({ modality: 'CT', samplesPerPixel: 1 }), 'CT');
  assert.equal(contentClassOf({ modality: 'DX', samplesPerPixel: 1 }), 'CR');
  assert.equal(contentClassOf({ modality: 'US', samplesPerPixel: 3 }), 'color');
  assert.equal(contentClassOf({ samplesPerPixel: 1 }), 'default');
});
