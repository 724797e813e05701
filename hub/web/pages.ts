/**
 * HTML shells of the hub's pages. Texts are filled by the browser code from the dictionaries
 * (i18n.ts); the server puts the initial language's texts in too, so the page reads right
 * before scripts run. Only static markup: no data, no user input is ever interpolated.
 */
import { DICTIONARIES, type Lang, type TextKey } from './i18n.ts';

function shell(lang: Lang, title: string, bodyClass: string, body: string, script: string): string {
  return `<!doctype html>
<html lang="${lang}" data-lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/${script}"></script>
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

export function fleetPage(lang: Lang): string {
  const d = DICTIONARIES[lang];
  const tx = (k: TextKey) => `data-t="${k}">${d[k]}`;
  const th = (k: TextKey) => `<th ${tx(k)}</th>`;
  return shell(
    lang,
    `${d.appName} — ${d.fleetTitle}`,
    'fleet',
    `<header class="top">
  <span class="brand">${d.appName}</span><h1 ${tx('fleetTitle')}</h1>
  <span id="live-state" class="live-state off" ${tx('disconnected')}</span>
  <span class="spacer"></span>
  <span class="who"><span ${tx('signedInAs')}</span> <span id="who"></span></span>
  ${langSwitch(lang)}
  <button id="sign-out" class="ghost" type="button" ${tx('signOut')}</button>
</header>
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
