/**
 * Web sign-in: POST /api/v1/session exchanges a user's bearer token (pasted, or taken by the
 * page from a `#token=` link) for a session cookie (httpOnly, SameSite=Strict, Path=/);
 * failed attempts are throttled per client address and audited (DCM 110114).
 * DELETE /api/v1/session signs out; GET /api/v1/me says who is signed in (with their dispatch
 * links: a radiologist's rota id, a clinician's sites).
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { check } from '../../protocol/validate.ts';
import { HubError } from '../errors.ts';
import type { HubContext } from '../context.ts';
import { userOf } from './guard.ts';
import { PUBLIC, userMay } from './roles.ts';
import { SESSION_COOKIE } from './sessions.ts';

const SignIn = Type.Object({ token: Type.String({ minLength: 1, maxLength: 300 }) });

export function registerAuthRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.post('/api/v1/session', { config: { access: PUBLIC }, bodyLimit: 4096 }, async (request, reply) => {
    const wait = ctx.throttle.retryAfterMs(request.ip);
    if (wait > 0) {
      reply.header('retry-after', String(Math.ceil(wait / 1000)));
      throw new HubError('RELAIS_AUTH_THROTTLED');
    }
    const body = request.body;
    if (!check(SignIn, body)) throw new HubError('RELAIS_BAD_REQUEST', 'expected {"token": "..."}');
    const user = await ctx.identities.verifyUserToken(body.token.trim());
    if (!user) {
      ctx.throttle.fail(request.ip);
      await ctx.audit.record({ event: 'user-authentication', action: 'sign-in', actor: { kind: 'anonymous', id: '-' }, outcome: 'failure', ip: request.ip, result: 'RELAIS_AUTH_INVALID' });
      throw new HubError('RELAIS_AUTH_INVALID');
    }
    const session = ctx.auth.sessions.create(user.id, user.credentialIssuedAt);
    await ctx.audit.record({ event: 'user-authentication', action: 'sign-in', actor: { kind: 'user', id: user.id, role: user.role }, outcome: 'success', ip: request.ip });
    reply.setCookie(SESSION_COOKIE, session.id, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      secure: ctx.options.secureCookies,
      maxAge: Math.floor(ctx.options.sessionMaxMs / 1000),
    });
    return { user: { id: user.id, name: user.name, displayName: user.displayName, role: user.role } };
  });

  app.delete('/api/v1/session', { config: { access: userMay('self') } }, async (request, reply) => {
    const user = userOf(request);
    ctx.auth.sessions.destroy(user.sessionId);
    await ctx.audit.record({ event: 'user-authentication', action: 'sign-out', actor: { kind: 'user', id: user.userId, role: user.role }, outcome: 'success', ip: request.ip });
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { signedOut: true };
  });

  app.get('/api/v1/me', { config: { access: userMay('self') } }, async (request) => {
    const u = userOf(request);
    return {
      id: u.userId, name: u.name, displayName: u.displayName, role: u.role,
      ...(u.radiologistId ? { radiologistId: u.radiologistId } : {}),
      ...(u.siteIds ? { siteIds: u.siteIds } : {}),
    };
  });
}
