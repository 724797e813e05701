/**
 * Web routes: the fleet page, the dispatch pages (rota for operators and admins, cases for
 * operators and admins, "my cases" for radiologists), each for signed-in users whose role may
 * open it (without a session the sign-in page is served with status 401 at the same URL, so a
 * `#token=` link works anywhere; a role that may not gets an "access refused" page, 403), the
 * sign-in page and the static assets (public: they hold no data). The navigation bar lists
 * only the pages the user may open. Language: `?lang=`, else the `relais_lang` cookie, else
 * the hub's default.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Lang } from './i18n.ts';
import { isLang } from './i18n.ts';
import { PUBLIC, roleMay, userMay, type Permission } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';
import { buildWebAssets, type Asset, type AssetName } from './assets.ts';
import { casesPage, fleetPage, forbiddenPage, loginPage, myCasesPage, rotaPage, type NavItem } from './pages.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An HTML page: a 401 there answers with the sign-in page instead of JSON. */
    page?: boolean;
  }
}

export function langOf(request: FastifyRequest, fallback: Lang): Lang {
  const q = (request.query as Record<string, unknown> | undefined)?.lang;
  if (isLang(q)) return q;
  const c = request.cookies?.relais_lang;
  return isLang(c) ? c : fallback;
}

const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
};

const NAV: ReadonlyArray<NavItem & { permission: Permission }> = [
  { href: '/', key: 'navFleet', permission: 'fleet:read' },
  { href: '/cases', key: 'navCases', permission: 'cases:list' },
  { href: '/rota', key: 'navRota', permission: 'rota:read' },
  { href: '/my-cases', key: 'navMyCases', permission: 'cases:acknowledge' },
  // The clinical pages (hub/reading): requests, reconciliation of held studies, acts.
  { href: '/requests', key: 'navRequests', permission: 'requests:read' },
  { href: '/reconciliation', key: 'navReconcile', permission: 'reconcile' },
  { href: '/acts', key: 'navActs', permission: 'cases:list' },
];

function navFor(request: FastifyRequest): NavItem[] {
  const p = request.principal;
  if (!p || p.kind !== 'user') return [];
  return NAV.filter((n) => roleMay(p.role, n.permission)).map(({ href, key }) => ({ href, key }));
}

export function sendForbiddenPage(request: FastifyRequest, reply: import('fastify').FastifyReply, ctx: HubContext) {
  return reply.code(403).headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(forbiddenPage(langOf(request, ctx.options.defaultLang), navFor(request)));
}

export function sendLoginPage(request: FastifyRequest, reply: import('fastify').FastifyReply, ctx: HubContext, status: number) {
  return reply.code(status).headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(loginPage(langOf(request, ctx.options.defaultLang)));
}

export function registerWeb(app: FastifyInstance, ctx: HubContext): void {
  let assets: Promise<Map<AssetName, Asset>> | undefined;
  const getAssets = () => {
    assets ??= buildWebAssets();
    assets.catch(() => {
      assets = undefined;
    });
    return assets;
  };

  const page = (path: string, permission: Permission, render: (lang: ReturnType<typeof langOf>, nav: NavItem[]) => string) =>
    app.get(path, { config: { access: userMay(permission), page: true } }, async (request, reply) =>
      reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(render(langOf(request, ctx.options.defaultLang), navFor(request))));
  page('/', 'self', fleetPage);
  page('/rota', 'rota:read', rotaPage);
  page('/cases', 'cases:list', casesPage);
  page('/my-cases', 'cases:acknowledge', myCasesPage);

  app.get('/login', { config: { access: PUBLIC, page: true } }, async (request, reply) => sendLoginPage(request, reply, ctx, 200));

  app.get('/assets/:name', { config: { access: PUBLIC } }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const a = (await getAssets()).get(name as AssetName);
    if (!a) return reply.code(404).send({ error: { code: 'RELAIS_NOT_FOUND', message: 'Not found.', retryable: false } });
    if (request.headers['if-none-match'] === a.etag) return reply.code(304).send();
    return reply.header('etag', a.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').type(a.type).send(a.body);
  });
}
