/**
 * The viewer's HTML shell: header (back to the worklist, FR/EN, sign out), the series list,
 * the toolbar, the canvas and the stack bar, every control with a stable `data-testid` for
 * browser tests. Static markup plus the study UID (already checked to be a UID, escaped anyway);
 * the browser code fills the rest from QIDO-RS / WADO-RS.
 */
import { VIEWER_TEXTS, type ViewerLang, type ViewerTextKey } from './texts.ts';
import { PRESET_NAMES } from './client/windowing.ts';
import { escapeHtml as esc } from '../web/escape-html.ts';
import { pageShell } from '../web/pages.ts';


export function viewerPage(lang: ViewerLang, studyUid: string): string {
  const d = VIEWER_TEXTS[lang];
  const tx = (k: ViewerTextKey) => `data-t="${k}">${esc(d[k])}`;
  const tool = (id: string, k: ViewerTextKey, pressed = false) =>
    `<button type="button" class="tool" data-tool="${id}" data-testid="tool-${id}" aria-pressed="${pressed}" ${tx(k)}</button>`;
  const presets = PRESET_NAMES.map((p, i) => `<button type="button" class="preset ct-only" data-preset="${p}" data-testid="preset-${p}" title="${i + 1}" ${tx(`preset_${p}`)}</button>`).join('');
  const other = lang === 'fr' ? 'en' : 'fr';
  return pageShell(lang, `Relais — ${esc(d.title)}`, 'viewer-page', `<header class="top">
  <span class="brand">Relais</span><h1 ${tx('title')}</h1>
  <nav class="nav"><a href="/my-cases" data-testid="viewer-back" ${tx('back')}</a></nav>
  <span class="study-info" data-testid="study-info"></span>
  <span class="spacer"></span>
  <a class="lang-link" data-testid="lang-${other}" href="?lang=${other}">${other.toUpperCase()}</a>
  <button id="sign-out" class="ghost" type="button" ${tx('signOut')}</button>
</header>
<main class="viewer" id="viewer" data-study="${esc(studyUid)}" data-testid="viewer">
  <aside class="series-panel">
    <h2 ${tx('series')}</h2>
    <ul id="series-list" data-testid="series-list"></ul>
  </aside>
  <section class="stage">
    <div class="toolbar" role="toolbar" data-testid="viewer-toolbar">
      ${tool('window', 'toolWindow', true)}${tool('pan', 'toolPan')}${tool('zoom', 'toolZoom')}${tool('measure', 'toolMeasure')}
      <span class="sep"></span>
      <button type="button" class="preset" data-preset="default" data-testid="preset-default" ${tx('presetDefault')}</button>${presets}
      <span class="sep"></span>
      <button type="button" data-testid="viewer-reset" id="viewer-reset" ${tx('reset')}</button>
      <span class="spacer"></span>
      <span class="readout" id="window-readout" data-testid="window-readout"></span>
    </div>
    <div class="canvas-wrap" id="canvas-wrap">
      <canvas id="viewer-canvas" data-testid="viewer-canvas" tabindex="0"></canvas>
      <div class="overlay" id="viewer-message" data-testid="viewer-message" role="status"></div>
      <div class="corner" id="slice-info" data-testid="slice-info"></div>
    </div>
    <div class="stack-bar">
      <span ${tx('slice')}</span>
      <input type="range" id="slice-slider" data-testid="slice-slider" min="1" max="1" value="1" aria-label="${esc(d.slice)}">
      <span class="mono" id="slice-counter" data-testid="slice-counter">–</span>
      <progress id="load-progress" data-testid="load-progress" max="1" value="0"></progress>
      <span id="load-status" data-testid="load-status"></span>
    </div>
    <p class="help" ${tx('help')}</p>
  </section>
</main>`, { script: '/viewer/assets/viewer.js', styles: ['/viewer/assets/viewer.css'] });
}

export function viewerNotFoundPage(lang: ViewerLang): string {
  const d = VIEWER_TEXTS[lang];
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>Relais — ${esc(d.title)}</title><link rel="stylesheet" href="/assets/app.css"></head>
<body><main><h1>${esc(d.notFound)}</h1><p><a href="/my-cases">${esc(d.back)}</a></p></main></body></html>
`;
}
