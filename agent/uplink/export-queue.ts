/**
 * A queue of export work items with lanes, bounded concurrency and retries (pure logic on the
 * clock port; the work itself is the `run` callback).
 *
 * Contract:
 * - items run in lane order (lane 0 first), FIFO within a lane, at most `concurrency` at once;
 * - `run` resolves with 'done' (item leaves the queue) or a retry request; a retry of the
 *   item alone waits `backoffDelay(policy, attempts)` (exponential, jitter, capped) while
 *   other items go on; a retry with `linkDown` closes the shared LinkGate instead (nothing
 *   is sent until it reopens) and the item keeps its place at the head of its lane;
 * - retries never stop (clinical data); `run` must not throw (a throw counts as an item retry);
 * - `stop()` aborts runs in flight through their AbortSignal and resolves when they returned;
 * - pre-emption (`preempt`): lane 0 (emergencies) has the link to itself — an item added to
 *   lane 0 aborts every in-flight item of the other lanes, and none of them starts while lane-0
 *   items are ready or running (an emergency goes as fast as if it were alone: any other
 *   stream would share the bottleneck with it); an aborted item returns to the front of its
 *   lane with no backoff and no attempt counted (its run resumes later from where the hub's
 *   copy ends); a run may also ask to be `requeue`d (e.g. its budget ran out);
 * - budget (`openAt`): items of lanes ≥ 1 start only when `openAt(now)` ≤ now; lane 0 never
 *   waits for it.
 */
import type { Clock, TimerHandle } from '../../lib/clock.ts';
import { backoffDelay, type BackoffPolicy } from '../../lib/backoff.ts';

export type RunResult = 'done' | { retry: true; linkDown: boolean } | { requeue: true };

/** Shared pause of all sending after failures of the link or of the hub as a whole. */
export class LinkGate {
  readonly #clock: Clock;
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;
  #failures = 0;
  #openAt = 0;

  constructor(clock: Clock, policy: BackoffPolicy, random: () => number) {
    this.#clock = clock;
    this.#policy = policy;
    this.#random = random;
  }

  isOpen(): boolean {
    return this.#clock.now() >= this.#openAt;
  }

  get openAt(): number {
    return this.#openAt;
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** A link-level failure; counted once per pause (concurrent failures do not compound). */
  failed(): void {
    if (!this.isOpen()) return;
    this.#openAt = this.#clock.now() + backoffDelay(this.#policy, this.#failures, this.#random);
    this.#failures++;
  }

  succeeded(): void {
    this.#failures = 0;
    this.#openAt = 0;
  }
}

interface Entry<T> {
  key: string;
  value: T;
  lane: number;
  attempts: number;
  notBefore: number;
  /** Added again while running: run once more when this run is done. */
  again: boolean;
  /** Aborted to make room for an emergency. */
  preempted: boolean;
  abort: AbortController | undefined;
}

export interface ExportQueueOptions<T> {
  clock: Clock;
  random: () => number;
  policy: BackoffPolicy;
  gate: LinkGate;
  concurrency: number;
  lanes: number;
  run: (value: T, attempt: number, signal: AbortSignal) => Promise<RunResult>;
  /** Told about a `run` that threw (counted as an item retry). */
  onError?: (err: unknown, value: T) => void;
  /** Lane 0 pre-empts lower lanes when every slot is busy. */
  preempt?: boolean;
  /** Budget of lanes ≥ 1: when they may start. */
  openAt?: (now: number) => number;
  /** Told when an item was pre-empted. */
  onPreempt?: (value: T) => void;
}

export class ExportQueue<T> {
  readonly #o: ExportQueueOptions<T>;
  readonly #all = new Map<string, Entry<T>>();
  readonly #ready: Array<Map<string, Entry<T>>>;
  readonly #front: Entry<T>[][];
  readonly #delayed = new Map<string, Entry<T>>();
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();
  readonly #running = new Map<string, Entry<T>>();
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;
  #started = false;
  #stopped = false;

  constructor(opts: ExportQueueOptions<T>) {
    this.#o = opts;
    this.#ready = Array.from({ length: opts.lanes }, () => new Map());
    this.#front = Array.from({ length: opts.lanes }, () => []);
  }

  get size(): number {
    return this.#all.size;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  has(key: string): boolean {
    return this.#all.has(key);
  }

