/**
 * The radiologist's viewer (GET /studies/:uid/viewer): the study's series (QIDO-RS), one
 * series as a stack of slices fetched progressively by WADO-RS (stack-loader.ts) with a
 * progress bar, drawn on a canvas: window/level (dataset VOI by default, CT presets, free by
 * drag), zoom, pan, distance in mm, reset. Scroll by wheel, arrow keys, Page Up/Down, Home/End
 * or the slider. Image pixels are drawn nearest-neighbour, so a canvas pixel is exactly the
 * windowed value of the image pixel under it; the canvas exposes `data-view` (scale, offsets)
 * and `data-rendered` (slice|center|width) for tests. Texts from ../texts.ts (page language).
 */
import { VIEWER_TEXTS, type ViewerLang, type ViewerTextKey } from '../texts.ts';
import type { DecodedFrame, PixelModule } from './pixels.ts';
import type { ParsedInstance } from './dicom-instance.ts';
import { CT_PRESETS, PRESET_NAMES, defaultWindow, dragWindow, renderRgba, type PresetName, type Window } from './windowing.ts';
import { distance, fitView, panBy, toCanvas, toImage, zoomAt, type Point, type View } from './viewport.ts';
import { StackLoader, first, qidoAll, seriesInstances, text, type DicomJson } from './stack-loader.ts';

type Tool = 'window' | 'pan' | 'zoom' | 'measure';
interface Slice {
  inst: number;
  frame: number;
  data?: DecodedFrame;
  module?: PixelModule;
  where?: ParsedInstance['where'];
  failed?: string;
}
interface Measure {
  slice: number;
  a: Point;
  b: Point;
}

const lang: ViewerLang = document.documentElement.lang === 'en' ? 'en' : 'fr';
const T = (k: ViewerTextKey) => VIEWER_TEXTS[lang][k];
const $ = <E extends HTMLElement>(id: string) => document.getElementById(id) as E;

const root = $('viewer');
const study = root.dataset.study ?? '';
const canvas = $<HTMLCanvasElement>('viewer-canvas');
const ctx = canvas.getContext('2d')!;
const wrap = $('canvas-wrap');
const slider = $<HTMLInputElement>('slice-slider');
const counter = $('slice-counter');
const progress = $<HTMLProgressElement>('load-progress');
const loadStatus = $('load-status');
const message = $('viewer-message');
const readout = $('window-readout');
const sliceInfo = $('slice-info');
const off = document.createElement('canvas');
const offCtx = off.getContext('2d')!;

let loader: StackLoader | undefined;
let slices: Slice[] = [];
let index = 0;
let view: View | undefined;
let userView = false;
let win: Window | undefined;
let tool: Tool = 'window';
let measures: Measure[] = [];
let draft: Measure | undefined;
let modality = '';
let frameToken = 0;

if (new URLSearchParams(location.search).has('lang')) document.cookie = `relais_lang=${lang}; Path=/; Max-Age=31536000; SameSite=Strict`;

function setMessage(s: string): void {
  message.textContent = s;
}

function schedule(): void {
  const token = ++frameToken;
  requestAnimationFrame(() => {
    if (token === frameToken) draw();
  });
}

function effectiveWindow(f: DecodedFrame | undefined): Window | undefined {
  if (!f || f.kind !== 'grey') return undefined;
  return win ?? defaultWindow(f);
}

function fitCanvas(): boolean {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(wrap.clientWidth * dpr));
  const h = Math.max(1, Math.round(wrap.clientHeight * dpr));
  if (canvas.width === w && canvas.height === h) return false;
  canvas.width = w;
  canvas.height = h;
  return true;
}

