/**
 * Web routes: the fleet page (signed-in users; without a session the sign-in page is served
 * with status 401 at the same URL, so a `#token=` link works anywhere), the sign-in page and
 * the static assets (public: they hold no data). Language: `?lang=`, else the `relais_lang`
 * cookie, else the hub's default.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Lang } from './i18n.ts';
import { isLang } from './i18n.ts';
import { PUBLIC, userMay } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';
import { buildWebAssets, type Asset, type AssetName } from './assets.ts';
import { fleetPage, loginPage } from './pages.ts';

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

  app.get('/', { config: { access: userMay('self'), page: true } }, async (request, reply) => {
    return reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(fleetPage(langOf(request, ctx.options.defaultLang)));
  });

  app.get('/login', { config: { access: PUBLIC, page: true } }, async (request, reply) => sendLoginPage(request, reply, ctx, 200));

  app.get('/assets/:name', { config: { access: PUBLIC } }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const a = (await getAssets()).get(name as AssetName);
    if (!a) return reply.code(404).send({ error: { code: 'RELAIS_NOT_FOUND', message: 'Not found.', retryable: false } });
    if (request.headers['if-none-match'] === a.etag) return reply.code(304).send();
    return reply.header('etag', a.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').type(a.type).send(a.body);
  });
}