  values(): T[] {
    return [...this.#all.values()].map((e) => e.value);
  }

  /**
   * Adds an item. A key already waiting is left as it is; a key being run right now is run once
   * more after this run (its value may have changed meanwhile, e.g. a study got a late instance).
   */
  add(key: string, value: T, lane: number): void {
    if (this.#stopped) return;
    const existing = this.#all.get(key);
    if (existing) {
      if (this.#inFlight.has(key)) {
        existing.again = true;
        existing.value = value;
      }
      return;
    }
    const entry: Entry<T> = { key, value, lane: Math.max(0, Math.min(this.#o.lanes - 1, lane)), attempts: 0, notBefore: 0, again: false, preempted: false, abort: undefined };
    this.#all.set(key, entry);
    this.#ready[entry.lane]!.set(key, entry);
    if (this.#started && entry.lane === 0 && this.#o.preempt) this.#preemptFor();
    if (this.#started) this.#pump();
  }

  start(): void {
    this.#started = true;
    this.#pump();
  }

  /** Lane-0 work is waiting or running: other lanes stand aside. */
  #emergencyActive(): boolean {
    if (this.#front[0]!.length > 0 || this.#ready[0]!.size > 0) return true;
    for (const e of this.#running.values()) if (e.lane === 0) return true;
    return false;
  }

  /** An emergency arrived: every run of another lane is aborted (it resumes afterwards). */
  #preemptFor(): void {
    for (const e of this.#running.values()) {
      if (e.lane === 0 || e.preempted) continue;
      e.preempted = true;
      e.abort?.abort();
      this.#o.onPreempt?.(e.value);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await Promise.allSettled([...this.#inFlight.values()]);
  }

  #pump(): void {
    if (this.#stopped || !this.#started) return;
    const clock = this.#o.clock;
    while (this.#inFlight.size < this.#o.concurrency) {
      if (!this.#o.gate.isOpen()) {
        if (this.#all.size > this.#inFlight.size) this.#wakeAt(this.#o.gate.openAt);
        return;
      }
      const now = clock.now();
      let nextDelayed = Infinity;
      for (const e of this.#delayed.values()) {
        if (e.notBefore <= now) {
          this.#delayed.delete(e.key);
          this.#ready[e.lane]!.set(e.key, e);
        } else nextDelayed = Math.min(nextDelayed, e.notBefore);
      }
      const entry = this.#next();
      if (!entry) {
        if (nextDelayed < Infinity) this.#wakeAt(nextDelayed);
        return;
      }
      this.#launch(entry);
    }
  }

  #next(): Entry<T> | undefined {
    const now = this.#o.clock.now();
    const budgetAt = this.#o.openAt ? this.#o.openAt(now) : now;
    const exclusive = this.#o.preempt === true && this.#emergencyActive();
    for (let lane = 0; lane < this.#o.lanes; lane++) {
      if (lane > 0 && exclusive) break;
      if (lane > 0 && budgetAt > now) {
        if (this.#front[lane]!.length > 0 || this.#ready[lane]!.size > 0) this.#wakeAt(budgetAt);
        continue;
      }
      const front = this.#front[lane]!;
      if (front.length > 0) return front.shift();
      const ready = this.#ready[lane]!;
      const first = ready.values().next();
      if (!first.done) {
        ready.delete(first.value.key);
        return first.value;
      }
    }
    return undefined;
  }

  #launch(entry: Entry<T>): void {
    entry.abort = new AbortController();
    entry.preempted = false;
    this.#running.set(entry.key, entry);
    const signal = AbortSignal.any([this.#abort.signal, entry.abort.signal]);
    const run = (async () => {
      let result: RunResult;
      try {
        result = await this.#o.run(entry.value, entry.attempts, signal);
      } catch (err) {
        this.#o.onError?.(err, entry.value);
        result = { retry: true, linkDown: false };
      }
      this.#inFlight.delete(entry.key);
      this.#running.delete(entry.key);
      entry.abort = undefined;
      if (result !== 'done' && !this.#stopped && (entry.preempted || 'requeue' in result)) {
        entry.preempted = false;
        this.#front[entry.lane]!.unshift(entry);
      } else if (result === 'done' && entry.again && !this.#stopped) {
        entry.again = false;
        entry.attempts = 0;
        this.#ready[entry.lane]!.set(entry.key, entry);
      } else if (result === 'done') {
        this.#all.delete(entry.key);
      } else if (!this.#stopped && 'retry' in result) {
        if (result.linkDown) {
          this.#o.gate.failed();
          this.#front[entry.lane]!.push(entry);
        } else {
          entry.notBefore = this.#o.clock.now() + backoffDelay(this.#o.policy, entry.attempts, this.#o.random);
          entry.attempts++;
          this.#delayed.set(entry.key, entry);
        }
      }
      this.#pump();
    })();
    this.#inFlight.set(entry.key, run);
  }

  #wakeAt(at: number): void {
    if (this.#timer && this.#timerAt <= at) return;
    const clock = this.#o.clock;
    clock.clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#pump();
    }, Math.max(0, at - clock.now()));
  }
}