function draw(): void {
  if (fitCanvas() && !userView) view = undefined;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  counter.textContent = slices.length ? `${index + 1} / ${slices.length}` : '–';
  slider.max = String(Math.max(1, slices.length));
  slider.value = String(index + 1);
  canvas.dataset.slice = String(index);
  const s = slices[index];
  const f = s?.data;
  sliceInfo.textContent = s ? cornerText(s) : '';
  if (!s || !f) {
    delete canvas.dataset.rendered;
    setMessage(s?.failed ? `${T('unsupported')} ${s.failed}` : slices.length ? `${T('loading')}…` : '');
    return;
  }
  setMessage('');
  if (off.width !== f.width || off.height !== f.height) {
    off.width = f.width;
    off.height = f.height;
  }
  const img = offCtx.createImageData(f.width, f.height);
  const w = effectiveWindow(f);
  renderRgba(f, w, img.data);
  offCtx.putImageData(img, 0, 0);
  view ??= fitView(f.width, f.height, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = false;
  ctx.setTransform(view.scale, 0, 0, view.scale, view.offsetX, view.offsetY);
  ctx.drawImage(off, 0, 0);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  for (const m of [...measures.filter((x) => x.slice === index), ...(draft ? [draft] : [])]) drawMeasure(m, s.module?.pixelSpacing);
  readout.textContent = w ? `C ${round(w.center)} · L ${round(w.width)}` : 'RGB';
  canvas.dataset.view = `${view.scale},${view.offsetX},${view.offsetY}`;
  canvas.dataset.rendered = `${index}|${w ? `${w.center}|${w.width}` : 'rgb'}`;
}

function cornerText(s: Slice): string {
  const lines = [`${s.where?.instanceNumber !== undefined ? `Im ${s.where.instanceNumber}` : ''}${s.frame > 0 ? ` · fr ${s.frame + 1}` : ''}`];
  if (s.where?.sliceLocation !== undefined) lines.push(`${T('location')} ${s.where.sliceLocation.toFixed(1)} mm`);
  if (s.where?.sliceThickness !== undefined) lines.push(`${T('thickness')} ${s.where.sliceThickness.toFixed(1)} mm`);
  if (s.data) lines.push(`${s.data.width} × ${s.data.height}`);
  return lines.filter(Boolean).join('\n');
}

const round = (v: number) => (Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 10) / 10);

function drawMeasure(m: Measure, spacing: [number, number] | undefined): void {
  if (!view) return;
  const a = toCanvas(view, m.a);
  const b = toCanvas(view, m.b);
  ctx.strokeStyle = '#ffd479';
  ctx.fillStyle = '#ffd479';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(a.x, a.y);
  ctx.lineTo(b.x, b.y);
  ctx.stroke();
  const d = distance(m.a, m.b, spacing);
  ctx.font = '13px system-ui, sans-serif';
  ctx.fillText(`${d.value.toFixed(1)} ${d.unit}`, b.x + 6, b.y - 6);
}

function go(i: number): void {
  if (slices.length === 0) return;
  index = Math.min(slices.length - 1, Math.max(0, i));
  const s = slices[index];
  if (s && !s.data && !s.failed) loader?.want(s.inst);
  schedule();
}

function setPreset(p: PresetName | 'default'): void {
  root.dataset.preset = p;
  win = p === 'default' ? undefined : { ...CT_PRESETS[p] };
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-preset]')) b.setAttribute('aria-pressed', String(b.dataset.preset === p));
  schedule();
}

function setTool(t: Tool): void {
  tool = t;
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-tool]')) b.setAttribute('aria-pressed', String(b.dataset.tool === t));
}

function reset(): void {
  view = undefined;
  userView = false;
  measures = [];
  setPreset('default');
}

