/**
 * HTML shells of the hub's pages. Texts are filled by the browser code from the dictionaries
 * (i18n.ts); the server puts the initial language's texts in too, so the page reads right
 * before scripts run. Only static markup: no data, no user input is ever interpolated.
 */
import { DICTIONARIES, type Lang, type TextKey } from './i18n.ts';

function shell(lang: Lang, title: string, bodyClass: string, body: string, script: string): string {
  return pageShell(lang, title, bodyClass, body, { script: `/assets/${script}` });
}

/**
 * The document every hub page with browser code is: language, the hub's stylesheet (plus
 * `styles`), one module script. `title` and `body` are inserted as given (escaped by the caller).
 */
export function pageShell(lang: Lang, title: string, bodyClass: string, body: string, head: { script: string; styles?: readonly string[] }): string {
  const styles = ['/assets/app.css', ...(head.styles ?? [])].map((href) => `<link rel="stylesheet" href="${href}">`).join('\n');
  return `<!doctype html>
<html lang="${lang}" data-lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
${styles}
<script type="module" src="${head.script}"></script>
</head>
<body class="${bodyClass}">
${body}
</body>
</html>
`;
}

const langSwitch = (lang: Lang) =>
  `<div class="lang-switch" role="group" aria-label="${DICTIONARIES[lang].language}"><button type="button" data-lang-switch="fr" aria-pressed="${lang === 'fr'}">FR</button><button type="button" data-lang-switch="en" aria-pressed="${lang === 'en'}">EN</button></div>`;

export function loginPage(lang: Lang): string {
  const d = DICTIONARIES[lang];
  const tx = (k: TextKey) => `data-t="${k}">${d[k]}`;
  return shell(
    lang,
    `${d.appName} — ${d.loginTitle}`,
    'login',
    `<div class="card">
  <h1><span class="brand">${d.appName}</span> · <span ${tx('loginTitle')}</span></h1>
  <p ${tx('loginIntro')}</p>
  <form id="login-form" autocomplete="off">
    <label for="login-token" ${tx('tokenLabel')}</label>
    <input id="login-token" name="token" type="password" required spellcheck="false">
    <button id="login-submit" class="primary" type="submit" ${tx('signIn')}</button>
    <div id="login-message" class="message" role="alert"></div>
  </form>
  <div class="foot">${langSwitch(lang)}</div>
</div>`,
    'login.js',
  );
}

/** A page of the navigation bar (only those the signed-in user may open are passed). */
export interface NavItem {
  href: string;
  key: TextKey;
}

function topHeader(lang: Lang, titleKey: TextKey, nav: readonly NavItem[], current: string): string {
  const d = DICTIONARIES[lang];
  const tx = (k: TextKey) => `data-t="${k}">${d[k]}`;
  const links = nav.map((n) => `<a href="${n.href}"${n.href === current ? ' aria-current="page"' : ''} ${tx(n.key)}</a>`).join('');
  return `<header class="top">
  <span class="brand">${d.appName}</span><h1 ${tx(titleKey)}</h1>
  <nav class="nav" aria-label="${d.appName}">${links}</nav>
  <span id="live-state" class="live-state off" ${tx('disconnected')}</span>
  <span class="spacer"></span>
  <span class="who"><span ${tx('signedInAs')}</span> <span id="who"></span></span>
  ${langSwitch(lang)}
  <button id="sign-out" class="ghost" type="button" ${tx('signOut')}</button>
</header>`;
}

export function fleetPage(lang: Lang, nav: readonly NavItem[] = []): string {
  const d = DICTIONARIES[lang];
  const tx = (k: TextKey) => `data-t="${k}">${d[k]}`;
  const th = (k: TextKey) => `<th ${tx(k)}</th>`;
  return shell(
    lang,
    `${d.appName} — ${d.fleetTitle}`,
    'fleet',
    `${topHeader(lang, 'fleetTitle', nav, '/')}
<main>
  <section class="panel" aria-labelledby="agents-title">
    <h2><span id="agents-title" ${tx('agents')}</span><span id="agents-summary" class="summary"></span></h2>
    <table id="agents"><thead><tr>${th('colAgent')}${th('colStatus')}${th('colLastSeen')}${th('colQueue')}${th('colOldest')}${th('colDisk')}${th('colVersion')}${th('colTunnel')}</tr></thead>
    <tbody id="agents-body"></tbody></table>
  </section>
  <section class="panel" aria-labelledby="studies-title">
    <h2><span id="studies-title" ${tx('studies')}</span></h2>
    <table id="studies"><thead><tr>${th('colStudy')}${th('colUrgency')}${th('colStatus')}${th('colModalities')}${th('colProgress')}${th('colReceived')}${th('colUpdated')}</tr></thead>
    <tbody id="studies-body"></tbody></table>
  </section>
</main>`,
    'fleet.js',
  );
}

