/**
 * Agent routes of the message channel (protocol/messages.ts): POST /api/v1/channel/messages
 * (agent → hub batch) and GET /api/v1/channel/inbox (hub → agent long poll, `after` acknowledges).
 * The agent is the authenticated one (its credential); nothing here takes an agent id from the
 * request. A long poll ends early when the agent's connection closes or the hub stops.
 */
import type { FastifyInstance } from 'fastify';
import { assertValid, check } from '../../protocol/validate.ts';
import { AgentMessageBatch, CHANNEL_ROUTES, InboxQuery, MAX_POLL_WAIT_MS } from '../../protocol/messages.ts';
import { HubError } from '../errors.ts';
import { agentOf } from '../auth/guard.ts';
import { AGENT } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';
import type { HubOutbox } from './hub-outbox.ts';
import type { AgentInbox } from './agent-inbox.ts';

export interface ChannelRouteDeps {
  outbox: HubOutbox;
  inbox: AgentInbox;
  /** Aborted when the hub begins to stop (long polls answer at once). */
  stopping: AbortSignal;
}

export function registerChannelRoutes(app: FastifyInstance, ctx: HubContext, deps: ChannelRouteDeps): void {
  app.post(CHANNEL_ROUTES.messages, { config: { access: AGENT }, bodyLimit: 32 * 1024 * 1024 }, async (request) => {
    const agent = agentOf(request);
    if (ctx.state.status === 'stopping') throw new HubError('RELAIS_HUB_UNAVAILABLE');
    const batch = assertValid(AgentMessageBatch, request.body);
    return deps.inbox.receive(agent.agentId, batch);
  });

  app.get(CHANNEL_ROUTES.inbox, { config: { access: AGENT } }, async (request) => {
    const agent = agentOf(request);
    if (!check(InboxQuery, request.query)) throw new HubError('RELAIS_PROTOCOL_INVALID_MESSAGE', 'inbox query: stream, after (integer), waitMs (integer)');
    const q = request.query;
    const after = Number(q.after ?? 0);
    const waitMs = Math.min(MAX_POLL_WAIT_MS, Number(q.waitMs ?? 0));
    let page = await deps.outbox.page(agent.agentId, q.stream, after);
    if (page.messages.length === 0 && waitMs > 0 && ctx.state.status !== 'stopping') {
      const abort = new AbortController();
      const onClose = () => abort.abort();
      request.raw.socket?.once('close', onClose);
      deps.stopping.addEventListener('abort', onClose, { once: true });
      try {
        await deps.outbox.wait(agent.agentId, waitMs, abort.signal);
      } finally {
        request.raw.socket?.off('close', onClose);
        deps.stopping.removeEventListener('abort', onClose);
      }
      // Same cursor again: the acknowledgement was taken already; a new stream id would restart.
      page = await deps.outbox.page(agent.agentId, page.streamId, q.stream === page.streamId ? after : 0);
    }
    return page;
  });
}
