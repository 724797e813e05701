/**
 * The agent's local web page for the site's staff (fastify): create exam requests, see the
 * radiologist's protocol answer, print it, answer a question, cancel, open the reports' PDFs.
 * Binds a configurable local address (default 127.0.0.1); French by default (`?lang=en`).
 *
 * Contract:
 * - nothing is served without a signed-in local user (agent/local-ui/local-users.ts) except the
 *   sign-in page and the stylesheet; sessions are random 256-bit ids in an httpOnly,
 *   SameSite=Strict cookie, ending after 12 h idle; every form carries the session's CSRF token;
 *   sign-in is throttled (5 failures per minute per address);
 * - every creation, change and look at a request is written to the agent's audit log with the
 *   user and the request id (never the identity itself);
 * - a request is stored durably and queued before the page says so (RequestDesk.create).
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { ensureDir } from '../../lib/durable-fs.ts';
import type { RequestDesk } from '../requests/request-desk.ts';
import type { StudyRegistry } from '../matching/study-registry.ts';
import type { ReportDelivery } from '../reports/report-delivery.ts';
import type { LocalUsers } from './local-users.ts';
import { requestFromForm, fieldProblems, type FormFields } from './request-form.ts';
import { CSS, formPage, listPage, loginPage, requestPage } from './pages.ts';
import { UI_TEXTS, problemText, type UiLang } from './texts.ts';

export interface LocalUiDeps {
  clock: Clock;
  log: Logger;
  users: LocalUsers;
  desk: RequestDesk;
  studies: StudyRegistry;
  reports: ReportDelivery;
  lang: UiLang;
  zone: string;
  defaultIssuer: string;
  stations: string[];
  auditPath: string;
}

interface Session {
  id: string;
  userId: string;
  displayName: string;
  csrf: string;
  lastUsed: number;
}

const COOKIE = 'relais_site';
const IDLE_MS = 12 * 3600_000;

export async function buildLocalUi(d: LocalUiDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024, trustProxy: false });
  await app.register(cookie);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  const sessions = new Map<string, Session>();
  const failures = new Map<string, number[]>();
  await ensureDir(dirname(d.auditPath));

  const audit = async (entry: Record<string, unknown>) => {
    const fh = await open(d.auditPath, 'a', 0o600);
    try {
      await fh.write(`${JSON.stringify({ at: new Date(d.clock.now()).toISOString(), ...entry })}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
  };
  const langOf = (req: FastifyRequest, reply: FastifyReply): UiLang => {
    const q = (req.query as Record<string, string> | undefined)?.lang;
    if (q === 'fr' || q === 'en') {
      reply.setCookie('relais_site_lang', q, { path: '/', sameSite: 'strict', httpOnly: true });
      return q;
    }
    const c = req.cookies.relais_site_lang;
    return c === 'fr' || c === 'en' ? c : d.lang;
  };
  const html = (reply: FastifyReply, status: number, body: string) =>
    reply
      .code(status)
      .headers({ 'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'", 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
      .type('text/html; charset=utf-8')
      .send(body);
  const sessionOf = (req: FastifyRequest): Session | undefined => {
    const id = req.cookies[COOKIE];
    const s = id ? sessions.get(id) : undefined;
    if (!s) return undefined;
    if (d.clock.now() - s.lastUsed > IDLE_MS) {
      sessions.delete(s.id);
      return undefined;
    }
    s.lastUsed = d.clock.now();
    return s;
  };
  /** The signed-in session, or a redirect to the sign-in page; POSTs need the CSRF token. */
  const guard = (req: FastifyRequest, reply: FastifyReply): Session | undefined => {
    const s = sessionOf(req);
    if (!s) {
      void reply.code(303).header('location', '/login').send();
      return undefined;
    }
    if (req.method === 'POST' && (req.body as FormFields | undefined)?._csrf !== s.csrf) {
      void reply.code(403).type('text/plain; charset=utf-8').send('CSRF');
      return undefined;
    }
    return s;
  };
  const throttled = (ip: string) => {
    const now = d.clock.now();
    const list = (failures.get(ip) ?? []).filter((t) => now - t < 60_000);
    failures.set(ip, list);
    return list.length >= 5;
  };

  app.get('/local.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(CSS));

  app.get('/login', async (req, reply) => html(reply, 200, loginPage(langOf(req, reply), undefined, (await d.users.count()) === 0)));

  app.post('/login', async (req, reply) => {
    const lang = langOf(req, reply);
    const f = (req.body ?? {}) as FormFields;
    if (throttled(req.ip)) return html(reply, 429, loginPage(lang, UI_TEXTS[lang].throttled));
    const user = await d.users.verify(f.user ?? '', f.password ?? '');
    if (!user) {
      failures.get(req.ip)!.push(d.clock.now());
      await audit({ user: (f.user ?? '').slice(0, 40), action: 'sign-in', outcome: 'failure', ip: req.ip });
      return html(reply, 401, loginPage(lang, UI_TEXTS[lang].badLogin, (await d.users.count()) === 0));
    }
    const s: Session = { id: randomBytes(32).toString('base64url'), userId: user.id, displayName: user.displayName, csrf: randomBytes(24).toString('base64url'), lastUsed: d.clock.now() };
    sessions.set(s.id, s);
    await audit({ user: user.id, action: 'sign-in', outcome: 'success', ip: req.ip });
    reply.setCookie(COOKIE, s.id, { path: '/', httpOnly: true, sameSite: 'strict' });
    return reply.code(303).header('location', '/').send();
  });

  app.post('/logout', async (req, reply) => {
    const s = guard(req, reply);
    if (!s) return reply;
    sessions.delete(s.id);
    reply.clearCookie(COOKIE, { path: '/' });
    return reply.code(303).header('location', '/login').send();
  });

  app.get('/', async (req, reply) => {
    const s = guard(req, reply);
    if (!s) return reply;
    await audit({ user: s.userId, action: 'list-requests' });
    return html(reply, 200, listPage(langOf(req, reply), s, s.csrf, d.desk.store.list(), d.studies.held()));
  });

  app.get('/requests/new', async (req, reply) => {
    const s = guard(req, reply);
    if (!s) return reply;
    return html(reply, 200, formPage(langOf(req, reply), s, s.csrf, { values: { urgency: 'emergency', localIssuer: d.defaultIssuer }, problems: new Map(), stations: d.stations }));
  });

  app.post('/requests', async (req, reply) => {
    const s = guard(req, reply);
    if (!s) return reply;
    const lang = langOf(req, reply);
    const f = (req.body ?? {}) as FormFields;
    const input = requestFromForm(f, { zone: d.zone, nowMs: d.clock.now(), defaultIssuer: d.defaultIssuer });
    const result = await d.desk.create(input, s.userId);
    if (!result.ok) return html(reply, 422, formPage(lang, s, s.csrf, { values: f, problems: fieldProblems(result.problems), stations: d.stations }));
    const id = result.record.request.requestId;
    await audit({ user: s.userId, action: 'request-create', requestId: id });
    const warnings = result.warnings.map((w) => problemText(lang, w.code));
    return html(reply, 201, requestPage(lang, s, s.csrf, result.record, UI_TEXTS[lang].saved, warnings));
  });

  app.get('/requests/:id', async (req, reply) => {
    const s = guard(req, reply);
    if (!s) return reply;
    const id = (req.params as { id: string }).id;
    const r = d.desk.store.get(id);
    if (!r) return reply.code(404).type('text/plain; charset=utf-8').send('404');
    await audit({ user: s.userId, action: 'request-read', requestId: id });
    await d.desk.markAnswerSeen(id);
    return html(reply, 200, requestPage(langOf(req, reply), s, s.csrf, d.desk.store.get(id) ?? r));
  });

  app.post('/requests/:id/update', async (req, reply) => {
    const s = guard(req, reply);
    if (!s) return reply;
    const id = (req.params as { id: string }).id;
    const info = ((req.body as FormFields).additionalInformation ?? '').trim();
    const result = await d.desk.update(id, { additionalInformation: info }, s.userId);
    if (!result.ok) return reply.code(422).type('text/plain; charset=utf-8').send(result.problems.map((p) => `${p.field}: ${p.code}`).join('\n'));
    await audit({ user: s.userId, action: 'request-update', requestId: id });
    return reply.code(303).header('location', `/requests/${encodeURIComponent(id)}`).send();
  });

  app.post('/requests/:id/cancel', async (req, reply) => {
    const s = guard(req, reply);
    if (!s) return reply;
    const id = (req.params as { id: string }).id;
    const reason = ((req.body as FormFields).reason ?? '').trim();
    if (reason.length < 3) return reply.code(422).type('text/plain; charset=utf-8').send('reason');
    await d.desk.cancel(id, reason, s.userId);
    await audit({ user: s.userId, action: 'request-cancel', requestId: id });
    return reply.code(303).header('location', `/requests/${encodeURIComponent(id)}`).send();
  });

  app.get('/reports/:file', async (req, reply) => {
    const s = guard(req, reply);
    if (!s) return reply;
    const m = /^([A-Za-z0-9._-]+)\.pdf$/.exec((req.params as { file: string }).file);
    const path = m ? d.reports.pdfPath(m[1]!) : undefined;
    if (!path) return reply.code(404).type('text/plain; charset=utf-8').send('404');
    await audit({ user: s.userId, action: 'report-read', reportId: m![1] });
    return reply.type('application/pdf').header('content-disposition', 'inline').header('cache-control', 'no-store').send(createReadStream(path));
  });

  return app;
}
