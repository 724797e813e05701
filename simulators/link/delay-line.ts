/**
 * One-way propagation delay with jitter that never reorders.
 * - `JitterProcess`: a ±J uniform offset, redrawn every `periodMs` of (virtual) time, constant in
 *   between (so back-to-back datagrams see the same delay, as on a real path).
 * - `DelayLine`: holds items until their due time on the injected clock and hands them over in
 *   the order they were scheduled; an item due before its predecessor waits for it (order kept).
 * Contract: one timer at a time; `deliver` gets the item and how late (ms) the clock fired.
 */
import type { Clock, TimerHandle } from '../../lib/clock.ts';
import type { Random } from './prng.ts';

export class JitterProcess {
  readonly #amplitude: number;
  readonly #period: number;
  readonly #random: Random;
  #slot = Number.NaN;
  #offset = 0;

  constructor(opts: { jitterMs: number; periodMs: number }, random: Random) {
    if (!(opts.jitterMs >= 0) || !(opts.periodMs > 0)) throw new RangeError('jitterMs >= 0 and periodMs > 0 required');
    this.#amplitude = opts.jitterMs;
    this.#period = opts.periodMs;
    this.#random = random;
  }

  /** The offset in [-J, +J] that applies at time `t`. */
  offsetAt(t: number): number {
    if (this.#amplitude === 0) return 0;
    const slot = Math.floor(t / this.#period);
    if (slot !== this.#slot) {
      this.#slot = slot;
      this.#offset = (this.#random() * 2 - 1) * this.#amplitude;
    }
    return this.#offset;
  }
}

interface Pending<T> {
  at: number;
  item: T;
}

/** Items due within this many ms of a timer firing go out in the same firing. */
const SAME_FIRING_MS = 0.25;

export class DelayLine<T> {
  readonly #clock: Clock;
  readonly #deliver: (item: T, lateMs: number) => void;
  #items: Pending<T>[] = [];
  #head = 0;
  #last = -Infinity;
  #timer: TimerHandle | undefined;

  constructor(clock: Clock, deliver: (item: T, lateMs: number) => void) {
    this.#clock = clock;
    this.#deliver = deliver;
  }

  get pending(): number {
    return this.#items.length - this.#head;
  }

  /** Schedules `item` for time `at` (or right after the previous item, if that is later). Returns the effective time. */
  schedule(at: number, item: T): number {
    const when = Math.max(at, this.#last);
    this.#last = when;
    this.#items.push({ at: when, item });
    if (this.#timer === undefined) this.#arm();
    return when;
  }

  /** Drops everything pending (shutdown). */
  clear(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#items = [];
    this.#head = 0;
  }

  #arm(): void {
    const next = this.#items[this.#head];
    if (!next) {
      this.#timer = undefined;
      return;
    }
    this.#timer = this.#clock.setTimeout(() => this.#fire(), Math.max(0, next.at - this.#clock.now()));
  }

  #fire(): void {
    const now = this.#clock.now();
    while (this.#head < this.#items.length) {
      const p = this.#items[this.#head]!;
      if (p.at > now + SAME_FIRING_MS) break;
      this.#items[this.#head] = undefined as unknown as Pending<T>;
      this.#head++;
      this.#deliver(p.item, Math.max(0, now - p.at));
    }
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    this.#arm();
  }
}
