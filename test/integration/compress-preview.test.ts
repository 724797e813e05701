/**
 * Series previews: key slices of the shared CT in the four CT presets, MR and CR by their own
 * VOI, small WebP files and a JSON description; a JPEG-LS-compressed series renders exactly as
 * the original does.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { SHARED_CT, SHARED_MR, SHARED_DICOM, listFiles, hasSharedData } from '../data.ts';
import { loadCodecs, type Codecs } from '../../lib/codec/frame-codecs.ts';
import { renderSeriesPreview } from '../../agent/preview/render.ts';
import { compressInstanceWith } from '../../agent/compress/compress-instance.ts';

const skip = !hasSharedData() && 'shared data not present';
let codecs: Codecs;
let dir: string;
before(async () => {
  codecs = await loadCodecs();
  dir = mkdtempSync(join(tmpdir(), 'relais-preview-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('CT preview: 3 key slices × brain, subdural, bone, lung as small 256-px WebP, described in preview.json', { skip }, async () => {
  const out = join(dir, 'ct');
  const t0 = performance.now();
  const p = await renderSeriesPreview(listFiles(SHARED_CT), out, { codecs });
  const ms = performance.now() - t0;
  assert.equal(p.sliceCount, 54);
  assert.equal(p.modality, 'CT');
  assert.equal(p.images.length, 12);
  assert.deepEqual([...new Set(p.images.map((i) => i.window.name))].sort(), ['bone', 'brain', 'lung', 'subdural']);
  assert.deepEqual([...new Set(p.images.map((i) => i.sliceIndex))], [14, 27, 41]);
  const description = JSON.parse(readFileSync(p.descriptionFile, 'utf8'));
  assert.equal(description.images.length, 12);
  assert.equal(description.seriesInstanceUid, p.seriesInstanceUid);
  for (const img of p.images) {
    const meta = await sharp(join(out, img.file)).metadata();
    assert.equal(meta.format, 'webp');
    assert.equal(Math.max(meta.width!, meta.height!), 256);
    assert.ok(img.bytes < 20_000, `${img.file} is ${img.bytes} bytes`);
  }
  // The windows really differ: the bone window shows the phantom's inserts darker than brain.
  const mean = async (f: string) => (await sharp(join(out, f)).stats()).channels[0]!.mean;
  const brain = p.images.find((i) => i.window.name === 'brain' && i.sliceIndex === 27)!;
  const bone = p.images.find((i) => i.window.name === 'bone' && i.sliceIndex === 27)!;
  assert.ok(Math.abs((await mean(brain.file)) - (await mean(bone.file))) > 5);
  assert.ok(ms < 5000, `gross regression only (budget 200 ms is in the bench): ${ms} ms`);
});

test('MR and CR previews use their own window; MONOCHROME1 is shown inverted', { skip }, async () => {
  const mr = await renderSeriesPreview(listFiles(SHARED_MR), join(dir, 'mr'), { codecs });
  assert.equal(mr.images.length, 3);
  assert.ok(mr.images.every((i) => i.window.name === 'dataset'));
  const cr = await renderSeriesPreview([join(SHARED_DICOM, 'cr-fuji-wg04-rg3', 'RG3_UNC.dcm')], join(dir, 'cr'), { codecs });
  assert.equal(cr.images.length, 1);
  assert.deepEqual(cr.images[0]!.window, { name: 'dataset', center: 550, width: 1024 });
  // Outside the collimated field the CR stores low values: MONOCHROME1 shows them white.
  const { data, info } = await sharp(join(dir, 'cr', cr.images[0]!.file)).greyscale().raw().toBuffer({ resolveWithObject: true });
  assert.ok(data[info.width * 10 + info.width - 3]! > 200, 'top-right corner is white');
});

test('a JPEG-LS compressed series previews exactly like the original', { skip }, async () => {
  const files = listFiles(SHARED_CT);
  const compressed = join(dir, 'jls');
  for (const f of files) {
    const r = await compressInstanceWith(codecs, f, compressed, {});
    assert.equal(r.outcome, 'compressed');
  }
  const a = await renderSeriesPreview(files, join(dir, 'a'), { codecs });
  const b = await renderSeriesPreview(readdirSync(compressed).map((n) => join(compressed, n)), join(dir, 'b'), { codecs });
  assert.equal(b.images.length, a.images.length);
  for (const [i, img] of a.images.entries()) {
    assert.ok(readFileSync(join(dir, 'a', img.file)).equals(readFileSync(join(dir, 'b', b.images[i]!.file))), img.file);
  }
});