async function openSeries(uid: string, mod: string, count: number, button: HTMLButtonElement): Promise<void> {
  loader?.stop();
  for (const b of document.querySelectorAll<HTMLButtonElement>('#series-list button')) b.setAttribute('aria-pressed', String(b === button));
  root.dataset.series = uid;
  modality = mod;
  for (const b of document.querySelectorAll<HTMLButtonElement>('.ct-only')) b.hidden = modality !== 'CT';
  slices = [];
  index = 0;
  measures = [];
  view = undefined;
  userView = false;
  setPreset('default');
  let refs;
  try {
    refs = await seriesInstances(study, uid, count);
  } catch {
    setMessage(T('networkError'));
    return;
  }
  if (root.dataset.series !== uid) return;
  slices = refs.flatMap((r, inst) => Array.from({ length: r.frames }, (_, frame) => ({ inst, frame })));
  const firstSlice = refs.map((r) => r.frames).map((_, i, a) => a.slice(0, i).reduce((n, x) => n + x, 0));
  const l = new StackLoader(study, uid, refs, {
    onFrames(inst, frames, module, where) {
      frames.forEach((f, k) => {
        const s = slices[firstSlice[inst]! + k];
        if (s) Object.assign(s, { data: f, module, where });
      });
      if (slices[index]?.inst === inst) schedule();
    },
    onFailed(inst, reason) {
      for (const s of slices) if (s.inst === inst) s.failed = reason;
      if (slices[index]?.inst === inst) schedule();
    },
    onProgress(done, failed, total) {
      progress.max = Math.max(1, total);
      progress.value = done + failed;
      loadStatus.textContent = done + failed < total ? `${T('loading')} ${done + failed} / ${total}` : `${done} ${T(done === 1 ? 'loadedOne' : 'loaded')}${failed ? ` · ${failed} ${T('failed')}` : ''}`;
      root.dataset.loaded = String(done);
      root.dataset.total = String(total);
      if (done + failed === total) root.dataset.complete = 'true';
    },
  });
  delete root.dataset.complete;
  loader = l;
  go(0);
  l.start();
}

async function loadStudy(): Promise<void> {
  const header = qidoAll(`/dicomweb/studies?StudyInstanceUID=${encodeURIComponent(study)}`).then(
    ([info]) => {
      if (!info) return undefined;
      const date = text(info, '00080020');
      const name = text(info, '00100010').replace(/\^+/g, ' ').trim(); // PN components, as a person reads them
      const parts = [name, date ? `${date.slice(6, 8)}/${date.slice(4, 6)}/${date.slice(0, 4)}` : '', text(info, '00081030'), (info['00080061']?.Value ?? []).join('/')];
      const el = document.querySelector<HTMLElement>('[data-testid="study-info"]');
      if (el) el.textContent = parts.filter(Boolean).join(' · ');
      return Number(first(info, '00201206') ?? 0) || undefined;
    },
    () => undefined, // the header line is a convenience; the series list says if the hub is away
  );
  let series: DicomJson[];
  try {
    // Series in parallel with the header; a study with more series than one page waits for its count.
    series = await qidoAll(`/dicomweb/studies/${encodeURIComponent(study)}/series`);
    const announced = await header;
    if (announced && series.length < announced) series = await qidoAll(`/dicomweb/studies/${encodeURIComponent(study)}/series`, announced);
  } catch {
    setMessage(T('networkError'));
    return;
  }
  series.sort((a, b) => Number(first(a, '00200011') ?? 0) - Number(first(b, '00200011') ?? 0));
  const list = $('series-list');
  if (series.length === 0) {
    setMessage(T('noSeries'));
    return;
  }
  let firstButton: { uid: string; mod: string; count: number; b: HTMLButtonElement } | undefined;
  for (const s of series) {
    const uid = text(s, '0020000E');
    const mod = text(s, '00080060');
    const count = Number(first(s, '00201209') ?? 0);
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.series = uid;
    b.setAttribute('data-testid', 'series-item');
    const title = document.createElement('span');
    title.textContent = `${text(s, '00200011') ? `#${text(s, '00200011')} ` : ''}${text(s, '0008103E') || uid.slice(-12)}`;
    const sub = document.createElement('span');
    sub.className = 'sub';
    sub.textContent = `${mod} · ${text(s, '00201209')} ${T('images')}`;
    b.append(title, sub);
    b.addEventListener('click', () => void openSeries(uid, mod, count, b));
    const li = document.createElement('li');
    li.append(b);
    list.append(li);
    firstButton ??= { uid, mod, count, b };
  }
  if (firstButton) await openSeries(firstButton.uid, firstButton.mod, firstButton.count, firstButton.b);
}

// ---- input ----
function canvasPoint(e: MouseEvent): Point {
  const r = canvas.getBoundingClientRect();
  return { x: ((e.clientX - r.left) * canvas.width) / r.width, y: ((e.clientY - r.top) * canvas.height) / r.height };
}

canvas.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault();
    if (e.ctrlKey) {
      if (!view) return;
      view = zoomAt(view, Math.exp(-e.deltaY * 0.002), canvasPoint(e));
      userView = true;
      schedule();
      return;
    }
    go(index + (e.deltaY > 0 ? 1 : e.deltaY < 0 ? -1 : 0));
  },
  { passive: false },
);

