/**
 * Server-rendered shell of the clinical pages (no script: plain forms, posted same-origin
 * with the SameSite=Strict session cookie), the HTML escaping every value goes through, and
 * the form-body parser of their POST routes. Contract: nothing is interpolated unescaped;
 * headers forbid framing, caching and inline scripts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HubError } from '../errors.ts';
import { READING_TEXTS, type ReadingKey, type ReadingLang } from './texts.ts';

import { escapeHtml as esc } from '../web/escape-html.ts';

export { esc };

export const READING_PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
};

export interface NavLink {
  href: string;
  key: ReadingKey;
}

export function readingShell(lang: ReadingLang, title: string, nav: readonly NavLink[], body: string, message?: { kind: 'ok' | 'error'; text: string }): string {
  const t = READING_TEXTS[lang];
  const links = nav.map((n) => `<a href="${esc(n.href)}">${esc(t[n.key])}</a>`).join('');
  const other: ReadingLang = lang === 'fr' ? 'en' : 'fr';
  return `<!doctype html>
<html lang="${lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">
<title>${esc(t.appName)} — ${esc(title)}</title><link rel="stylesheet" href="/assets/app.css"></head>
<body class="reading">
<header class="top"><span class="brand">${esc(t.appName)}</span><h1>${esc(title)}</h1><nav class="nav">${links}</nav><span class="spacer"></span><a class="lang" href="?lang=${other}">${other.toUpperCase()}</a></header>
<main>
${message ? `<div id="page-message" class="page-message ${message.kind}" role="status">${esc(message.text)}</div>` : ''}
${body}
</main>
</body></html>
`;
}

export function sendPage(reply: FastifyReply, html: string, status = 200): FastifyReply {
  return reply.code(status).headers(READING_PAGE_HEADERS).type('text/html; charset=utf-8').send(html);
}

/** Forms post url-encoded bodies; the parser lives in the scope of the clinical routes only. */
export function acceptForms(scope: FastifyInstance): void {
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) => {
    const out: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(body as string)) out[k] = v;
    done(null, out);
  });
}

/** A form post must come from this hub's own pages (defence besides the SameSite cookie). */
export function assertSameOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (!origin || origin === 'null') return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new HubError('RELAIS_AUTH_FORBIDDEN', 'cross-origin form');
  }
  if (host !== request.headers.host) throw new HubError('RELAIS_AUTH_FORBIDDEN', 'cross-origin form');
}

export function formOf(request: FastifyRequest): Record<string, string> {
  const b = request.body;
  if (!b || typeof b !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(b as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
  return out;
}
