/**
 * Agent route of the tunnel: `POST /api/v1/agents/tunnel-key` (protocol/enrolment.ts). The agent
 * (authenticated, and — like every agent route with a tunnel — calling from its own tunnel
 * address) sends its new public key; the hub records it, answers through the old key, and only
 * then switches the peer (HubTunnel holds the old key until the answer has been written, plus
 * half a second). Without a tunnel: 503 RELAIS_TUNNEL_UNAVAILABLE.
 */
import type { FastifyInstance } from 'fastify';
import { ENROL_ROUTES, TunnelKeyRotation } from '../../protocol/enrolment.ts';
import { assertValid } from '../../protocol/validate.ts';
import { HubError } from '../errors.ts';
import { agentOf } from '../auth/guard.ts';
import { AGENT } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';
import { EnrolmentRefusal } from '../../provisioning/enrolment/registry.ts';

export function registerTunnelRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.post(ENROL_ROUTES.tunnelKey, { config: { access: AGENT }, bodyLimit: 4096 }, async (request, reply) => {
    const agent = agentOf(request);
    const tunnel = ctx.tunnel;
    if (!tunnel) throw new HubError('RELAIS_TUNNEL_UNAVAILABLE');
    const body = assertValid(TunnelKeyRotation, request.body);
    let done;
    try {
      done = await tunnel.rotateKey(agent.agentId, body.publicKey);
    } catch (err) {
      if (err instanceof EnrolmentRefusal) throw new HubError(err.code, err.message);
      throw err;
    }
    reply.raw.once('finish', () => ctx.clock.setTimeout(() => tunnel.releaseRotation(done.siteId), 500));
    reply.raw.once('close', () => ctx.clock.setTimeout(() => tunnel.releaseRotation(done.siteId), 500));
    await ctx.audit.record({ event: 'security-alert', action: 'tunnel-key-rotation', actor: { kind: 'agent', id: agent.agentId }, outcome: 'success', ip: request.ip });
    return done.ack;
  });
}
