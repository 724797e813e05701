/**
 * Report editor routes (pages with forms) and the signed-report API:
 *
 * | method | path                               | permission        | also |
 * | ------ | ---------------------------------- | ----------------- | ---- |
 * | GET    | /studies/:study/report             | worklist:read     | the study's case open to the user (access.ts) |
 * | POST   | /studies/:study/report             | reports:send      | form: action=save (draft) or sign (password [+ totp]) |
 * | POST   | /studies/:study/report/addenda     | reports:send      | form: text, password [+ totp] |
 * | POST   | /studies/:study/take               | cases:acknowledge | take the case in charge (alert 2) |
 * | POST   | /api/v1/studies/:study/report      | reports:send      | JSON: the same signature (password, totp): no unsigned report leaves |
 *
 * Refusals re-render the page with the reason (400/403), never a stack; signature failures
 * are audited by the desk. Reads are audited (patient-record, study UID only).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { assertValid } from '../../protocol/validate.ts';
import { Uid } from '../../protocol/common.ts';
import { userOf } from '../auth/guard.ts';
import type { UserPrincipal } from '../auth/authenticator.ts';
import { roleMay, userMay } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';
import { HubError } from '../errors.ts';
import { langOf } from '../web/routes.ts';
import type { ReportService, ReportRecord } from '../reports/report-service.ts';
import type { DispatchEngine } from '../dispatch/engine.ts';
import { DispatchError } from '../dispatch/engine.ts';
import { assertSameOrigin, formOf, sendPage } from './html.ts';
import { mayOpenCase } from './access.ts';
import { readingNav } from './nav.ts';
import { reportPage } from './report-page.ts';
import { reportTemplate, templatesFor } from './report-templates.ts';
import { ReportStateError, type ReportDraft } from './report-document.ts';
import { ReportDesk, SignatureRefused, type SignerRef } from './report-desk.ts';
import type { SigningCredentials } from './signing-credentials.ts';
import { READING_TEXTS, type ReadingKey, type ReadingLang } from './texts.ts';

export interface ReportRouteDeps {
  engine: DispatchEngine;
  caseIdOf: (studyInstanceUid: string) => string;
  desk: ReportDesk;
  reports: ReportService;
  credentials: SigningCredentials;
}

const Rpps = Type.String({ pattern: '^[0-9]{11}$' });
const ReportApiBody = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    text: Type.String({ minLength: 1, maxLength: 60_000 }),
    conclusion: Type.Optional(Type.String({ maxLength: 10_000 })),
    critical: Type.Boolean(),
    criticalCall: Type.Optional(Type.Object({ who: Type.String({ minLength: 2, maxLength: 120 }), at: Type.String({ minLength: 4, maxLength: 40 }) }, { additionalProperties: false })),
    rpps: Type.Optional(Rpps),
    radiologistName: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })),
    /** Re-authentication: the signing password, and the TOTP code when one is enrolled. */
    password: Type.String({ minLength: 1, maxLength: 256 }),
    totp: Type.Optional(Type.String({ maxLength: 12 })),
  },
  { additionalProperties: false },
);

const REFUSAL_WORDS: Record<string, ReadingKey> = {
  'no-password': 'errNoPassword',
  'wrong-password': 'errBadSignature',
  'totp-required': 'errBadSignature',
  'totp-wrong': 'errBadSignature',
  'totp-replayed': 'errBadSignature',
  throttled: 'errBadSignature',
  'critical-call-missing': 'errCriticalCall',
  'text-missing': 'errInvalid',
  'title-missing': 'errInvalid',
  'already-signed': 'errState',
  'not-signed': 'errState',
};