let drag: { button: number; start: Point; last: Point; win: Window | undefined; view: View | undefined; tool: Tool } | undefined;
canvas.addEventListener('contextmenu', (e) => e.preventDefault());
canvas.addEventListener('pointerdown', (e) => {
  canvas.focus();
  canvas.setPointerCapture(e.pointerId);
  const p = canvasPoint(e);
  const t: Tool = e.button === 1 ? 'pan' : e.button === 2 ? 'zoom' : tool;
  drag = { button: e.button, start: p, last: p, win: effectiveWindow(slices[index]?.data), view, tool: t };
  if (t === 'measure' && view) {
    const a = toImage(view, p);
    draft = { slice: index, a, b: a };
  }
});
canvas.addEventListener('pointermove', (e) => {
  if (!drag) return;
  const p = canvasPoint(e);
  const dx = p.x - drag.last.x;
  const dy = p.y - drag.last.y;
  drag.last = p;
  const f = slices[index]?.data;
  if (drag.tool === 'window' && drag.win && f?.kind === 'grey') {
    const range = Math.max(1, (f.maxStored - f.minStored) * Math.abs(f.slope));
    win = dragWindow(drag.win, p.x - drag.start.x, p.y - drag.start.y, Math.max(0.05, range / 1024));
    root.dataset.preset = 'free';
    for (const b of document.querySelectorAll<HTMLButtonElement>('[data-preset]')) b.setAttribute('aria-pressed', 'false');
  } else if (drag.tool === 'pan' && view) {
    view = panBy(view, dx, dy);
    userView = true;
  } else if (drag.tool === 'zoom' && view) {
    view = zoomAt(view, Math.exp(-dy * 0.01), drag.start);
    userView = true;
  } else if (drag.tool === 'measure' && draft && view) {
    draft.b = toImage(view, p);
  }
  schedule();
});
const endDrag = () => {
  if (draft && Math.hypot(draft.b.x - draft.a.x, draft.b.y - draft.a.y) > 0.5) {
    measures.push(draft);
    const d = distance(draft.a, draft.b, slices[draft.slice]?.module?.pixelSpacing);
    root.dataset.lastMeasure = `${d.value.toFixed(1)} ${d.unit}`;
  }
  draft = undefined;
  drag = undefined;
  schedule();
};
canvas.addEventListener('pointerup', endDrag);
canvas.addEventListener('pointercancel', endDrag);
canvas.addEventListener('dblclick', () => reset());

document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement) return; // the slider moves itself (its input event scrolls)
  const k = e.key;
  let handled = true;
  if (k === 'ArrowDown' || k === 'ArrowRight' || k === 'PageDown') go(index + (k === 'PageDown' ? 10 : 1));
  else if (k === 'ArrowUp' || k === 'ArrowLeft' || k === 'PageUp') go(index - (k === 'PageUp' ? 10 : 1));
  else if (k === 'Home') go(0);
  else if (k === 'End') go(slices.length - 1);
  else if (k === 'r' || k === 'R') reset();
  else if (/^[1-4]$/.test(k) && modality === 'CT') setPreset(PRESET_NAMES[Number(k) - 1]!);
  else if (k === '0') setPreset('default');
  else handled = false;
  if (handled) e.preventDefault();
});

slider.addEventListener('input', () => go(Number(slider.value) - 1));
for (const b of document.querySelectorAll<HTMLButtonElement>('[data-tool]')) b.addEventListener('click', () => setTool(b.dataset.tool as Tool));
for (const b of document.querySelectorAll<HTMLButtonElement>('[data-preset]')) b.addEventListener('click', () => setPreset(b.dataset.preset as PresetName | 'default'));
$('viewer-reset').addEventListener('click', () => reset());
$('sign-out').addEventListener('click', () => {
  void fetch('/api/v1/session', { method: 'DELETE', credentials: 'same-origin' }).finally(() => location.replace('/login'));
});
new ResizeObserver(() => schedule()).observe(wrap);

setTool('window');
void loadStudy();
