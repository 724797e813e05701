/**
 * The radiologist's viewer in a real browser (Debian chromium, playwright-core): the shared
 * 54-slice CT is uploaded to a hub as an agent would, a radiologist opens
 * /studies/:uid/viewer from a `#token=` link, the series loads progressively from WADO-RS
 * (explicit little endian asked), the reader scrolls by wheel and arrow keys to slice 30,
 * applies the bone preset, and the canvas pixels at chosen points equal the grey levels this
 * test computes on its own from the DICOM file (dcmjs: stored value → HU → PS3.3 linear
 * window). Then free window/level by drag, zoom, reset and a distance in mm. A MONOCHROME1
 * radiograph (10 bits stored) shows with its own window, inverted, no CT presets; in a study of
 * two series (CT and MR) the reader switches series. Nothing is
 * fetched outside the hub. Screenshots go to $RELAIS_SCREENSHOTS or a temp directory (printed).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import type { Browser } from 'playwright-core';
import { SHARED_CT, SHARED_DICOM, SHARED_MR, listFiles } from '../data.ts';
import { prepareSlices } from '../../simulators/modality/prepare.ts';
import { buildFileMetaHeader } from '../../lib/dicom/part10.ts';
import { sha256Hex } from '../../lib/sha256.ts';
import { parseDicomHeader } from '../../lib/dicom/header.ts';
import { startTestHub, prepare, putInstance, type TestHub } from '../integration/hub-harness.ts';
import { launchChromium } from './chromium.ts';

interface Slice {
  instanceNumber: number;
  pixels: Uint16Array;
  bitsStored: number;
  slope: number;
  intercept: number;
  columns: number;
  spacing: [number, number];
}

interface DcmjsData {
  DicomMessage: { readFile(b: ArrayBuffer): { dict: Record<string, unknown> } };
  DicomMetaDictionary: { naturalizeDataset(d: Record<string, unknown>): Record<string, unknown> };
}

let t: TestHub;
let url: string;
let browser: Browser;
let study: string;
let slices: Slice[];
let shots: string;

async function readSlice(path: string): Promise<Slice> {
  const buf = await readFile(path);
  const data = (dcmjs as unknown as { data: DcmjsData }).data;
  const ds = data.DicomMetaDictionary.naturalizeDataset(data.DicomMessage.readFile(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)).dict);
  assert.equal(Number(ds.PixelRepresentation), 0);
  const sp = ds.PixelSpacing as number[];
  return {
    instanceNumber: Number(ds.InstanceNumber), pixels: new Uint16Array((ds.PixelData as ArrayBuffer[])[0]!), bitsStored: Number(ds.BitsStored),
    slope: Number(ds.RescaleSlope ?? 1), intercept: Number(ds.RescaleIntercept ?? 0), columns: Number(ds.Columns), spacing: [Number(sp[0]), Number(sp[1])],
  };
}

/** PS3.3 C.11.2.1.2.1, written out again here on purpose (not the viewer's code). */
function expectedGrey(s: Slice, x: number, y: number, center: number, width: number): number {
  const stored = s.pixels[y * s.columns + x]! & ((1 << s.bitsStored) - 1);
  const hu = stored * s.slope + s.intercept;
  if (hu <= center - 0.5 - (width - 1) / 2) return 0;
  if (hu > center - 0.5 + (width - 1) / 2) return 255;
  return Math.round(((hu - (center - 0.5)) / (width - 1) + 0.5) * 255);
}

before(async () => {
  shots = process.env.RELAIS_SCREENSHOTS ?? (await mkdtemp(join(tmpdir(), 'relais-viewer-shots-')));
  await mkdir(shots, { recursive: true });
  console.log(`viewer screenshots: ${shots}`);
  t = await startTestHub({ radiologistId: 'n1' });
  url = await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
  const files = listFiles(SHARED_CT);
  for (const f of files) {
    const inst = await prepare(f);
    study = inst.study;
    assert.equal((await putInstance(url, t.agentA.credential, inst)).status, 201);
  }
  slices = (await Promise.all(files.map(readSlice))).sort((a, b) => a.instanceNumber - b.instanceNumber);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await t?.close();
});

