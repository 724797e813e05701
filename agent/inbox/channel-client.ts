/**
 * The agent's HTTP client for the two channel routes (protocol/messages.ts), on fetch (undici,
 * keep-alive). Every request carries the agent credential and `relais-protocol`.
 * Contract: resolves with the status and parsed JSON body of any HTTP answer (2xx or not);
 * rejects with ChannelUnreachableError when no answer came (refused, reset, timeout, abort).
 * A long poll's timeout is its wait plus `timeoutMs`. Answers above `maxAnswerBytes` are read
 * as no body (a report page is at most a few tens of MiB).
 */
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../protocol/version.ts';
import { CHANNEL_ROUTES, type AgentMessageBatch } from '../../protocol/messages.ts';

export interface ChannelReply {
  status: number;
  body: unknown;
}

export class ChannelUnreachableError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ChannelUnreachableError';
    this.code = code;
  }
}

export interface ChannelClient {
  postMessages(batch: AgentMessageBatch, signal?: AbortSignal): Promise<ChannelReply>;
  pollInbox(q: { stream?: string; after: number; waitMs: number }, signal?: AbortSignal): Promise<ChannelReply>;
}

export interface ChannelClientOptions {
  baseUrl: string;
  credential: string;
  userAgent: string;
  timeoutMs: number;
  maxAnswerBytes?: number;
}

export function createChannelClient(o: ChannelClientOptions): ChannelClient {
  const base = o.baseUrl.replace(/\/+$/, '');
  const max = o.maxAnswerBytes ?? 96 * 1024 * 1024;
  const headers = { authorization: `Bearer ${o.credential}`, [PROTOCOL_HEADER]: String(PROTOCOL_VERSION), 'user-agent': o.userAgent, accept: 'application/json' };

  async function call(url: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal): Promise<ChannelReply> {
    const signals = [AbortSignal.timeout(timeoutMs)];
    if (signal) signals.push(signal);
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.any(signals) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      throw new ChannelUnreachableError(e.cause?.code ?? (e.name === 'TimeoutError' ? 'ETIMEDOUT' : e.name === 'AbortError' ? 'ABORTED' : 'ECONNRESET'), e.message);
    }
    let body: unknown;
    try {
      const length = Number(res.headers.get('content-length') ?? '0');
      if (length <= max) {
        const text = await res.text();
        if (text.length > 0 && text.length <= max) body = JSON.parse(text);
      } else await res.body?.cancel();
    } catch (err) {
      if ((err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError') throw new ChannelUnreachableError('ETIMEDOUT', 'answer cut short');
      body = undefined;
    }
    return { status: res.status, body };
  }

  return {
    postMessages(batch, signal) {
      return call(`${base}${CHANNEL_ROUTES.messages}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(batch) }, o.timeoutMs, signal);
    },
    pollInbox(q, signal) {
      const params = new URLSearchParams({ after: String(q.after), waitMs: String(q.waitMs) });
      if (q.stream) params.set('stream', q.stream);
      return call(`${base}${CHANNEL_ROUTES.inbox}?${params.toString()}`, { method: 'GET', headers }, q.waitMs + o.timeoutMs, signal);
    },
  };
}

/** Whether an answer means "try later" for the link as a whole (vs a refusal a human must fix). */
export function channelTrouble(reply: ChannelReply): 'auth' | 'protocol' | 'hub' {
  if (reply.status === 401 || reply.status === 403) return 'auth';
  if (reply.status === 426) return 'protocol';
  return 'hub';
}
