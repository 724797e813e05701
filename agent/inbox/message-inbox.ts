/**
 * The agent's incoming messages (hub → agent: protocol answers, worklist entries, reports,
 * configuration): pulled from the hub by long poll (the site opens every connection), stored
 * durably, acknowledged, then applied in order by the handler of each message type.
 *
 *   <data>/channel/in/state.json         { v, streamId, lastSeq }   (the acknowledgement cursor)
 *   <data>/channel/in/pending/m-<seq>.json  stored, not yet applied
 *   <data>/channel/in/rejected/          messages a handler refused for good (+ reason)
 *
 * Contract:
 * - a message is acknowledged (the next poll's `after`) only once its file is durable, so the
 *   hub may drop it; a new hub stream (the hub lost its outbox) resets the cursor;
 * - messages are applied one at a time in sequence order; a handler failure is retried with
 *   backoff (later messages wait: order matters, e.g. an answer before its report), except a
 *   `PermanentMessageError`, which sets the message aside with an alert;
 * - handlers are idempotent (a crash between applying and removing the file replays it);
 * - polls back off with jitter while the hub is unreachable, forever.
 */
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../lib/clock.ts';
import { sleep } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { backoffDelay, type BackoffPolicy } from '../../lib/backoff.ts';
import { Wakeup } from '../../lib/wakeup.ts';
import { ensureDir, fsyncDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { check, validationErrors } from '../../protocol/validate.ts';
import { HubEnvelope, InboxPage, type HubMessage } from '../../protocol/messages.ts';
import type { AlertBook } from '../alerts.ts';
import { ChannelUnreachableError, channelTrouble, type ChannelClient } from './channel-client.ts';

/** Thrown by a handler for a message it can never apply. */
export class PermanentMessageError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'PermanentMessageError';
    this.code = code;
  }
}

export type HubMessageHandler<T extends HubMessage['type']> = (message: Extract<HubMessage, { type: T }>, envelope: HubEnvelope) => Promise<void>;

export interface MessageInboxDeps {
  dir: string;
  clock: Clock;
  random: () => number;
  log: Logger;
  alerts: AlertBook;
  retry: BackoffPolicy;
  client: ChannelClient | undefined;
  /** Long-poll wait asked of the hub. */
  waitMs: number;
  /** Least time between two polls that brought nothing (a hub that does not hold the poll). */
  minIdlePollMs: number;
}

const FILE_RE = /^m-(\d{12})\.json$/;
const fileName = (seq: number) => `m-${String(seq).padStart(12, '0')}.json`;

export class MessageInbox {
  readonly #d: MessageInboxDeps;
  readonly #handlers = new Map<string, HubMessageHandler<HubMessage['type']>>();
  #streamId: string | undefined;
  #lastSeq = 0;
  #stop = new AbortController();
  #poll: Promise<void> | undefined;
  #apply: Promise<void> | undefined;
  readonly #applyWake = new Wakeup();
  #applied = 0;
  #listeners = new Set<(e: HubEnvelope) => void>();

  constructor(deps: MessageInboxDeps) {
    this.#d = deps;
  }

  handle<T extends HubMessage['type']>(type: T, handler: HubMessageHandler<T>): void {
    this.#handlers.set(type, handler as unknown as HubMessageHandler<HubMessage['type']>);
  }

