/**
 * The agent's outgoing messages (agent → hub: exam requests, cancellations, report delivery
 * confirmations), durable and in order, sent whenever the hub can be reached.
 *
 *   <data>/channel/out/state.json      { v, streamId, nextSeq }
 *   <data>/channel/out/m-<seq>.json    one AgentEnvelope per message not yet taken by the hub
 *   <data>/channel/out/rejected/       messages the hub refused for good (+ its reason)
 *
 * Contract:
 * - `enqueue` resolves once the message is durable (the caller may tell the user "stored, it
 *   will be sent"); its sequence number is never reused (nextSeq is durable before the file);
 * - the sender posts the oldest messages first, in batches, and removes a message only once the
 *   hub answered it `accepted` or `duplicate`; a `rejected` one moves to rejected/ with an alert
 *   (the stream goes on); no answer, 5xx, 401/403/426 → backoff with jitter, forever;
 * - an id already queued is not queued twice.
 */
import { EventEmitter } from 'node:events';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from '../../lib/clock.ts';
import { sleep } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { backoffDelay, type BackoffPolicy } from '../../lib/backoff.ts';
import { Wakeup } from '../../lib/wakeup.ts';
import { ensureDir, fsyncDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { check } from '../../protocol/validate.ts';
import { AgentMessage, AgentMessageBatchAck, type AgentEnvelope, type MessageResult } from '../../protocol/messages.ts';
import type { AlertBook } from '../alerts.ts';
import type { ChannelClient } from '../inbox/channel-client.ts';
import { ChannelUnreachableError, channelTrouble } from '../inbox/channel-client.ts';

export interface MessageOutboxEvents {
  sent: [AgentEnvelope, MessageResult];
  rejected: [AgentEnvelope, MessageResult];
}

export interface MessageOutboxDeps {
  dir: string;
  clock: Clock;
  random: () => number;
  log: Logger;
  alerts: AlertBook;
  retry: BackoffPolicy;
  client: ChannelClient | undefined;
}

const FILE_RE = /^m-(\d{12})\.json$/;
const fileName = (seq: number) => `m-${String(seq).padStart(12, '0')}.json`;

export class MessageOutbox {
  readonly events = new EventEmitter<MessageOutboxEvents>();
  readonly #d: MessageOutboxDeps;
  #streamId = '';
  #nextSeq = 1;
  #ids = new Map<string, number>();
  #chain: Promise<unknown> = Promise.resolve();
  readonly #wake = new Wakeup();
  #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(deps: MessageOutboxDeps) {
    this.#d = deps;
  }

  get streamId(): string {
    return this.#streamId;
  }

  get pending(): number {
    return this.#ids.size;
  }

  /** Whether a message with this id still waits for the hub. */
  has(id: string): boolean {
    return this.#ids.has(id);
  }

  async open(): Promise<void> {
    const dir = this.#d.dir;
    await ensureDir(join(dir, 'rejected'));
    let state: { streamId?: unknown; nextSeq?: unknown } = {};
    try {
      state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as typeof state;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#d.log.error({ err: (err as Error).message }, 'channel: unreadable outbox state, new stream');
    }
    let maxSeq = 0;
    for (const name of (await readdir(dir)).sort()) {
      const m = FILE_RE.exec(name);
      if (!m) continue;
      const seq = Number(m[1]);
      maxSeq = Math.max(maxSeq, seq);
      try {
        const env = JSON.parse(await readFile(join(dir, name), 'utf8')) as AgentEnvelope;
        this.#ids.set(env.id, seq);
      } catch {
        this.#d.log.error({ seq }, 'channel: unreadable outgoing message set aside');
        await rename(join(dir, name), join(dir, 'rejected', name));
      }
    }
    if (typeof state.streamId === 'string' && /^[a-z0-9][a-z0-9-]{7,63}$/.test(state.streamId) && typeof state.nextSeq === 'number') {
      this.#streamId = state.streamId;
      this.#nextSeq = Math.max(state.nextSeq, maxSeq + 1);
    } else {
      this.#streamId = `as-${randomBytes(10).toString('hex')}`;
      this.#nextSeq = maxSeq + 1;
      await this.#saveState();
    }
  }

  /** Queues a message; resolves with its envelope once durable. */
  enqueue(body: AgentMessage, id: string): Promise<AgentEnvelope> {
    const run = this.#chain.then(async () => {
      if (!check(AgentMessage, body)) throw new Error(`invalid outgoing message ${(body as { type?: string }).type ?? "?"}`);
      const known = this.#ids.get(id);
      if (known !== undefined) return JSON.parse(await readFile(join(this.#d.dir, fileName(known)), 'utf8')) as AgentEnvelope;
      const env: AgentEnvelope = { seq: this.#nextSeq, id, createdAt: new Date(this.#d.clock.now()).toISOString(), body };
      this.#nextSeq++;
      await this.#saveState();
      await writeFileDurable(join(this.#d.dir, fileName(env.seq)), JSON.stringify(env), { mode: 0o600 });
      this.#ids.set(id, env.seq);
      this.#d.log.info({ seq: env.seq, type: body.type }, 'channel: message queued for the hub');
      this.#wake.notify();
      return env;
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wake.notify();
    await this.#loop;
  }

  async #saveState(): Promise<void> {
    await writeFileDurable(join(this.#d.dir, 'state.json'), JSON.stringify({ v: 1, streamId: this.#streamId, nextSeq: this.#nextSeq }), { mode: 0o600 });
  }

  async #batch(): Promise<AgentEnvelope[]> {
    const names = (await readdir(this.#d.dir)).filter((n) => FILE_RE.test(n)).sort().slice(0, 50);
    const out: AgentEnvelope[] = [];
    let bytes = 0;
    for (const n of names) {
      const text = await readFile(join(this.#d.dir, n), 'utf8');
      if (out.length > 0 && bytes + text.length > 8 * 1024 * 1024) break;
      out.push(JSON.parse(text) as AgentEnvelope);
      bytes += text.length;
    }
    return out;
  }

  async #run(): Promise<void> {
    const { clock, log, alerts } = this.#d;
    const signal = this.#stop.signal;
    let failures = 0;
    while (!signal.aborted) {
      const batch = this.#d.client ? await this.#batch().catch(() => []) : [];
      if (batch.length === 0) {
        await this.#wake.wait();
        continue;
      }
      let ok = false;
      try {
        const reply = await this.#d.client!.postMessages({ streamId: this.#streamId, messages: batch }, signal);
        if (reply.status >= 200 && reply.status < 300 && check(AgentMessageBatchAck, reply.body) && reply.body.streamId === this.#streamId) {
          await this.#settle(batch, reply.body.results);
          ok = true;
          failures = 0;
          alerts.clear('RELAIS_AGENT_CHANNEL_STALLED');
        } else {
          const trouble = channelTrouble(reply);
          if (trouble === 'auth') alerts.raise('RELAIS_AUTH_INVALID', `HTTP ${reply.status}`);
          else if (trouble === 'protocol') alerts.raise('RELAIS_PROTOCOL_UNSUPPORTED', `HTTP ${reply.status}`);
          log.warn({ status: reply.status }, 'channel: the hub did not take the messages, will retry');
        }
      } catch (err) {
        if (signal.aborted) break;
        log.warn({ code: err instanceof ChannelUnreachableError ? err.code : 'ERROR', err: (err as Error).message }, 'channel: hub unreachable, messages stay queued');
      }
      if (!ok) {
        if (++failures >= 5) alerts.raise('RELAIS_AGENT_CHANNEL_STALLED', String(this.#ids.size));
        const wait = backoffDelay(this.#d.retry, failures - 1, this.#d.random);
        await sleep(clock, wait, signal).catch(() => {});
      }
    }
  }

  async #settle(batch: AgentEnvelope[], results: MessageResult[]): Promise<void> {
    const byId = new Map(results.map((r) => [r.seq, r]));
    let removed = false;
    for (const env of batch) {
      const r = byId.get(env.seq);
      if (!r) continue; // not reached this time: sent again
      const path = join(this.#d.dir, fileName(env.seq));
      if (r.status === 'rejected') {
        await writeFileDurable(join(this.#d.dir, 'rejected', `${fileName(env.seq)}.reason`), JSON.stringify(r), { mode: 0o600 });
        await rename(path, join(this.#d.dir, 'rejected', fileName(env.seq)));
        await fsyncDir(join(this.#d.dir, 'rejected'));
        this.#d.alerts.raise('RELAIS_AGENT_MESSAGE_REJECTED', r.code ?? '');
        this.#d.log.error({ seq: env.seq, type: (env.body as AgentMessage).type, code: r.code }, 'channel: the hub refused a message for good');
        this.events.emit('rejected', env, r);
      } else {
        await rm(path, { force: true });
        this.events.emit('sent', env, r);
      }
      this.#ids.delete(env.id);
      removed = true;
    }
    if (removed) await fsyncDir(this.#d.dir);
  }
}