/** A titled panel whose body (`#<id>-body`) and count (`#<id>-count`) the page's script fills. */
function panel(lang: Lang, id: string, title: TextKey): string {
  return `<section class="panel" id="${id}" aria-labelledby="${id}-title"><h2><span id="${id}-title" data-t="${title}">${DICTIONARIES[lang][title]}</span><span id="${id}-count" class="summary"></span></h2><div class="panel-body" id="${id}-body"></div></section>`;
}

/** A signed-in page: header with navigation, a message line, then `main`, run by `script`. */
function appPage(lang: Lang, nav: readonly NavItem[], path: string, titleKey: TextKey, bodyClass: string, main: string, script: string): string {
  const d = DICTIONARIES[lang];
  return shell(lang, `${d.appName} — ${d[titleKey]}`, bodyClass, `${topHeader(lang, titleKey, nav, path)}
<main>
  <div id="page-message" class="page-message" role="status"></div>
${main}
</main>`, script);
}

const panels = (lang: Lang, list: Array<[string, TextKey]>) => list.map(([id, title]) => `  ${panel(lang, id, title)}`).join('\n');

export function rotaPage(lang: Lang, nav: readonly NavItem[]): string {
  const d = DICTIONARIES[lang];
  return appPage(lang, nav, '/rota', 'rotaTitle', 'rota', `  <section class="panel" id="oncall" aria-labelledby="oncall-title">
    <h2><span id="oncall-title" data-t="onCallTitle">${d.onCallTitle}</span><span id="channels" class="summary"></span></h2>
    <div id="oncall-body" class="oncall-grid"></div>
  </section>
  <p id="read-only" class="note" hidden data-t="readOnlyNote">${d.readOnlyNote}</p>
${panels(lang, [
    ['overrides', 'overridesTitle'], ['swaps', 'swapsTitle'], ['radiologists', 'radiologistsTitle'], ['teams', 'teamsTitle'], ['patterns', 'patternsTitle'],
    ['sites', 'sitesTitle'], ['agreements', 'agreementsTitle'], ['rules', 'rulesTitle'], ['operators', 'operatorsTitle'], ['policy', 'policyTitle'],
    ['transfer', 'importExportTitle'], ['planned', 'plannedTitle'],
  ])}`, 'rota.js');
}

export function casesPage(lang: Lang, nav: readonly NavItem[]): string {
  const d = DICTIONARIES[lang];
  return appPage(lang, nav, '/cases', 'casesTitle', 'cases', `  <section class="panel" aria-labelledby="counters-title"><h2><span id="counters-title" data-t="countersTitle">${d.countersTitle}</span></h2><div id="counters" class="tiles"></div></section>
${panels(lang, [['alerts', 'alertsTitle'], ['waiting', 'waitingTitle'], ['escalating', 'escalatingTitle'], ['deadlines', 'deadlinesTitle'], ['open', 'openTitle'], ['timeline', 'timelineTitle']])}`, 'cases.js');
}

export function myCasesPage(lang: Lang, nav: readonly NavItem[]): string {
  const d = DICTIONARIES[lang];
  return appPage(lang, nav, '/my-cases', 'myCasesTitle', 'my-cases', `  <p class="note" data-t="myCasesIntro">${d.myCasesIntro}</p>
${panels(lang, [['mine', 'myCasesTitle']])}`, 'my-cases.js');
}

export function forbiddenPage(lang: Lang, nav: readonly NavItem[]): string {
  const d = DICTIONARIES[lang];
  const tx = (k: TextKey) => `data-t="${k}">${d[k]}`;
  return shell(
    lang,
    `${d.appName} — ${d.forbiddenTitle}`,
    'forbidden',
    `${topHeader(lang, 'forbiddenTitle', nav, '')}
<main><section class="panel"><div class="panel-body"><p ${tx('forbiddenText')}</p><p><a href="/" ${tx('backHome')}</a></p></div></section></main>`,
    'nav.js',
  );
}