  /** Told after each message was applied. */
  onApplied(listener: (e: HubEnvelope) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get appliedCount(): number {
    return this.#applied;
  }

  get cursor(): { streamId: string | undefined; lastSeq: number } {
    return { streamId: this.#streamId, lastSeq: this.#lastSeq };
  }

  async open(): Promise<void> {
    await ensureDir(join(this.#d.dir, 'pending'));
    await ensureDir(join(this.#d.dir, 'rejected'));
    try {
      const raw = JSON.parse(await readFile(join(this.#d.dir, 'state.json'), 'utf8')) as { streamId?: unknown; lastSeq?: unknown };
      if (typeof raw.streamId === 'string' && typeof raw.lastSeq === 'number') {
        this.#streamId = raw.streamId;
        this.#lastSeq = raw.lastSeq;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#d.log.error({ err: (err as Error).message }, 'channel: unreadable inbox state (the hub resends; handlers are idempotent)');
    }
  }

  start(): void {
    this.#apply ??= this.#applyLoop();
    if (this.#d.client) this.#poll ??= this.#pollLoop();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#applyWake.notify();
    await Promise.all([this.#poll, this.#apply]);
  }

  async #saveState(): Promise<void> {
    await writeFileDurable(join(this.#d.dir, 'state.json'), JSON.stringify({ v: 1, streamId: this.#streamId, lastSeq: this.#lastSeq }), { mode: 0o600 });
  }

  async #pollLoop(): Promise<void> {
    const { clock, log, alerts } = this.#d;
    const signal = this.#stop.signal;
    let failures = 0;
    while (!signal.aborted) {
      const started = clock.now();
      let got = 0;
      let more = false;
      let failed = false;
      try {
        const q = { after: this.#lastSeq, waitMs: this.#d.waitMs, ...(this.#streamId ? { stream: this.#streamId } : {}) };
        const reply = await this.#d.client!.pollInbox(q, signal);
        if (reply.status >= 200 && reply.status < 300 && check(InboxPage, reply.body)) {
          const page = reply.body;
          if (page.streamId !== this.#streamId) {
            log.warn({ previous: this.#streamId ?? null }, 'channel: new hub stream, cursor reset');
            this.#streamId = page.streamId;
            this.#lastSeq = 0;
          }
          for (const env of page.messages) {
            if (env.seq <= this.#lastSeq) continue;
            await writeFileDurable(join(this.#d.dir, 'pending', fileName(env.seq)), JSON.stringify(env), { mode: 0o600 });
            this.#lastSeq = env.seq;
            got++;
          }
          if (got > 0 || page.messages.length === 0) await this.#saveState();
          more = page.more;
          failures = 0;
          if (got > 0) {
            log.info({ messages: got, lastSeq: this.#lastSeq }, 'channel: messages received from the hub');
            this.#applyWake.notify();
          }
        } else {
          failed = true;
          const trouble = channelTrouble(reply);
          if (trouble === 'auth') alerts.raise('RELAIS_AUTH_INVALID', `HTTP ${reply.status}`);
          else if (trouble === 'protocol') alerts.raise('RELAIS_PROTOCOL_UNSUPPORTED', `HTTP ${reply.status}`);
          log.warn({ status: reply.status, errors: reply.status < 300 ? validationErrors(InboxPage, reply.body).slice(0, 2) : undefined }, 'channel: unexpected inbox answer, will retry');
        }
      } catch (err) {
        if (signal.aborted) break;
        failed = true;
        log.warn({ code: err instanceof ChannelUnreachableError ? err.code : 'ERROR', err: (err as Error).message }, 'channel: hub unreachable for the inbox');
      }
      if (failed) {
        const wait = backoffDelay(this.#d.retry, failures++, this.#d.random);
        await sleep(clock, wait, signal).catch(() => {});
      } else if (got === 0 && !more) {
        const idle = this.#d.minIdlePollMs - (clock.now() - started);
        if (idle > 0) await sleep(clock, idle, signal).catch(() => {});
      }
    }
  }

  async #applyLoop(): Promise<void> {
    const { clock, log } = this.#d;
    const signal = this.#stop.signal;
    let failures = 0;
    const dir = join(this.#d.dir, 'pending');
    while (!signal.aborted) {
      const next = (await readdir(dir).catch(() => [] as string[])).filter((n) => FILE_RE.test(n)).sort()[0];
      if (!next) {
        await this.#applyWake.wait();
        continue;
      }
      const path = join(dir, next);
      let env: HubEnvelope | undefined;
      try {
        const raw = JSON.parse(await readFile(path, 'utf8')) as unknown;
        if (!check(HubEnvelope, raw)) throw new PermanentMessageError('RELAIS_PROTOCOL_INVALID_MESSAGE', validationErrors(HubEnvelope, raw).slice(0, 2).join('; '));
        env = raw;
        const handler = this.#handlers.get(env.body.type);
        if (!handler) throw new PermanentMessageError('RELAIS_PROTOCOL_INVALID_MESSAGE', `no handler for ${env.body.type}`);
        await handler(env.body, env);
        await rm(path, { force: true });
        await fsyncDir(dir);
        failures = 0;
        this.#applied++;
        log.info({ seq: env.seq, type: env.body.type }, 'channel: message applied');
        for (const l of this.#listeners) l(env);
      } catch (err) {
        if (err instanceof PermanentMessageError || err instanceof SyntaxError) {
          const code = err instanceof PermanentMessageError ? err.code : 'RELAIS_PROTOCOL_INVALID_MESSAGE';
          await writeFileDurable(join(this.#d.dir, 'rejected', `${next}.reason`), JSON.stringify({ code, message: err.message.slice(0, 500), at: new Date(clock.now()).toISOString() }), { mode: 0o600 });
          await rename(path, join(this.#d.dir, 'rejected', next));
          await fsyncDir(dir);
          this.#d.alerts.raise('RELAIS_AGENT_INBOX_REJECTED', code);
          log.error({ file: next, code, err: err.message.slice(0, 200) }, 'channel: message from the hub set aside');
          continue;
        }
        log.warn({ file: next, err: (err as Error).message }, 'channel: message could not be applied yet, will retry');
        await sleep(clock, backoffDelay(this.#d.retry, failures++, this.#d.random), signal).catch(() => {});
      }
    }
  }
}
