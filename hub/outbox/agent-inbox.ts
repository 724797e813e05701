/**
 * The hub's end of the agent → hub direction of the channel: takes a batch of envelopes from
 * one agent stream, handles each message in sequence order through the handler registered for
 * its type, and remembers (durably) the last sequence number handled per stream, so a resent
 * batch (the agent never saw the answer) is recognised message by message as duplicates.
 *
 *   DATA/outbox/<agentId>/inbound.json   { v, streams: { <streamId>: lastSeq } }
 *
 * Contract:
 * - a message is `accepted` only after its handler resolved (handlers make their effect durable
 *   before resolving, and are idempotent: a crash between handler and mark replays it);
 * - a body that does not match the schema, or a handler throwing a non-retryable HubError, makes
 *   the message `rejected` (consumed: the agent sets it aside and alerts; the stream goes on);
 * - any other failure stops the batch there: the answer says how far it got (`acceptedUpTo`),
 *   or, if nothing was handled, the error propagates (503/507: the agent retries later).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { Logger } from '../../lib/logger.ts';
import { ensureDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { check, validationErrors } from '../../protocol/validate.ts';
import { ERROR_CODES } from '../../protocol/errors.ts';
import { AgentMessage, type AgentEnvelope, type AgentMessageBatch, type AgentMessageBatchAck, type MessageResult } from '../../protocol/messages.ts';
import { HubError } from '../errors.ts';
import { KeyedMutex } from '../storage/keyed-mutex.ts';

const InboundState = Type.Object({ v: Type.Literal(1), streams: Type.Record(Type.String(), Type.Integer({ minimum: 0 })) });

export type AgentMessageOf<T extends AgentMessage['type']> = Extract<AgentMessage, { type: T }>;
export type AgentMessageHandler<T extends AgentMessage['type']> = (agentId: string, message: AgentMessageOf<T>, envelope: AgentEnvelope) => Promise<void>;

export interface AgentInboxDeps {
  dir: string;
  logger: Logger;
}

export class AgentInbox {
  readonly #d: AgentInboxDeps;
  readonly #locks = new KeyedMutex();
  readonly #handlers = new Map<string, AgentMessageHandler<AgentMessage['type']>>();

  constructor(deps: AgentInboxDeps) {
    this.#d = deps;
  }

  /** Registers the handler of one message type (one per type). */
  handle<T extends AgentMessage['type']>(type: T, handler: AgentMessageHandler<T>): void {
    if (this.#handlers.has(type)) throw new Error(`a handler for ${type} is registered already`);
    this.#handlers.set(type, handler as unknown as AgentMessageHandler<AgentMessage['type']>);
  }

  receive(agentId: string, batch: AgentMessageBatch): Promise<AgentMessageBatchAck> {
    return this.#locks.run(agentId, async () => {
      const statePath = join(this.#d.dir, agentId, 'inbound.json');
      const streams = await this.#readState(statePath);
      let last = streams[batch.streamId] ?? 0;
      const results: MessageResult[] = [];
      const sorted = [...batch.messages].sort((a, b) => a.seq - b.seq);
      for (const env of sorted) {
        if (env.seq <= last) {
          results.push({ seq: env.seq, id: env.id, status: 'duplicate' });
          continue;
        }
        if (env.seq !== last + 1) this.#d.logger.warn({ agentId, expected: last + 1, got: env.seq }, 'channel: gap in the agent stream (messages lost on the agent?)');
        let result: MessageResult;
        try {
          result = await this.#handleOne(agentId, env);
        } catch (err) {
          if (results.length === 0) throw err;
          this.#d.logger.warn({ agentId, seq: env.seq, err: (err as Error).message }, 'channel: batch stopped at a message that failed (retried by the agent)');
          break;
        }
        results.push(result);
        last = env.seq;
        streams[batch.streamId] = last;
        await ensureDir(join(this.#d.dir, agentId));
        await writeFileDurable(statePath, JSON.stringify({ v: 1, streams }), { mode: 0o600 });
      }
      return { streamId: batch.streamId, acceptedUpTo: last, results };
    });
  }

  async #handleOne(agentId: string, env: AgentEnvelope): Promise<MessageResult> {
    if (!check(AgentMessage, env.body)) {
      const errors = validationErrors(AgentMessage, env.body).slice(0, 3).join('; ');
      this.#d.logger.warn({ agentId, seq: env.seq, errors }, 'channel: invalid message from agent rejected');
      return { seq: env.seq, id: env.id, status: 'rejected', code: 'RELAIS_PROTOCOL_INVALID_MESSAGE', message: errors.slice(0, 500) };
    }
    const body = env.body;
    const handler = this.#handlers.get(body.type);
    if (!handler) return { seq: env.seq, id: env.id, status: 'rejected', code: 'RELAIS_PROTOCOL_INVALID_MESSAGE', message: `no handler for ${body.type}` };
    try {
      await handler(agentId, body, env);
    } catch (err) {
      if (err instanceof HubError && !ERROR_CODES[err.code].retryable) {
        this.#d.logger.warn({ agentId, seq: env.seq, type: body.type, code: err.code }, 'channel: message refused');
        return { seq: env.seq, id: env.id, status: 'rejected', code: err.code, message: err.message.slice(0, 500) };
      }
      throw err;
    }
    return { seq: env.seq, id: env.id, status: 'accepted' };
  }

  async #readState(path: string): Promise<Record<string, number>> {
    try {
      const raw = JSON.parse(await readFile(path, 'utf8')) as unknown;
      if (check(InboundState, raw)) return { ...raw.streams };
      this.#d.logger.error({ path }, 'channel: invalid inbound state (duplicates will be recognised by the handlers)');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return {};
  }
}
