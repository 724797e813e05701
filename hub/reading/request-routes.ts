/**
 * The radiologist's request pages (HTML forms):
 *
 * | method | path                  | permission       | also |
 * | ------ | --------------------- | ---------------- | ---- |
 * | GET    | /requests/:id         | requests:read    | the request's case must be open to the user (reading/access.ts) |
 * | POST   | /requests/:id/answer  | requests:answer  | same; form: decision + templateId/protocolText, question or reason |
 *
 * An answer goes through RequestService.answer (stored, queued for the site through the
 * outbox, the clinician told through dispatch), then 303 back to the page. Reads with identity
 * are audited (patient-record); nothing identifying is logged.
 */
import type { FastifyInstance } from 'fastify';
import { userOf } from '../auth/guard.ts';
import { roleMay, userMay } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';
import { HubError } from '../errors.ts';
import { langOf } from '../web/routes.ts';
import type { RequestService, AnswerInput } from '../requests/request-service.ts';
import { assertSameOrigin, formOf, sendPage } from './html.ts';
import { mayOpenCase, type CaseReader } from './access.ts';
import { readingNav } from './nav.ts';
import { requestPage } from './request-page.ts';
import { READING_TEXTS } from './texts.ts';

export interface RequestPageDeps {
  engine: CaseReader;
  requests: RequestService;
}

function answerInput(f: Record<string, string>): AnswerInput | undefined {
  const s = (k: string) => (f[k] ?? '').trim();
  if (f.decision === 'accepted' && s('templateId') && s('templateId').length <= 64 && s('protocolText').length <= 4000) {
    return { decision: 'accepted', templateId: s('templateId'), ...(s('protocolText') ? { protocolText: s('protocolText') } : {}) };
  }
  if (f.decision === 'needs-information' && s('question').length >= 3 && s('question').length <= 2000) return { decision: 'needs-information', question: s('question') };
  if (f.decision === 'declined' && s('reason').length >= 3 && s('reason').length <= 2000) return { decision: 'declined', reason: s('reason') };
  return undefined;
}

export function registerRequestPages(app: FastifyInstance, ctx: HubContext, deps: RequestPageDeps): void {
  const { engine, requests } = deps;

  const load = (request: import('fastify').FastifyRequest) => {
    const u = userOf(request);
    const id = (request.params as { id: string }).id;
    const r = requests.get(id);
    if (!r || !mayOpenCase(engine, u, engine.getCase(id))) throw new HubError('RELAIS_NOT_FOUND');
    return { u, r };
  };

  app.get('/requests/:id', { config: { access: userMay('requests:read'), page: true } }, async (request, reply) => {
    const { u, r } = load(request);
    const lang = langOf(request, ctx.options.defaultLang);
    const withIdentity = roleMay(u.role, 'patient:read');
    await ctx.audit.record({ event: 'patient-record', action: 'request-page', actor: { kind: 'user', id: u.userId, role: u.role }, outcome: 'success', requestId: r.requestId, ip: request.ip });
    const answered = (request.query as Record<string, string>).answered === '1';
    return sendPage(reply, requestPage(lang, readingNav(u.role), r, { withIdentity, mayAnswer: roleMay(u.role, 'requests:answer'), ...(answered ? { message: { kind: 'ok' as const, text: READING_TEXTS[lang].answered } } : {}) }));
  });

  app.post('/requests/:id/answer', { config: { access: userMay('requests:answer'), page: true } }, async (request, reply) => {
    assertSameOrigin(request);
    const { u, r } = load(request);
    const lang = langOf(request, ctx.options.defaultLang);
    const input = answerInput(formOf(request));
    const t = READING_TEXTS[lang];
    if (!input) return sendPage(reply, requestPage(lang, readingNav(u.role), r, { withIdentity: true, mayAnswer: true, message: { kind: 'error', text: t.errInvalid } }), 400);
    try {
      const inRota = u.radiologistId ? engine.rota.radiologists.find((x) => x.id === u.radiologistId) : undefined;
      await requests.answer(r.requestId, input, { userId: u.userId, radiologist: { name: (inRota?.displayName || u.displayName || u.name).slice(0, 120), ...(inRota?.rpps ? { rpps: inRota.rpps } : {}) } });
    } catch (err) {
      if (err instanceof HubError && (err.code === 'RELAIS_BAD_REQUEST' || err.code === 'RELAIS_DISPATCH_INVALID_STATE' || err.code === 'RELAIS_PROTOCOL_INVALID_MESSAGE')) {
        return sendPage(reply, requestPage(lang, readingNav(u.role), requests.get(r.requestId) ?? r, { withIdentity: true, mayAnswer: true, message: { kind: 'error', text: err.code === 'RELAIS_DISPATCH_INVALID_STATE' ? t.errState : t.errInvalid } }), 400);
      }
      throw err;
    }
    return reply.code(303).header('location', `/requests/${encodeURIComponent(r.requestId)}?answered=1`).send();
  });
}
