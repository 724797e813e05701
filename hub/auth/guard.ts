/**
 * Access control for every route, deny by default: each route must declare `config.access`
 * (public, agent, or user + permission) or the app refuses to start. The onRequest hook
 * authenticates (401 RELAIS_AUTH_MISSING / RELAIS_AUTH_INVALID), checks the role's permission
 * (403), where the request comes from when the hub runs a tunnel (403 RELAIS_AUTH_WRONG_TUNNEL:
 * an agent only from its own tunnel address), and on agent routes the `relais-protocol` version
 * (426 RELAIS_PROTOCOL_UNSUPPORTED).
 * Refused credentials are audited. The route table (method, url, access) is kept for tests
 * and for the operator's inventory of endpoints.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import { PROTOCOL_HEADER, PROTOCOL_VERSION, MIN_SUPPORTED_PROTOCOL_VERSION, isSupportedProtocolVersion, parseProtocolVersion } from '../../protocol/version.ts';
import { HubError } from '../errors.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { roleMay, type Access } from './roles.ts';
import { bearerOf, type Authenticator, type Principal, type UserPrincipal } from './authenticator.ts';
import { SESSION_COOKIE } from './sessions.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface RouteEntry {
  method: string;
  url: string;
  access: Access;
}

export function presented(request: FastifyRequest): { bearer?: string; sessionId?: string } {
  const out: { bearer?: string; sessionId?: string } = {};
  const bearer = bearerOf(request.headers.authorization);
  if (bearer !== undefined) out.bearer = bearer;
  const sid = request.cookies?.[SESSION_COOKIE];
  if (sid) out.sessionId = sid;
  return out;
}

/** The signed-in user of a user route (set by the guard). */
export function userOf(request: FastifyRequest): UserPrincipal {
  const p = request.principal;
  if (!p || p.kind !== 'user') throw new HubError('RELAIS_AUTH_MISSING');
  return p;
}

export function agentOf(request: FastifyRequest): Extract<Principal, { kind: 'agent' }> {
  const p = request.principal;
  if (!p || p.kind !== 'agent') throw new HubError('RELAIS_AUTH_MISSING');
  return p;
}

/** Where a request may come from (hub/tunnel/source-check.ts); absent: anywhere. */
export type SourceCheck = (ip: string, access: Access, principal: Principal | undefined) => { ok: true } | { ok: false; reason: string };

export function installGuard(app: FastifyInstance, auth: Authenticator, audit: AuditLog, sourceCheck?: SourceCheck): RouteEntry[] {
  const table: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!access) throw new Error(`route ${methods.join(',')} ${route.url} declares no access (config.access)`);
    for (const m of methods) {
      if (m === 'HEAD' && table.some((e) => e.method === 'GET' && e.url === route.url)) continue;
      table.push({ method: m, url: route.url, access });
    }
  });
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (!access || access.kind === 'public') return;
    const creds = presented(request);
    const id = access.kind === 'agent' ? await auth.agent(creds) : await auth.user(creds);
    if (!id.ok) {
      if (id.reason === 'invalid') {
        await audit.record({
          event: 'user-authentication', action: access.kind === 'agent' ? 'agent-credential' : 'user-credential',
          actor: { kind: 'anonymous', id: '-' }, outcome: 'failure', ip: request.ip, result: 'RELAIS_AUTH_INVALID',
        });
      }
      throw new HubError(id.reason === 'missing' ? 'RELAIS_AUTH_MISSING' : 'RELAIS_AUTH_INVALID');
    }
    request.principal = id.principal;
    const source = sourceCheck?.(request.ip, access, id.principal);
    if (source && !source.ok) {
      const p = id.principal;
      await audit.record({
        event: 'security-alert', action: `wrong-source:${source.reason}`,
        actor: p.kind === 'agent' ? { kind: 'agent', id: p.agentId } : { kind: 'user', id: p.userId, role: p.role }, outcome: 'failure', ip: request.ip, result: 'RELAIS_AUTH_WRONG_TUNNEL',
      });
      throw new HubError('RELAIS_AUTH_WRONG_TUNNEL', source.reason === 'agent-not-enrolled'
        ? 'this agent has not enrolled a WireGuard tunnel with this hub (relais agent enrol)'
        : source.reason === 'agent-wrong-source'
          ? "agent requests are accepted only from the agent's own tunnel address"
          : 'this tunnel address may not use this route');
    }
    if (access.kind === 'user' && id.principal.kind === 'user' && !roleMay(id.principal.role, access.permission)) {
      throw new HubError('RELAIS_AUTH_FORBIDDEN', `the role ${id.principal.role} may not do this (${access.permission})`);
    }
    if (access.kind === 'agent') {
      const v = parseProtocolVersion(request.headers[PROTOCOL_HEADER]);
      if (!isSupportedProtocolVersion(v)) {
        throw new HubError(
          'RELAIS_PROTOCOL_UNSUPPORTED',
          `this hub speaks Relais protocol ${MIN_SUPPORTED_PROTOCOL_VERSION}..${PROTOCOL_VERSION}; the request announced ${v ?? 'none'} in the ${PROTOCOL_HEADER} header: update the agent`,
          { supported: { min: MIN_SUPPORTED_PROTOCOL_VERSION, max: PROTOCOL_VERSION }, announced: v ?? null },
        );
      }
    }
  });
  return table;
}
