/**
 * Reconciliation routes (permission `reconcile`: operators, admins):
 *
 * | method | path                                 | what |
 * | ------ | ------------------------------------ | ---- |
 * | GET    | /reconciliation                      | the page (held studies, values side by side) |
 * | POST   | /reconciliation/:study/attach        | form: requestId, note |
 * | POST   | /reconciliation/:study/release       | form: note (unsolicited) |
 *
 * Page reads are audited (query, count only); decisions by the Reconciler (audit + timeline).
 */
import type { FastifyInstance } from 'fastify';
import { assertValid } from '../../protocol/validate.ts';
import { Uid } from '../../protocol/common.ts';
import { userOf } from '../auth/guard.ts';
import { userMay } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';
import { HubError } from '../errors.ts';
import { langOf } from '../web/routes.ts';
import { assertSameOrigin, formOf, sendPage } from './html.ts';
import { readingNav } from './nav.ts';
import { reconcilePage } from './reconcile-page.ts';
import type { Reconciler } from './reconcile.ts';
import { READING_TEXTS } from './texts.ts';

export function registerReconcilePages(app: FastifyInstance, ctx: HubContext, reconciler: Reconciler): void {
  const access = { access: userMay('reconcile'), page: true };

  app.get('/reconciliation', { config: access }, async (request, reply) => {
    const u = userOf(request);
    const lang = langOf(request, ctx.options.defaultLang);
    const held = await reconciler.held();
    await ctx.audit.record({ event: 'query', action: 'reconciliation-page', actor: { kind: 'user', id: u.userId, role: u.role }, outcome: 'success', count: held.length, ip: request.ip });
    const done = (request.query as Record<string, string>).done === '1';
    return sendPage(reply, reconcilePage(lang, readingNav(u.role), held, done ? { kind: 'ok', text: READING_TEXTS[lang].decided } : undefined));
  });

  const decide = (kind: 'attach' | 'release') =>
    app.post(`/reconciliation/:study/${kind}`, { config: access }, async (request, reply) => {
      assertSameOrigin(request);
      const u = userOf(request);
      const uid = (request.params as { study: string }).study;
      assertValid(Uid, uid);
      const f = formOf(request);
      const note = (f.note ?? '').slice(0, 500);
      try {
        if (kind === 'attach') await reconciler.attach(uid, (f.requestId ?? '').slice(0, 64), note, { userId: u.userId, role: u.role });
        else await reconciler.release(uid, note, { userId: u.userId, role: u.role });
      } catch (err) {
        if (err instanceof HubError && (err.code === 'RELAIS_DISPATCH_INVALID_STATE' || err.code === 'RELAIS_NOT_FOUND')) {
          const lang = langOf(request, ctx.options.defaultLang);
          return sendPage(reply, reconcilePage(lang, readingNav(u.role), await reconciler.held(), { kind: 'error', text: READING_TEXTS[lang].errState }), err.code === 'RELAIS_NOT_FOUND' ? 404 : 409);
        }
        throw err;
      }
      return reply.code(303).header('location', '/reconciliation?done=1').send();
    });
  decide('attach');
  decide('release');
}
