/**
 * The hub's outbox: one durable, ordered queue of messages per agent (protocol/messages.ts,
 * hub → agent), waiting at the hub while the site is offline and handed out when it polls.
 *
 *   DATA/outbox/<agentId>/stream.json         { v, streamId, ackedSeq }
 *   DATA/outbox/<agentId>/m-<seq>.json        one HubEnvelope per pending message
 *   DATA/outbox/<agentId>/delivered.jsonl     { seq, id, type, at } of each acknowledged message
 *
 * Contract:
 * - `enqueue` resolves once the message file is durable (write-temp, fsync, rename, fsync dir),
 *   with its sequence number; sequence numbers of an agent's stream only grow (the acknowledged
 *   mark is made durable before acknowledged files are removed, so none is ever reused);
 * - `enqueue` with an `id` already pending or already delivered returns that message (no copy);
 * - `page(agent, stream, after)` first takes `after` as the agent's cumulative acknowledgement
 *   (for the current stream only), records the deliveries, removes those files and tells the
 *   `delivered` listeners, then returns the next pending messages (at least one when any, then
 *   up to `maxBytes`); `wait` resolves on the next enqueue for that agent or at the timeout;
 * - operations on one agent are serialised; agents are independent.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { ensureDir, fsyncDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { check, validationErrors } from '../../protocol/validate.ts';
import { HubEnvelope, type HubMessage, type InboxPage } from '../../protocol/messages.ts';
import { Type } from '@sinclair/typebox';
import { KeyedMutex } from '../storage/keyed-mutex.ts';
import { JsonlFile } from '../storage/jsonl-file.ts';

const StreamState = Type.Object({ v: Type.Literal(1), streamId: Type.String(), ackedSeq: Type.Integer({ minimum: 0 }) });

interface PendingMeta {
  seq: number;
  id: string;
  type: string;
  bytes: number;
}

interface AgentQueue {
  streamId: string;
  ackedSeq: number;
  nextSeq: number;
  pending: PendingMeta[];
  ids: Map<string, number>;
  delivered: Set<string>;
  log: JsonlFile;
  waiters: Set<() => void>;
}

export interface DeliveredEvent {
  agentId: string;
  seq: number;
  id: string;
  type: string;
}

export interface HubOutboxDeps {
  dir: string;
  clock: Clock;
  logger: Logger;
}

const FILE_RE = /^m-(\d{12})\.json$/;
const fileName = (seq: number) => `m-${String(seq).padStart(12, '0')}.json`;

export function newStreamId(): string {
  return `hs-${randomBytes(10).toString('hex')}`;
}

export class HubOutbox {
  readonly #d: HubOutboxDeps;
  readonly #queues = new Map<string, Promise<AgentQueue>>();
  readonly #locks = new KeyedMutex();
  readonly #delivered = new Set<(e: DeliveredEvent) => void>();

  constructor(deps: HubOutboxDeps) {
    this.#d = deps;
  }

  /** Told once per message the agent acknowledged (after the delivery is recorded). */
  onDelivered(listener: (e: DeliveredEvent) => void): () => void {
    this.#delivered.add(listener);
    return () => this.#delivered.delete(listener);
  }

  /** Queues a message for an agent; resolves with its envelope once durable. */
  enqueue(agentId: string, body: HubMessage, opts: { id?: string } = {}): Promise<HubEnvelope & { duplicate: boolean }> {
    return this.#locks.run(agentId, async () => {
      const q = await this.#queue(agentId);
      const id = opts.id ?? `${body.type}:${randomBytes(9).toString('hex')}`;
      const existing = q.ids.get(id);
      if (existing !== undefined) return { ...(await this.#read(agentId, existing)), duplicate: true };
      if (q.delivered.has(id)) return { seq: 0, id, createdAt: new Date(this.#d.clock.now()).toISOString(), body, duplicate: true };
      const envelope: HubEnvelope = { seq: q.nextSeq, id, createdAt: new Date(this.#d.clock.now()).toISOString(), body };
      const text = JSON.stringify(envelope);
      await writeFileDurable(join(this.#dir(agentId), fileName(envelope.seq)), text, { mode: 0o600 });
      q.nextSeq++;
      q.pending.push({ seq: envelope.seq, id, type: body.type, bytes: Buffer.byteLength(text) });
      q.ids.set(id, envelope.seq);
      this.#d.logger.info({ agentId, seq: envelope.seq, type: body.type }, 'outbox: message queued for agent');
      for (const w of [...q.waiters]) w();
      return { ...envelope, duplicate: false };
    });
  }

  /** Messages waiting for an agent (not yet acknowledged). */
  async pendingCount(agentId: string): Promise<number> {
    return (await this.#queue(agentId)).pending.length;
  }

  async streamId(agentId: string): Promise<string> {
    return (await this.#queue(agentId)).streamId;
  }

  /** Acknowledges up to `after` (same stream only) and returns the next page. */
  page(agentId: string, stream: string | undefined, after: number, maxBytes = 8 * 1024 * 1024): Promise<InboxPage> {
    return this.#locks.run(agentId, async () => {
      const q = await this.#queue(agentId);
      const ackUpTo = stream === q.streamId ? after : 0;
      if (ackUpTo > q.ackedSeq) await this.#ack(agentId, q, ackUpTo);
      const messages: HubEnvelope[] = [];
      let bytes = 0;
      let more = false;
      for (const m of q.pending) {
        if (m.seq <= ackUpTo) continue;
        if (messages.length > 0 && (bytes + m.bytes > maxBytes || messages.length >= 100)) {
          more = true;
          break;
        }
        messages.push(await this.#read(agentId, m.seq));
        bytes += m.bytes;
      }
      return { streamId: q.streamId, messages, more };
    });
  }

  /** Resolves when a message is queued for the agent, after `ms`, or when `signal` aborts. */
  async wait(agentId: string, ms: number, signal?: AbortSignal): Promise<void> {
    const q = await this.#queue(agentId);
    await new Promise<void>((resolve) => {
      const done = () => {
        q.waiters.delete(done);
        this.#d.clock.clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = this.#d.clock.setTimeout(done, ms);
      q.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  async close(): Promise<void> {
    for (const p of this.#queues.values()) {
      const q = await p.catch(() => undefined);
      if (!q) continue;
      for (const w of [...q.waiters]) w();
      await q.log.close();
    }
  }

  #dir(agentId: string): string {
    return join(this.#d.dir, agentId);
  }

  async #ack(agentId: string, q: AgentQueue, upTo: number): Promise<void> {
    const acked = q.pending.filter((m) => m.seq <= upTo);
    const at = new Date(this.#d.clock.now()).toISOString();
    for (const m of acked) await q.log.append({ seq: m.seq, id: m.id, type: m.type, at });
    // The mark first: a crash after it and before the removals leaves files the recovery drops.
    q.ackedSeq = Math.max(q.ackedSeq, upTo);
    await writeFileDurable(join(this.#dir(agentId), 'stream.json'), JSON.stringify({ v: 1, streamId: q.streamId, ackedSeq: q.ackedSeq }), { mode: 0o600 });
    for (const m of acked) await rm(join(this.#dir(agentId), fileName(m.seq)), { force: true });
    if (acked.length > 0) await fsyncDir(this.#dir(agentId));
    q.pending = q.pending.filter((m) => m.seq > upTo);
    for (const m of acked) {
      q.ids.delete(m.id);
      q.delivered.add(m.id);
      this.#d.logger.info({ agentId, seq: m.seq, type: m.type }, 'outbox: message acknowledged by agent');
      for (const l of this.#delivered) {
        try {
          l({ agentId, seq: m.seq, id: m.id, type: m.type });
        } catch (err) {
          this.#d.logger.error({ err: (err as Error).message }, 'outbox: delivered listener failed');
        }
      }
    }
  }

  async #read(agentId: string, seq: number): Promise<HubEnvelope> {
    const value = JSON.parse(await readFile(join(this.#dir(agentId), fileName(seq)), 'utf8')) as unknown;
    if (!check(HubEnvelope, value)) throw new Error(`outbox file ${fileName(seq)} of ${agentId} is invalid: ${validationErrors(HubEnvelope, value).slice(0, 2).join('; ')}`);
    return value;
  }

  #queue(agentId: string): Promise<AgentQueue> {
    let p = this.#queues.get(agentId);
    if (!p) {
      p = this.#load(agentId);
      this.#queues.set(agentId, p);
      p.catch(() => this.#queues.delete(agentId));
    }
    return p;
  }

  /** Loads (or creates) an agent's queue: state, pending files, delivered ids. */
  async #load(agentId: string): Promise<AgentQueue> {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(agentId)) throw new Error('invalid agent id');
    const dir = this.#dir(agentId);
    await ensureDir(dir);
    let state: { streamId: string; ackedSeq: number } | undefined;
    try {
      const raw = JSON.parse(await readFile(join(dir, 'stream.json'), 'utf8')) as unknown;
      if (check(StreamState, raw)) state = raw;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#d.logger.error({ agentId, err: (err as Error).message }, 'outbox: unreadable stream state, starting a new stream');
    }
    if (!state) {
      state = { streamId: newStreamId(), ackedSeq: 0 };
      await writeFileDurable(join(dir, 'stream.json'), JSON.stringify({ v: 1, ...state }), { mode: 0o600 });
    }
    const pending: PendingMeta[] = [];
    const ids = new Map<string, number>();
    let maxSeq = state.ackedSeq;
    for (const name of (await readdir(dir)).sort()) {
      const m = FILE_RE.exec(name);
      if (!m) {
        if (name.startsWith('.') && name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
        continue;
      }
      const seq = Number(m[1]);
      maxSeq = Math.max(maxSeq, seq);
      if (seq <= state.ackedSeq) {
        await rm(join(dir, name), { force: true }); // acknowledged before a crash
        continue;
      }
      const text = await readFile(join(dir, name), 'utf8');
      const env = JSON.parse(text) as unknown;
      if (!check(HubEnvelope, env)) {
        this.#d.logger.error({ agentId, seq }, 'outbox: invalid message file left aside');
        continue;
      }
      pending.push({ seq, id: env.id, type: env.body.type, bytes: Buffer.byteLength(text) });
      ids.set(env.id, seq);
    }
    const delivered = new Set<string>();
    const logPath = join(dir, 'delivered.jsonl');
    try {
      for (const line of (await readFile(logPath, 'utf8')).split('\n')) {
        if (!line) continue;
        try {
          const r = JSON.parse(line) as { id?: unknown };
          if (typeof r.id === 'string') delivered.add(r.id);
        } catch {
          /* torn line: repaired at the next append */
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return { streamId: state.streamId, ackedSeq: state.ackedSeq, nextSeq: maxSeq + 1, pending, ids, delivered, log: new JsonlFile(logPath), waiters: new Set() };
  }
}
