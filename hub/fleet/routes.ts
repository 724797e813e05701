/**
 * Fleet routes: the agents' heartbeat (agent route; answers HeartbeatAck with the clock
 * offset) and the fleet snapshot for signed-in users (the live page uses socket.io).
 */
import type { FastifyInstance } from 'fastify';
import { Heartbeat } from '../../protocol/heartbeat.ts';
import { assertValid } from '../../protocol/validate.ts';
import { HubError } from '../errors.ts';
import { agentOf } from '../auth/guard.ts';
import { AGENT, userMay } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';

export function registerFleet(app: FastifyInstance, ctx: HubContext): void {
  app.post('/api/v1/agents/heartbeat', { config: { access: AGENT } }, async (request) => {
    const agent = agentOf(request);
    const hb = assertValid(Heartbeat, request.body);
    if (hb.agentId !== agent.agentId) throw new HubError('RELAIS_AUTH_FORBIDDEN', 'a heartbeat may only speak for its own agent');
    return ctx.fleet.heartbeat(agent.agentId, agent.name, hb);
  });

  app.get('/api/v1/fleet', { config: { access: userMay('fleet:read') } }, async () => ctx.fleet.snapshot());
}