export function registerReportPages(app: FastifyInstance, ctx: HubContext, deps: ReportRouteDeps): void {
  const { engine, desk, reports, credentials } = deps;

  const nameOf = (u: UserPrincipal) =>
    ((u.radiologistId ? engine.rota.radiologists.find((r) => r.id === u.radiologistId)?.displayName : undefined) || u.displayName || u.name).slice(0, 120);
  const rppsOf = (u: UserPrincipal) => (u.radiologistId ? engine.rota.radiologists.find((r) => r.id === u.radiologistId)?.rpps : undefined);

  /** The study and its case, if the user may open them (else 404). */
  const load = async (request: FastifyRequest) => {
    const u = userOf(request);
    const uid = (request.params as { study: string }).study;
    assertValid(Uid, uid);
    const study = await ctx.catalog.get(uid);
    const c = engine.getCase(deps.caseIdOf(uid));
    if (!study || !mayOpenCase(engine, u, c)) throw new HubError('RELAIS_NOT_FOUND');
    return { u, uid, study, c };
  };

  const render = async (request: FastifyRequest, reply: FastifyReply, status: number, opts: { draft?: ReportDraft; message?: { kind: 'ok' | 'error'; text: string } } = {}) => {
    const { u, uid, study } = await load(request);
    const lang = langOf(request, ctx.options.defaultLang);
    const doc = await desk.document(uid);
    const c = engine.getCase(deps.caseIdOf(uid));
    const q = request.query as Record<string, string>;
    const tpl = reportTemplate(q.template);
    let draft: ReportDraft = opts.draft ?? doc?.draft ?? { title: '', text: '', conclusion: '', critical: false };
    if (tpl && doc?.state !== 'signed' && !opts.draft) draft = { ...draft, templateId: tpl.id, title: tpl.title[lang], text: tpl.text[lang], conclusion: tpl.conclusion[lang] };
    const deliveries = new Map<string, ReportRecord>();
    for (const r of reports.forStudy(uid)) deliveries.set(r.reportId, r);
    const flash = q.done && READING_TEXTS[lang][q.done as ReadingKey] ? { kind: 'ok' as const, text: READING_TEXTS[lang][q.done as ReadingKey] } : undefined;
    const message = opts.message ?? flash ?? (study.hold ? { kind: 'error' as const, text: READING_TEXTS[lang].errHeld } : undefined);
    const html = reportPage(lang, readingNav(u.role), {
      study,
      withIdentity: roleMay(u.role, 'patient:read'),
      case: c,
      assigneeName: c?.assignee ? (engine.rota.radiologists.find((r) => r.id === c.assignee)?.displayName ?? c.assignee) : undefined,
      mayTake: u.role === 'radiologist' && !!u.radiologistId && !!c?.alerted.includes(u.radiologistId),
      mayWrite: roleMay(u.role, 'reports:send') && !study.hold,
      doc,
      draft,
      templates: templatesFor(c?.modality ?? study.modalities[0], c?.bodyPart ?? study.dicom.bodyPartExamined),
      rpps: rppsOf(u),
      totpActive: (await credentials.status(u.userId)).totp === 'active',
      deliveries,
      message,
    });
    return sendPage(reply, html, status);
  };

  const refused = (request: FastifyRequest, reply: FastifyReply, err: unknown, draft?: ReportDraft) => {
    const lang: ReadingLang = langOf(request, ctx.options.defaultLang);
    const t = READING_TEXTS[lang];
    let key: ReadingKey | undefined;
    let status = 400;
    if (err instanceof SignatureRefused) {
      key = REFUSAL_WORDS[err.reason];
      status = 403;
    } else if (err instanceof ReportStateError) key = REFUSAL_WORDS[err.problem];
    else if (err instanceof HubError && err.code === 'RELAIS_DISPATCH_INVALID_STATE') key = 'errHeld';
    else if (err instanceof DispatchError) key = 'errState';
    if (!key) throw err;
    return render(request, reply, status, { ...(draft ? { draft } : {}), message: { kind: 'error', text: t[key] } });
  };

  /** The signer as the rota knows them (name, RPPS), else the account's name and the form's RPPS. */
  const signerOf = (u: UserPrincipal, f: Record<string, string>): SignerRef | undefined => {
    const rpps = rppsOf(u) ?? (/^[0-9]{11}$/.test(f.rpps ?? '') ? f.rpps : undefined);
    if (!rpps) return undefined;
    return { userId: u.userId, name: nameOf(u), rpps, ...(u.radiologistId ? { radiologistId: u.radiologistId } : {}) };
  };

  const draftOf = (f: Record<string, string>): ReportDraft => {
    const critical = f.critical === '1' || f.critical === 'on';
    const who = (f.calledWho ?? '').trim().slice(0, 120);
    const at = (f.calledAt ?? '').trim().slice(0, 40);
    return {
      ...(f.templateId && reportTemplate(f.templateId) ? { templateId: f.templateId } : {}),
      title: (f.title ?? '').slice(0, 200),
      text: (f.text ?? '').slice(0, 60_000),
      conclusion: (f.conclusion ?? '').slice(0, 10_000),
      critical,
      ...(critical && (who || at) ? { criticalCall: { who, at } } : {}),
    };
  };

  app.get('/studies/:study/report', { config: { access: userMay('worklist:read'), page: true } }, async (request, reply) => {
    const { u, uid } = await load(request);
    await ctx.audit.record({ event: 'patient-record', action: 'report-page', actor: { kind: 'user', id: u.userId, role: u.role }, outcome: 'success', studyInstanceUid: uid, ip: request.ip });
    return render(request, reply, 200);
  });

  app.post('/studies/:study/report', { config: { access: userMay('reports:send'), page: true } }, async (request, reply) => {
    assertSameOrigin(request);
    const { u, uid } = await load(request);
    const f = formOf(request);
    const draft = draftOf(f);
    try {
      if (f.action === 'sign') {
        const signer = signerOf(u, f);
        if (!signer) return render(request, reply, 400, { draft, message: { kind: 'error', text: READING_TEXTS[langOf(request, ctx.options.defaultLang)].errInvalid } });
        await desk.sign(uid, draft, signer, { password: f.password ?? '', code: f.totp });
        return reply.code(303).header('location', `/studies/${uid}/report?done=signed`).send();
      }
      await desk.saveDraft(uid, draft, { userId: u.userId });
      return reply.code(303).header('location', `/studies/${uid}/report?done=draftSaved`).send();
    } catch (err) {
      return refused(request, reply, err, draft);
    }
  });

  app.post('/studies/:study/report/addenda', { config: { access: userMay('reports:send'), page: true } }, async (request, reply) => {
    assertSameOrigin(request);
    const { u, uid } = await load(request);
    const f = formOf(request);
    const signer = signerOf(u, f);
    const critical = f.critical === '1' || f.critical === 'on';
    try {
      if (!signer) throw new ReportStateError('text-missing');
      await desk.addendum(uid, { text: (f.text ?? '').slice(0, 20_000), critical, ...(critical ? { criticalCall: { who: (f.calledWho ?? '').trim().slice(0, 120), at: (f.calledAt ?? '').trim().slice(0, 40) } } : {}) }, signer, { password: f.password ?? '', code: f.totp });
      return reply.code(303).header('location', `/studies/${uid}/report?done=addendumSigned`).send();
    } catch (err) {
      return refused(request, reply, err);
    }
  });

  app.post('/studies/:study/take', { config: { access: userMay('cases:acknowledge'), page: true } }, async (request, reply) => {
    assertSameOrigin(request);
    const { u, uid, c } = await load(request);
    if (!c || !u.radiologistId) throw new HubError('RELAIS_NOT_FOUND');
    try {
      await engine.acknowledge(c.caseId, u.radiologistId);
    } catch (err) {
      return refused(request, reply, err);
    }
    return reply.code(303).header('location', `/studies/${uid}/report?done=takenInCharge`).send();
  });

  app.post('/api/v1/studies/:study/report', { config: { access: userMay('reports:send') }, bodyLimit: 1024 * 1024 }, async (request, reply) => {
    const { u, uid } = await load(request);
    const body = assertValid(ReportApiBody, request.body);
    const rpps = rppsOf(u) ?? body.rpps;
    if (!rpps) throw new HubError('RELAIS_BAD_REQUEST', 'the signer has no RPPS number (rota) and the body gives none');
    const signer: SignerRef = { userId: u.userId, name: (body.radiologistName ?? nameOf(u)).slice(0, 120), rpps, ...(u.radiologistId ? { radiologistId: u.radiologistId } : {}) };
    const draft: ReportDraft = { title: body.title ?? 'Compte rendu de téléradiologie', text: body.text, conclusion: body.conclusion ?? '', critical: body.critical, ...(body.criticalCall ? { criticalCall: body.criticalCall } : {}) };
    try {
      const { doc, record } = await desk.sign(uid, draft, signer, { password: body.password, code: body.totp });
      reply.code(202);
      return { reportId: record.reportId, status: record.status, sha256: doc.signed!.sha256 };
    } catch (err) {
      if (err instanceof SignatureRefused) throw new HubError(err.reason === 'throttled' ? 'RELAIS_AUTH_THROTTLED' : 'RELAIS_AUTH_FORBIDDEN', `signature refused: ${err.reason}`, { reason: err.reason });
      if (err instanceof ReportStateError) throw new HubError(err.problem === 'already-signed' ? 'RELAIS_DISPATCH_INVALID_STATE' : 'RELAIS_BAD_REQUEST', err.problem, { problem: err.problem });
      throw err;
    }
  });
}
