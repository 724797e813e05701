/**
 * The signer's own settings (/me/signature, permission reports:send): set or change the signing
 * password (proved by the current password, or the first time by the user's access token —
 * the credential they signed in with), enrol a TOTP app (secret shown once, as text and as an
 * otpauth URI) and confirm it with a first code. Every change is audited (user-authentication).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { userOf } from '../auth/guard.ts';
import { userMay } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';
import { langOf } from '../web/routes.ts';
import { LoginThrottle } from '../auth/throttle.ts';
import { HubError } from '../errors.ts';
import { assertSameOrigin, esc, formOf, readingShell, sendPage } from './html.ts';
import { readingNav } from './nav.ts';
import { MIN_PASSWORD_LENGTH, type SigningCredentials } from './signing-credentials.ts';
import { otpauthUri } from './totp.ts';
import { READING_TEXTS, type ReadingKey, type ReadingLang } from './texts.ts';

export function registerSignaturePages(app: FastifyInstance, ctx: HubContext, credentials: SigningCredentials): void {
  const failures = new LoginThrottle(ctx.clock, 5, 15 * 60_000);

  const render = async (request: FastifyRequest, reply: FastifyReply, status: number, message?: { kind: 'ok' | 'error'; text: string }, enrolSecret?: string) => {
    const u = userOf(request);
    const lang: ReadingLang = langOf(request, ctx.options.defaultLang);
    const t = READING_TEXTS[lang];
    const st = await credentials.status(u.userId);
    const q = request.query as Record<string, string>;
    const flash = q.done && t[q.done as ReadingKey] ? { kind: 'ok' as const, text: t[q.done as ReadingKey] } : undefined;
    const totp = st.totp === 'active'
      ? `<p id="totp-state" data-totp="active">${esc(t.totpActive)}</p>`
      : `${enrolSecret ? `<p>${esc(t.totpSecret)} : <code id="totp-secret">${esc(enrolSecret)}</code></p><p><code id="totp-uri">${esc(otpauthUri(enrolSecret, u.name))}</code></p>` : ''}
${st.totp === 'pending' ? `<form id="totp-confirm-form" method="post" action="/me/signature/totp/confirm"><label for="totp-code">${esc(t.totpConfirm)}</label><input id="totp-code" name="code" inputmode="numeric" pattern="[0-9]{6}" required><button type="submit" class="primary">${esc(t.totpConfirm)}</button></form>` : ''}
<form id="totp-enrol-form" method="post" action="/me/signature/totp"><button type="submit">${esc(t.totpEnrol)}</button></form>`;
    const body = `<section class="panel"><p class="note">${esc(t.securityIntro)}</p>
<form id="password-form" method="post" action="/me/signature/password" autocomplete="off" data-password="${st.password ? 'set' : 'none'}">
<label for="current">${esc(t.currentSecret)}</label><input id="current" name="current" type="password" required>
<label for="new-password">${esc(t.newPassword)}</label><input id="new-password" name="password" type="password" minlength="${MIN_PASSWORD_LENGTH}" required>
<button type="submit" class="primary" id="set-password">${esc(t.setPassword)}</button></form></section>
<section class="panel"><h2>TOTP</h2>${totp}</section>`;
    return sendPage(reply, readingShell(lang, t.securityTitle, readingNav(u.role), body, message ?? flash), status);
  };

  const audit = (u: { userId: string; role: string }, action: string, outcome: 'success' | 'failure', ip: string) =>
    ctx.audit.record({ event: 'user-authentication', action, actor: { kind: 'user', id: u.userId, role: u.role }, outcome, ip });

  app.get('/me/signature', { config: { access: userMay('reports:send'), page: true } }, async (request, reply) => render(request, reply, 200));

  app.post('/me/signature/password', { config: { access: userMay('reports:send'), page: true } }, async (request, reply) => {
    assertSameOrigin(request);
    const u = userOf(request);
    const t = READING_TEXTS[langOf(request, ctx.options.defaultLang)];
    if (failures.retryAfterMs(u.userId) > 0) throw new HubError('RELAIS_AUTH_THROTTLED');
    const f = formOf(request);
    const current = f.current ?? '';
    const next = f.password ?? '';
    const st = await credentials.status(u.userId);
    const proved = st.password
      ? await credentials.checkPassword(u.userId, current)
      : (await ctx.identities.verifyUserToken(current))?.id === u.userId;
    if (!proved) {
      failures.fail(u.userId);
      await audit(u, 'signing-password-set', 'failure', request.ip);
      return render(request, reply, 403, { kind: 'error', text: t.errBadSignature });
    }
    if (next.length < MIN_PASSWORD_LENGTH || next.length > 256) return render(request, reply, 400, { kind: 'error', text: t.errInvalid });
    await credentials.setPassword(u.userId, next, new Date(ctx.clock.now()).toISOString());
    await audit(u, 'signing-password-set', 'success', request.ip);
    return reply.code(303).header('location', '/me/signature?done=passwordSet').send();
  });

  app.post('/me/signature/totp', { config: { access: userMay('reports:send'), page: true } }, async (request, reply) => {
    assertSameOrigin(request);
    const u = userOf(request);
    const st = await credentials.status(u.userId);
    if (st.totp === 'active') return render(request, reply, 409, { kind: 'error', text: READING_TEXTS[langOf(request, ctx.options.defaultLang)].errState });
    const secret = await credentials.enrolTotp(u.userId, new Date(ctx.clock.now()).toISOString());
    await audit(u, 'totp-enrol', 'success', request.ip);
    return render(request, reply, 200, undefined, secret);
  });

  app.post('/me/signature/totp/confirm', { config: { access: userMay('reports:send'), page: true } }, async (request, reply) => {
    assertSameOrigin(request);
    const u = userOf(request);
    const ok = await credentials.confirmTotp(u.userId, formOf(request).code ?? '', ctx.clock.now(), new Date(ctx.clock.now()).toISOString());
    await audit(u, 'totp-confirm', ok ? 'success' : 'failure', request.ip);
    if (!ok) return render(request, reply, 400, { kind: 'error', text: READING_TEXTS[langOf(request, ctx.options.defaultLang)].errBadSignature });
    return reply.code(303).header('location', '/me/signature?done=totpActive').send();
  });
}
