/**
 * HTTP routes of the clinical loop at the hub (users):
 *
 * | method | path                                   | permission       |
 * | ------ | -------------------------------------- | ---------------- |
 * | GET    | /api/v1/requests                       | requests:read (identity only with patient:read) |
 * | GET    | /api/v1/requests/:id                   | requests:read (same) |
 * | POST   | /api/v1/requests/:id/answer            | requests:answer  |
 * | GET    | /api/v1/exam-types                     | requests:read    |
 * | POST   | /api/v1/studies/:study/report          | (moved: hub/reading/report-routes.ts, signature required) |
 * | GET    | /api/v1/reports/:id                    | requests:read    |
 * | GET    | /api/v1/reconciliation                 | reconcile        |
 * | GET    | /requests                              | requests:read (HTML list) |
 *
 * Bodies are validated (TypeBox); errors answer ErrorBody. The answer's radiologist is the
 * signed-in user (display name; RPPS when the body gives it); reports likewise.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { assertValid } from '../../protocol/validate.ts';
import { EXAM_TYPES } from '../../protocol/exams.ts';
import { HubError } from '../errors.ts';
import { userOf } from '../auth/guard.ts';
import type { UserPrincipal } from '../auth/authenticator.ts';
import { roleMay, userMay } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';
import { langOf } from '../web/routes.ts';
import type { HubRequestRecord } from './request-store.ts';
import type { RequestService } from './request-service.ts';
import type { ReportService } from '../reports/report-service.ts';
import { requestsPage } from './page.ts';

const Rpps = Type.String({ pattern: '^[0-9]{11}$' });
const AnswerBody = Type.Union([
  Type.Object({ decision: Type.Literal('accepted'), templateId: Type.String({ minLength: 1, maxLength: 64 }), protocolText: Type.Optional(Type.String({ maxLength: 4000 })), rpps: Type.Optional(Rpps) }, { additionalProperties: false }),
  Type.Object({ decision: Type.Literal('needs-information'), question: Type.String({ minLength: 3, maxLength: 2000 }), rpps: Type.Optional(Rpps) }, { additionalProperties: false }),
  Type.Object({ decision: Type.Literal('declined'), reason: Type.String({ minLength: 3, maxLength: 2000 }), rpps: Type.Optional(Rpps) }, { additionalProperties: false }),
]);
/** What a role may see of a request: everything with patient:read, else no identity. */
export function requestView(r: HubRequestRecord, withIdentity: boolean): Record<string, unknown> {
  const { request, ...rest } = r;
  const { patient, requester, ...req } = request;
  return withIdentity ? { ...rest, request } : { ...rest, request: { ...req, requester: { name: requester.name } } };
}

export interface RequestRouteDeps {
  requests: RequestService;
  reports: ReportService;
  /** Whether a user may see a request's case (hub/reading/access.ts); absent: every holder of the permission. */
  mayOpen?: (user: UserPrincipal, requestId: string) => boolean;
}

export function registerRequestRoutes(app: FastifyInstance, ctx: HubContext, deps: RequestRouteDeps): void {
  const { requests, reports } = deps;
  const visible = (u: UserPrincipal, r: HubRequestRecord) => !deps.mayOpen || deps.mayOpen(u, r.requestId);

  app.get('/api/v1/exam-types', { config: { access: userMay('requests:read') } }, async () => ({ examTypes: EXAM_TYPES }));

  app.get('/api/v1/requests', { config: { access: userMay('requests:read') } }, async (request) => {
    const u = userOf(request);
    const withIdentity = roleMay(u.role, 'patient:read');
    return { requests: requests.list().filter((r) => visible(u, r)).map((r) => requestView(r, withIdentity)) };
  });

  app.get('/api/v1/requests/:id', { config: { access: userMay('requests:read') } }, async (request) => {
    const u = userOf(request);
    const r = requests.get((request.params as { id: string }).id);
    if (!r || !visible(u, r)) throw new HubError('RELAIS_NOT_FOUND');
    const withIdentity = roleMay(u.role, 'patient:read');
    if (withIdentity) await ctx.audit.record({ event: 'patient-record', action: 'request-read', actor: { kind: 'user', id: u.userId, role: u.role }, outcome: 'success', requestId: r.requestId, ip: request.ip });
    return requestView(r, withIdentity);
  });

  app.post('/api/v1/requests/:id/answer', { config: { access: userMay('requests:answer') }, bodyLimit: 64 * 1024 }, async (request) => {
    const u = userOf(request);
    const body = assertValid(AnswerBody, request.body);
    const id = (request.params as { id: string }).id;
    const existing = requests.get(id);
    if (!existing || !visible(u, existing)) throw new HubError('RELAIS_NOT_FOUND');
    const radiologist = { name: (u.displayName || u.name).slice(0, 120), ...(body.rpps ? { rpps: body.rpps } : {}) };
    const input =
      body.decision === 'accepted'
        ? { decision: 'accepted' as const, templateId: body.templateId, ...(body.protocolText ? { protocolText: body.protocolText } : {}) }
        : body.decision === 'needs-information'
          ? { decision: 'needs-information' as const, question: body.question }
          : { decision: 'declined' as const, reason: body.reason };
    const rec = await requests.answer(id, input, { userId: u.userId, radiologist });
    return { requestId: rec.requestId, status: rec.status, answer: rec.answers.at(-1) };
  });

  app.get('/api/v1/reports/:id', { config: { access: userMay('requests:read') } }, async (request) => {
    const r = reports.get((request.params as { id: string }).id);
    // The report's case is its request's, or its study's own: not yours answers 404 like the rest.
    if (!r || (deps.mayOpen && !deps.mayOpen(userOf(request), r.requestId ?? r.studyInstanceUid))) throw new HubError('RELAIS_NOT_FOUND');
    const { text, conclusion, patient, ...meta } = r;
    return meta;
  });

  app.get('/api/v1/reconciliation', { config: { access: userMay('reconcile') } }, async (request) => {
    const u = userOf(request);
    const held = (await ctx.catalog.live()).filter((s) => s.hold);
    await ctx.audit.record({ event: 'query', action: 'reconciliation-list', actor: { kind: 'user', id: u.userId, role: u.role }, outcome: 'success', count: held.length, ip: request.ip });
    return {
      studies: held.map((s) => {
        const req = s.hold?.requestId ? requests.get(s.hold.requestId) : undefined;
        return {
          studyInstanceUid: s.studyInstanceUid,
          agentId: s.agentId,
          status: s.status,
          hold: s.hold,
          /** The original values the modality sent, kept as they are. */
          study: { patient: s.patient, accessionNumber: s.dicom.accessionNumber ?? null, studyDate: s.dicom.studyDate ?? null },
          request: req ? { requestId: req.requestId, accessionNumber: req.request.accessionNumber, studyInstanceUid: req.request.studyInstanceUid, patient: req.request.patient } : null,
        };
      }),
    };
  });

  app.get('/requests', { config: { access: userMay('requests:read'), page: true } }, async (request, reply) => {
    const u = userOf(request);
    const lang = langOf(request, ctx.options.defaultLang);
    const held = roleMay(u.role, 'reconcile') ? (await ctx.catalog.live()).filter((s) => s.hold) : [];
    return reply
      .headers({ 'content-security-policy': "default-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'", 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
      .type('text/html; charset=utf-8')
      .send(requestsPage(lang, requests.list().filter((r) => visible(u, r)), held, roleMay(u.role, 'patient:read')));
  });
}
