/**
 * Notification outbox: deduplicates, records and retries alert deliveries on the injected clock.
 * Contract: `enqueue` ignores a key it has seen (pending, sent or failed) — one delivery per
 * case + alert + recipient + channel, across restarts; every attempt is recorded with its
 * outcome; RETRY outcomes are retried with lib/backoff.ts until `maxAgeMs` after creation, then
 * the delivery fails; FAIL is final. `onSettled` hears each delivery once it is sent or failed.
 * Delivery is at least once: a crash between a send and its record resends with the same key.
 */
import type { Clock, TimerHandle } from '../../lib/clock.ts';
import { backoffDelay, type BackoffPolicy } from '../../lib/backoff.ts';
import type { Logger } from '../../lib/logger.ts';
import type { ChannelAdapter, Delivery, DeliveryRequest, DeliveryStore, Outcome } from './types.ts';

export interface OutboxOptions {
  clock: Clock;
  channels: readonly ChannelAdapter[];
  store: DeliveryStore;
  logger: Logger;
  random?: () => number;
  retry?: BackoffPolicy;
  maxAgeMs?: number;
  onSettled?: (d: Delivery) => void;
}

export const ALERT_RETRY: BackoffPolicy = { baseMs: 5_000, factor: 2, maxMs: 5 * 60_000, minMs: 1_000 };

export class NotificationOutbox {
  readonly #o: Required<Omit<OutboxOptions, 'onSettled'>> & Pick<OutboxOptions, 'onSettled'>;
  readonly #byKey = new Map<string, Delivery>();
  readonly #timers = new Map<string, TimerHandle>();
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  readonly #channels: Map<string, ChannelAdapter>;
  #saving: Promise<void> = Promise.resolve();
  #dirty = false;
  #stopped = false;

  constructor(o: OutboxOptions) {
    this.#o = { random: Math.random, retry: ALERT_RETRY, maxAgeMs: 24 * 3_600_000, ...o };
    this.#channels = new Map(o.channels.map((c) => [c.name, c]));
  }

  /** Loads recorded deliveries and resumes the pending ones. */
  async start(): Promise<void> {
    for (const d of await this.#o.store.load()) this.#byKey.set(d.key, d);
    for (const d of this.#byKey.values()) if (d.status === 'pending') this.#scheduleAttempt(d, d.nextAttemptAt ? Date.parse(d.nextAttemptAt) : this.#o.clock.now());
  }

  has(key: string): boolean {
    return this.#byKey.has(key);
  }

  channelNames(): string[] {
    return [...this.#channels.keys()];
  }

  /** Records new deliveries durably, then sends them. Returns the keys that were new. */
  async enqueue(requests: readonly DeliveryRequest[]): Promise<string[]> {
    const fresh: Delivery[] = [];
    const now = new Date(this.#o.clock.now()).toISOString();
    for (const r of requests) {
      if (this.#byKey.has(r.key) || fresh.some((f) => f.key === r.key)) continue;
      if (!this.#channels.has(r.channel)) continue;
      fresh.push({ ...structuredClone(r), status: 'pending', createdAt: now, attempts: [] });
    }
    if (fresh.length === 0) return [];
    for (const d of fresh) this.#byKey.set(d.key, d);
    await this.#persist();
    for (const d of fresh) this.#kick(d);
    return fresh.map((d) => d.key);
  }

  list(filter: (d: Delivery) => boolean = () => true): Delivery[] {
    return [...this.#byKey.values()].filter(filter).map((d) => structuredClone(d));
  }

  /** Drops the settled records of these cases (their cases were archived). */
  async forget(caseIds: ReadonlySet<string>): Promise<void> {
    for (const [k, d] of this.#byKey) if (caseIds.has(d.caseId) && d.status !== 'pending') this.#byKey.delete(k);
    await this.#persist();
  }

  /** Resolves when no send is in flight and the record is on disk (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight.values()]);
    await this.#saving.catch(() => {});
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers.values()) this.#o.clock.clearTimeout(t);
    this.#timers.clear();
    await this.idle();
  }

  #scheduleAttempt(d: Delivery, at: number): void {
    if (this.#stopped) return;
    this.#o.clock.clearTimeout(this.#timers.get(d.key));
    const handle = this.#o.clock.setTimeout(() => {
      this.#timers.delete(d.key);
      this.#kick(d);
    }, Math.max(0, at - this.#o.clock.now()));
    this.#timers.set(d.key, handle);
  }

  #kick(d: Delivery): void {
    if (d.status !== 'pending' || this.#stopped) return;
    if (this.#inFlight.has(d.key)) {
      this.#again.add(d.key); // run once more when the current attempt is over
      return;
    }
    const p = this.#attempt(d).finally(() => {
      this.#inFlight.delete(d.key);
      if (this.#again.delete(d.key) && !this.#timers.has(d.key)) this.#kick(d);
    });
    this.#inFlight.set(d.key, p);
  }

  async #attempt(d: Delivery): Promise<void> {
    const channel = this.#channels.get(d.channel)!;
    const startedAt = this.#o.clock.now();
    let outcome: Outcome;
    try {
      outcome = await channel.send({ ...d }); // a copy: the record is trimmed once settled
    } catch (err) {
      outcome = { status: 'retry', detail: `adapter error: ${(err as Error).message}` };
    }
    const now = this.#o.clock.now();
    d.attempts.push({ at: new Date(startedAt).toISOString(), outcome: outcome.status, ...(outcome.detail ? { detail: outcome.detail.slice(0, 300) } : {}), ms: now - startedAt });
    delete d.nextAttemptAt;
    if (outcome.status === 'ok') d.status = 'sent';
    else if (outcome.status === 'fail') d.status = 'failed';
    else {
      const next = now + backoffDelay(this.#o.retry, d.attempts.length - 1, this.#o.random);
      if (next - Date.parse(d.createdAt) > this.#o.maxAgeMs) d.status = 'failed';
      else d.nextAttemptAt = new Date(next).toISOString();
    }
    if (d.status !== 'pending') {
      d.message = { subject: d.message.subject, short: '', body: '', event: d.message.event, data: {} };
      this.#o.logger.info({ alert: d.alert, channel: d.channel, caseRef: d.caseId.slice(-8), status: d.status, attempts: d.attempts.length }, 'alert delivery settled');
    }
    await this.#persist().catch(() => {}); // logged; the next save retries
    if (d.status !== 'pending') this.#o.onSettled?.(structuredClone(d));
    // Armed only now: a timer firing while this attempt is still in flight would be dropped.
    else if (d.nextAttemptAt) this.#scheduleAttempt(d, Date.parse(d.nextAttemptAt));
  }

  /** Coalesced whole-list save: resolves once a save that includes the current state is done. */
  #persist(): Promise<void> {
    this.#dirty = true;
    this.#saving = this.#saving.catch(() => {}).then(async () => {
      if (!this.#dirty) return;
      this.#dirty = false;
      try {
        await this.#o.store.save([...this.#byKey.values()]);
      } catch (err) {
        this.#dirty = true;
        this.#o.logger.error({ err: (err as Error).message }, 'could not record alert deliveries');
        throw err;
      }
    });
    return this.#saving;
  }
}
