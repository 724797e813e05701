/**
 * The hub's HTTPS enrolment listener (its own small fastify instance on `--enrol-port`, outside
 * the tunnel, with the self-signed certificate whose pin is in every token):
 * - `POST /enrol/v1`: token + the agent's public key → tunnel configuration and API credential.
 *   The peer is on the hub's interface before the answer leaves, so the agent can bring its
 *   tunnel up at once. Refusals carry a stable code (the agent prints it in French or English)
 *   and, for tokens, the date that explains it (`details.at`). Failed attempts are throttled per
 *   address and audited.
 * - `POST /enrol/v1/tunnel-reset` (agent credential): a box whose handshakes fail reports its
 *   clock; the hub answers its own time, shows the offset on the operator page, and resets the
 *   peer (at most once a minute per agent).
 * - `GET /enrol/v1/health`: the hub's time (no secret, no data).
 * Nothing else is served here; from the tunnel this port is firewalled.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyError } from 'fastify';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { errorBody, ERROR_CODES, type ErrorCode } from '../../protocol/errors.ts';
import { check } from '../../protocol/validate.ts';
import { ENROL_ROUTES, EnrolRequest, TunnelResetRequest, type EnrolResponse, type TunnelResetResponse } from '../../protocol/enrolment.ts';
import type { IdentityStore } from '../../provisioning/identity-store.ts';
import { EnrolmentRefusal, type TunnelRegistry } from '../../provisioning/enrolment/registry.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { LoginThrottle } from '../auth/throttle.ts';
import { bearerOf } from '../auth/authenticator.ts';
import type { HubTunnel } from './hub-tunnel.ts';

export interface EnrolServerDeps {
  clock: Clock;
  logger: Logger;
  registry: TunnelRegistry;
  identities: IdentityStore;
  tunnel: HubTunnel;
  audit: AuditLog;
  tls: { key: string; cert: string };
  /** Clock reports (for the fleet page). */
  onClockReport?: (agentId: string, name: string, offsetMs: number) => void;
  /** Failed attempts allowed per address per minute (default 10). */
  maxFailures?: number;
}

class Refused extends Error {
  constructor(readonly code: ErrorCode, message?: string, readonly details?: Record<string, unknown>) {
    super(message ?? ERROR_CODES[code].en);
  }
}

