/**
 * Fleet routes: the agents' heartbeat (agent route; answers HeartbeatAck with the clock
 * offset) and the fleet snapshot for signed-in users (the live page uses socket.io).
 * The agent is who its credential says: the heartbeat's own `agentId` (an agent may name
 * itself after its host) is informational and replaced by the authenticated id, so one
 * agent can never report for another. The acknowledgement asks for a new tunnel key when the
 * operator requested one (`relais provision site rotate`).
 */
import type { FastifyInstance } from 'fastify';
import { Heartbeat } from '../../protocol/heartbeat.ts';
import { assertValid } from '../../protocol/validate.ts';
import { agentOf } from '../auth/guard.ts';
import { AGENT, userMay } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';

export function registerFleet(app: FastifyInstance, ctx: HubContext): void {
  app.post('/api/v1/agents/heartbeat', { config: { access: AGENT } }, async (request) => {
    const agent = agentOf(request);
    const hb = assertValid(Heartbeat, request.body);
    if (hb.agentId !== agent.agentId) request.log.debug({ claimed: hb.agentId, agentId: agent.agentId }, 'heartbeat agentId replaced by the authenticated one');
    const ack = ctx.fleet.heartbeat(agent.agentId, agent.name, { ...hb, agentId: agent.agentId });
    if (ctx.tunnel?.rotationRequested(agent.agentId)) ack.rotateTunnelKey = true;
    return ack;
  });

  app.get('/api/v1/fleet', { config: { access: userMay('fleet:read') } }, async () => ctx.fleet.snapshot());
}
