/**
 * The viewer page, GET /studies/:studyUid/viewer (FR by default, `?lang=en`), for the roles
 * that read worklists (radiologist, operator, admin: permission `worklist:read`); without a
 * session the sign-in page answers 401 at the same URL, other roles get the "access refused"
 * page (403). Every opening is audited (DCM 110103, action `viewer-open`) before the page is
 * sent; an unknown study answers a 404 page. The images themselves come from DICOMweb, each
 * retrieval audited there. The viewer's code and stylesheet (/viewer/assets/) are served to
 * the same roles (they hold no data; this keeps the hub's public surface unchanged).
 */
import type { FastifyInstance } from 'fastify';
import { userMay } from '../auth/roles.ts';
import { userOf } from '../auth/guard.ts';
import type { HubContext } from '../context.ts';
import { assertUid } from '../dicomweb/qido.ts';
import { langOf } from '../web/routes.ts';
import { buildViewerAssets, type ViewerAsset } from './assets.ts';
import { viewerNotFoundPage, viewerPage } from './page.ts';

const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
};

export function registerViewer(app: FastifyInstance, ctx: HubContext): void {
  let assets: Promise<Map<string, ViewerAsset>> | undefined;
  const getAssets = () => {
    assets ??= buildViewerAssets();
    assets.catch(() => {
      assets = undefined;
    });
    return assets;
  };

  const access = userMay('worklist:read');
  app.get('/studies/:study/viewer', { config: { access, page: true } }, async (request, reply) => {
    const user = userOf(request);
    const { study: studyUid } = request.params as { study: string };
    assertUid(studyUid, 'study');
    const lang = langOf(request, ctx.options.defaultLang);
    const known = await ctx.catalog.get(studyUid);
    await ctx.audit.record({
      event: 'instances-accessed', action: 'viewer-open', actor: { kind: 'user', id: user.userId, role: user.role },
      outcome: known ? 'success' : 'failure', ip: request.ip, studyInstanceUid: studyUid, ...(known ? {} : { result: 'RELAIS_NOT_FOUND' }),
    });
    reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8');
    if (!known) return reply.code(404).send(viewerNotFoundPage(lang));
    return reply.send(viewerPage(lang, studyUid));
  });

  app.get('/viewer/assets/:name', { config: { access } }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const a = (await getAssets()).get(name);
    if (!a) return reply.code(404).send({ error: { code: 'RELAIS_NOT_FOUND', message: 'Not found.', retryable: false } });
    if (request.headers['if-none-match'] === a.etag) return reply.code(304).send();
    return reply.header('etag', a.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').type(a.type).send(a.body);
  });
}