test('a radiologist scrolls the shared CT to slice 30, applies the bone window and sees the exact grey levels', async () => {
  const page = await browser.newPage({ locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
  const foreign: string[] = [];
  const accepts: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(url)) foreign.push(r.url());
    if (/\/instances\/[0-9.]+$/.test(new URL(r.url()).pathname)) accepts.push(r.headers().accept ?? '');
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  const started = Date.now();
  await page.goto(`${url}/studies/${study}/viewer#token=${t.tokens.radiologist}`);
  await page.waitForSelector('[data-testid="viewer-canvas"][data-rendered^="0|"]');
  const firstImageMs = Date.now() - started;
  await page.waitForSelector('[data-testid="viewer"][data-complete="true"]', { timeout: 60_000 });
  const loadedMs = Date.now() - started;
  console.log(`viewer: first image ${firstImageMs} ms, 54 slices loaded ${loadedMs} ms`);
  assert.equal(await page.getAttribute('[data-testid="viewer"]', 'data-loaded'), '54');
  assert.match((await page.textContent('[data-testid="load-status"]')) ?? '', /54 images chargées/);
  assert.equal(await page.locator('[data-testid="series-item"]').count(), 1);
  assert.match((await page.textContent('[data-testid="series-item"]')) ?? '', /CT · 54 images/);
  assert.equal(await page.textContent('[data-testid="slice-counter"]'), '1 / 54');
  assert.ok(accepts.length >= 54 && accepts.every((a) => a === 'application/dicom; transfer-syntax=1.2.840.10008.1.2.1'), 'explicit little endian asked');

  // Scroll: 5 wheel notches, then 24 arrow-down presses → slice 30 (index 29).
  const box = (await page.locator('[data-testid="viewer-canvas"]').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let i = 0; i < 5; i++) {
    await page.mouse.wheel(0, 100);
    await page.waitForSelector(`[data-testid="slice-counter"]:text-is("${i + 2} / 54")`);
  }
  await page.focus('[data-testid="viewer-canvas"]');
  for (let i = 0; i < 24; i++) await page.keyboard.press('ArrowDown');
  await page.waitForSelector('[data-testid="slice-counter"]:text-is("30 / 54")');

  await page.click('[data-testid="preset-bone"]');
  await page.waitForSelector('[data-testid="viewer-canvas"][data-rendered="29|600|2800"]');
  assert.match((await page.textContent('[data-testid="window-readout"]')) ?? '', /C 600 · L 2800/);

  const view = (await page.getAttribute('[data-testid="viewer-canvas"]', 'data-view'))!.split(',').map(Number) as [number, number, number];
  const [scale, ox, oy] = view;
  assert.ok(scale > 1, `the 512² image is magnified to fit (scale ${scale})`);
  const s = slices[29]!;
  // phantom walls and inserts of slice 30 (about 60 to 720 HU) and air (−1000 HU)
  const points: Array<[number, number]> = [[32, 224], [128, 368], [368, 368], [224, 224], [32, 176], [464, 320], [256, 256]];
  const wanted = points.map(([x, y]) => expectedGrey(s, x, y, 600, 2800));
  const seen = await page.evaluate(
    ({ pts, scale, ox, oy }) => {
      const c = document.querySelector<HTMLCanvasElement>('[data-testid="viewer-canvas"]')!;
      const g = c.getContext('2d')!;
      return pts.map(([x, y]) => Array.from(g.getImageData(Math.round(ox + (x + 0.5) * scale - 0.5), Math.round(oy + (y + 0.5) * scale - 0.5), 1, 1).data));
    },
    { pts: points, scale, ox, oy },
  );
  assert.deepEqual(seen.map((p) => p[0]), wanted, `canvas grey at ${JSON.stringify(points)}`);
  assert.ok(seen.every((p) => p[0] === p[1] && p[1] === p[2] && p[3] === 255), 'grey, opaque');
  assert.ok(new Set(wanted).size >= 5, `the chosen points are not all one level (${wanted})`);
  assert.match((await page.textContent('[data-testid="slice-info"]')) ?? '', new RegExp(`^Im ${s.instanceNumber}\\b`));
  await page.screenshot({ path: join(shots, 'viewer-ct-bone-slice30-fr.png') });

  // The brain preset gives other, equally exact, levels.
  await page.keyboard.press('1');
  await page.waitForSelector('[data-testid="viewer-canvas"][data-rendered="29|40|80"]');
  const brain = await page.evaluate(
    ({ scale, ox, oy }) => Array.from(document.querySelector<HTMLCanvasElement>('[data-testid="viewer-canvas"]')!.getContext('2d')!.getImageData(Math.round(ox + 224.5 * scale - 0.5), Math.round(oy + 224.5 * scale - 0.5), 1, 1).data)[0],
    { scale, ox, oy },
  );
  assert.equal(brain, expectedGrey(s, 224, 224, 40, 80));
  assert.ok(brain! > 0 && brain! < 255, `a soft-tissue level inside the brain window (${brain})`);

  // Free window/level by drag, zoom with ctrl+wheel, then reset.
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  await page.mouse.move(cx + 60, cy + 30, { steps: 4 });
  await page.mouse.up();
  const free = (await page.getAttribute('[data-testid="viewer-canvas"]', 'data-rendered'))!.split('|').map(Number);
  assert.equal(free[0], 29);
  assert.ok(free[2]! > 80 && free[1]! > 40, `dragging right/down widens and raises the window (${free})`);
  await page.keyboard.down('Control');
  await page.mouse.wheel(0, -300);
  await page.keyboard.up('Control');
  await page.waitForFunction((s0) => Number(document.querySelector('[data-testid="viewer-canvas"]')!.getAttribute('data-view')!.split(',')[0]) > s0 * 1.5, scale);
  await page.screenshot({ path: join(shots, 'viewer-ct-zoomed-free-window.png') });
  await page.click('[data-testid="viewer-reset"]');
  await page.waitForFunction((v) => document.querySelector('[data-testid="viewer-canvas"]')!.getAttribute('data-view') === v, view.join(','));

  // Distance: 200 image pixels along a row, in mm from PixelSpacing.
  await page.click('[data-testid="tool-measure"]');
  await page.mouse.move(box.x + ox + 100.5 * scale, box.y + oy + 256.5 * scale);
  await page.mouse.down();
  await page.mouse.move(box.x + ox + 300.5 * scale, box.y + oy + 256.5 * scale, { steps: 5 });
  await page.mouse.up();
  const measured = (await page.getAttribute('[data-testid="viewer"]', 'data-last-measure'))!;
  const mm = Number(measured.split(' ')[0]);
  assert.match(measured, / mm$/);
  assert.ok(Math.abs(mm - 200 * s.spacing[1]) < 2 * s.spacing[1], `${measured} ≈ ${(200 * s.spacing[1]).toFixed(1)} mm`);
  await page.screenshot({ path: join(shots, 'viewer-ct-measure.png') });

  // The slider jumps anywhere in the stack.
  await page.locator('[data-testid="slice-slider"]').fill('10');
  await page.waitForSelector('[data-testid="slice-counter"]:text-is("10 / 54")');
  await page.waitForSelector('[data-testid="viewer-canvas"][data-rendered^="9|"]');

  // English.
  const again = Date.now();
  await page.click('[data-testid="lang-en"]');
  await page.waitForSelector('[data-testid="viewer-canvas"][data-rendered^="0|"]');
  const againFirstMs = Date.now() - again;
  await page.waitForSelector('[data-testid="viewer"][data-complete="true"]');
  console.log(`viewer, second opening (code cached by the hub): first image ${againFirstMs} ms, 54 slices loaded ${Date.now() - again} ms`);
  assert.equal(await page.textContent('[data-testid="preset-bone"]'), 'Bone');
  assert.match((await page.textContent('[data-testid="load-status"]')) ?? '', /54 images loaded/);

  assert.deepEqual(foreign, [], 'no request leaves the hub');
  assert.deepEqual(errors, [], 'no script error');
  await page.close();
});

test('a MONOCHROME1 radiograph shows inverted through its own window, without CT presets', async () => {
  const path = join(SHARED_DICOM, 'cr-fuji-wg04-rg3', 'RG3_UNC.dcm');
  const inst = await prepare(path);
  assert.equal((await putInstance(url, t.agentA.credential, inst)).status, 201);
  const buf = await readFile(path);
  const data = (dcmjs as unknown as { data: DcmjsData }).data;
  const ds = data.DicomMetaDictionary.naturalizeDataset(data.DicomMessage.readFile(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)).dict);
  assert.equal(ds.PhotometricInterpretation, 'MONOCHROME1');
  const cr: Slice = { instanceNumber: 1, pixels: new Uint16Array((ds.PixelData as ArrayBuffer[])[0]!), bitsStored: Number(ds.BitsStored), slope: 1, intercept: 0, columns: Number(ds.Columns), spacing: [1, 1] };
  const center = Number(ds.WindowCenter);
  const width = Number(ds.WindowWidth);

  const page = await browser.newPage({ locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}/studies/${inst.study}/viewer#token=${t.tokens.radiologist}`);
  await page.waitForSelector(`[data-testid="viewer-canvas"][data-rendered="0|${center}|${width}"]`);
  assert.equal(await page.isHidden('[data-testid="preset-bone"]'), true, 'no CT presets on a radiograph');
  assert.equal(await page.isVisible('[data-testid="preset-default"]'), true);
  // 1760² shrinks to fit: zoom about the middle until an image pixel covers more than one canvas pixel.
  const box = (await page.locator('[data-testid="viewer-canvas"]').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.keyboard.down('Control');
  for (let i = 0; i < 3; i++) await page.mouse.wheel(0, -300);
  await page.keyboard.up('Control');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="viewer-canvas"]')!.getAttribute('data-view')!.split(',')[0]) > 1.2);
  const [scale, ox, oy] = (await page.getAttribute('[data-testid="viewer-canvas"]', 'data-view'))!.split(',').map(Number) as [number, number, number];
  const mid = toImagePoint(box.width / 2, box.height / 2, scale, ox, oy);
  const points: Array<[number, number]> = [[0, 0], [40, -30], [-60, 50], [100, 100], [-120, -80]].map(([dx, dy]) => [mid[0] + dx!, mid[1] + dy!]);
  const wanted = points.map(([x, y]) => 255 - expectedGrey(cr, x, y, center, width));
  const seen = await page.evaluate(
    ({ pts, scale, ox, oy }) => {
      const g = document.querySelector<HTMLCanvasElement>('[data-testid="viewer-canvas"]')!.getContext('2d')!;
      return pts.map(([x, y]) => g.getImageData(Math.round(ox + (x + 0.5) * scale - 0.5), Math.round(oy + (y + 0.5) * scale - 0.5), 1, 1).data[0]);
    },
    { pts: points, scale, ox, oy },
  );
  assert.deepEqual(seen, wanted, `inverted grey levels at ${JSON.stringify(points)}`);
  assert.ok(wanted.some((v) => v > 0 && v < 255), `some points inside the window (${wanted})`);
  await page.screenshot({ path: join(shots, 'viewer-cr-monochrome1.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

function toImagePoint(cx: number, cy: number, scale: number, ox: number, oy: number): [number, number] {
  return [Math.floor((cx - ox) / scale), Math.floor((cy - oy) / scale)];
}

test('in a study with a CT and an MR series the reader switches series; CT presets only on the CT', async () => {
  const ctFiles = listFiles(SHARED_CT);
  const mrFiles = listFiles(SHARED_MR);
  // One new study: the CT slices then the MR slices, fresh UIDs, one new series per source series.
  const made = prepareSlices([...ctFiles, ...mrFiles], ctFiles.length + mrFiles.length);
  assert.equal(made.instances.length, ctFiles.length + mrFiles.length);
  const series = new Set<string>();
  for (const raw of made.instances) {
    const bytes = Buffer.concat([buildFileMetaHeader({ mediaStorageSopClassUid: raw.sopClassUid, mediaStorageSopInstanceUid: raw.sopInstanceUid, transferSyntaxUid: raw.transferSyntaxUid }), raw.loadDataset()]);
    const inst = prepareBytes(bytes);
    series.add(inst.series);
    assert.equal((await putInstance(url, t.agentA.credential, inst)).status, 201);
  }
  assert.equal(series.size, 2);

  const page = await browser.newPage({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}/studies/${made.studyInstanceUid}/viewer?lang=en#token=${t.tokens.radiologist}`);
  await page.waitForSelector('[data-testid="viewer-canvas"][data-rendered^="0|"]');
  assert.equal(await page.locator('[data-testid="series-item"]').count(), 2);
  const items = await page.locator('[data-testid="series-item"]').allTextContents();
  const mrIndex = items.findIndex((x) => /MR · 35 images/.test(x));
  const ctIndex = items.findIndex((x) => /CT · 54 images/.test(x));
  assert.ok(mrIndex >= 0 && ctIndex >= 0, `both series listed: ${JSON.stringify(items)}`);
  await page.locator('[data-testid="series-item"]').nth(mrIndex).click();
  await page.waitForSelector('[data-testid="slice-counter"]:text-is("1 / 35")');
  await page.waitForSelector('[data-testid="viewer"][data-complete="true"][data-total="35"]');
  assert.equal(await page.isHidden('[data-testid="preset-bone"]'), true, 'no CT presets on MR');
  await page.keyboard.press('End');
  await page.waitForSelector('[data-testid="viewer-canvas"][data-rendered^="34|"]');
  await page.screenshot({ path: join(shots, 'viewer-mr-series-en.png') });
  await page.locator('[data-testid="series-item"]').nth(ctIndex).click();
  await page.waitForSelector('[data-testid="slice-counter"]:text-is("1 / 54")');
  await page.waitForSelector('[data-testid="viewer-canvas"][data-rendered^="0|"]');
  assert.equal(await page.isVisible('[data-testid="preset-bone"]'), true);
  assert.deepEqual(errors, []);
  await page.close();
});

/** An instance made in memory, ready for putInstance (as the harness's prepare does for files). */
function prepareBytes(bytes: Buffer) {
  const h = parseDicomHeader(bytes);
  return { bytes, sha256: sha256Hex(bytes), sop: h.sopInstanceUid, study: h.studyInstanceUid, series: h.seriesInstanceUid };
}