export async function buildEnrolServer(d: EnrolServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    https: { key: d.tls.key, cert: d.tls.cert },
    loggerInstance: d.logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024,
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
  });
  const throttle = new LoginThrottle(d.clock, d.maxFailures ?? 10, 60_000);
  const lastReset = new Map<string, number>();

  const fail = async (ip: string, action: string, code: ErrorCode, actor = '-') => {
    throttle.fail(ip);
    await d.audit.record({ event: 'user-authentication', action, actor: { kind: actor === '-' ? 'anonymous' : 'agent', id: actor }, outcome: 'failure', ip, result: code });
  };
  const throttled = (ip: string) => {
    if (throttle.retryAfterMs(ip) > 0) throw new Refused('RELAIS_AUTH_THROTTLED');
  };

  app.get('/enrol/v1/health', async () => ({ status: 'ok', hubTime: new Date(d.clock.now()).toISOString() }));

  app.post(ENROL_ROUTES.enrol, async (request): Promise<EnrolResponse> => {
    throttled(request.ip);
    const body = request.body;
    if (!check(EnrolRequest, body)) throw new Refused('RELAIS_PROTOCOL_INVALID_MESSAGE', 'expected {"token", "site", "publicKey"}');
    let redeemed;
    try {
      redeemed = await d.registry.redeem(body);
    } catch (err) {
      if (!(err instanceof EnrolmentRefusal)) throw err;
      await fail(request.ip, 'enrol', err.code);
      d.logger.warn({ code: err.code, site: body.site }, 'enrolment refused');
      throw new Refused(err.code, err.message, err.at ? { at: err.at } : undefined);
    }
    await d.tunnel.sync({ force: true });
    const info = d.tunnel.info;
    const site = redeemed.site;
    const hubIps = [info.hubAddresses.ipv4 ? `${info.hubAddresses.ipv4}/32` : null, info.hubAddresses.ipv6 ? `${info.hubAddresses.ipv6}/128` : null].filter((x): x is string => x !== null);
    const addresses = [site.tunnel!.ipv4 ? `${site.tunnel!.ipv4}/32` : null, site.tunnel!.ipv6 ? `${site.tunnel!.ipv6}/128` : null].filter((x): x is string => x !== null);
    await d.audit.record({ event: 'user-authentication', action: 'enrol', actor: { kind: 'agent', id: redeemed.agentId }, outcome: 'success', ip: request.ip, result: redeemed.replacedKey ? 'key-replaced' : 'enrolled' });
    d.logger.info({ site: site.id, agentId: redeemed.agentId, replacedKey: redeemed.replacedKey }, 'site enrolled');
    return {
      site: site.id,
      siteName: site.name,
      agentId: redeemed.agentId,
      credential: redeemed.credential,
      hubUrl: info.apiUrl,
      tunnel: {
        addresses,
        mtu: info.mtu,
        hub: { publicKey: info.publicKey, endpoint: info.endpoint, allowedIps: hubIps, persistentKeepalive: 25, ...(site.presharedKey ? { presharedKey: site.presharedKey } : {}) },
      },
      enrolledAt: site.enrolledAt!,
      replacedKey: redeemed.replacedKey,
      defaultUrgency: site.defaultUrgency,
    };
  });

  app.post(ENROL_ROUTES.tunnelReset, async (request): Promise<TunnelResetResponse> => {
    throttled(request.ip);
    const bearer = bearerOf(request.headers.authorization);
    const agent = bearer ? await d.identities.verifyAgentCredential(bearer) : undefined;
    if (!agent) {
      await fail(request.ip, 'tunnel-reset', bearer ? 'RELAIS_AUTH_INVALID' : 'RELAIS_AUTH_MISSING');
      throw new Refused(bearer ? 'RELAIS_AUTH_INVALID' : 'RELAIS_AUTH_MISSING');
    }
    const body = request.body;
    if (!check(TunnelResetRequest, body)) throw new Refused('RELAIS_PROTOCOL_INVALID_MESSAGE', 'expected {"agentTime", "latestHandshakeAgeSeconds"}');
    const now = d.clock.now();
    const offset = now - Date.parse(body.agentTime);
    d.onClockReport?.(agent.id, agent.name, offset);
    const site = d.tunnel.directory().siteOfAgent(agent.id);
    let peerReset = false;
    const last = lastReset.get(agent.id);
    if (site && (last === undefined || now - last >= 60_000)) {
      lastReset.set(agent.id, now);
      peerReset = await d.tunnel.resetPeer(site.id);
    }
    await d.audit.record({ event: 'security-alert', action: 'tunnel-reset', actor: { kind: 'agent', id: agent.id }, outcome: 'success', ip: request.ip, result: `clock-offset-ms:${Math.round(offset)}` });
    d.logger.warn({ agentId: agent.id, clockOffsetMs: offset, handshakeAge: body.latestHandshakeAgeSeconds, peerReset }, 'tunnel: an agent reports failing handshakes');
    return { hubTime: new Date(now).toISOString(), clockOffsetMs: offset, peerReset };
  });

  app.setNotFoundHandler((_req, reply) => reply.code(404).send(errorBody('RELAIS_NOT_FOUND')));
  app.setErrorHandler((err: FastifyError | Error, request, reply) => {
    if (err instanceof Refused) {
      if (err.code === 'RELAIS_AUTH_THROTTLED') reply.header('retry-after', String(Math.ceil(throttle.retryAfterMs(request.ip) / 1000) || 60));
      return reply.code(ERROR_CODES[err.code].httpStatus).send(errorBody(err.code, err.message, err.details));
    }
    const sc = (err as FastifyError).statusCode;
    if (typeof sc === 'number' && sc >= 400 && sc < 500) return reply.code(sc).send(errorBody('RELAIS_BAD_REQUEST', err.message));
    d.logger.error({ err: err.message }, 'enrolment listener: request failed');
    return reply.code(500).send(errorBody('RELAIS_INTERNAL'));
  });
  await app.ready();
  return app;
}
