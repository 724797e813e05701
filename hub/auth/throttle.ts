/**
 * Sign-in throttling: at most `maxFailures` failed attempts per key (client address) in a
 * sliding window of `windowMs`; beyond, attempts are refused (429) until old failures age
 * out. Success does not erase failures (an attacker holding one token gains nothing).
 * Memory is bounded: idle keys are dropped.
 */
import type { Clock } from '../../lib/clock.ts';

export class LoginThrottle {
  readonly #clock: Clock;
  readonly #max: number;
  readonly #windowMs: number;
  readonly #failures = new Map<string, number[]>();

  constructor(clock: Clock, maxFailures: number, windowMs: number) {
    this.#clock = clock;
    this.#max = maxFailures;
    this.#windowMs = windowMs;
  }

  #recent(key: string): number[] {
    const now = this.#clock.now();
    const list = (this.#failures.get(key) ?? []).filter((t) => now - t < this.#windowMs);
    if (list.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, list);
    return list;
  }

  /** Milliseconds until the next attempt is allowed (0 when allowed now). */
  retryAfterMs(key: string): number {
    const list = this.#recent(key);
    if (list.length < this.#max) return 0;
    return Math.max(1, (list[list.length - this.#max] ?? 0) + this.#windowMs - this.#clock.now());
  }

  fail(key: string): void {
    const list = this.#recent(key);
    list.push(this.#clock.now());
    this.#failures.set(key, list);
    if (this.#failures.size > 10_000) {
      for (const k of this.#failures.keys()) {
        this.#recent(k);
        if (this.#failures.size <= 5_000) break;
      }
    }
  }
}
