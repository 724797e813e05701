/**
 * Bytes per second over a sliding window (pure, on clock values): one-second buckets, the rate
 * is the bytes of the last `windowMs` divided by the window (or by the time since the first
 * byte when that is shorter, so a fresh transfer is not under-estimated).
 */
export class RateMeter {
  readonly #windowMs: number;
  readonly #buckets = new Map<number, number>();
  #firstAt: number | undefined;

  constructor(windowMs = 10_000) {
    this.#windowMs = windowMs;
  }

  add(bytes: number, now: number): void {
    if (bytes <= 0) return;
    const b = Math.floor(now / 1000);
    this.#buckets.set(b, (this.#buckets.get(b) ?? 0) + bytes);
    this.#firstAt ??= now;
    this.#trim(now);
  }

  #trim(now: number): void {
    const oldest = Math.floor((now - this.#windowMs) / 1000);
    for (const k of this.#buckets.keys()) if (k < oldest) this.#buckets.delete(k);
    if (this.#buckets.size === 0) this.#firstAt = undefined;
  }

  /** Bytes per second. */
  rate(now: number): number {
    this.#trim(now);
    let sum = 0;
    for (const v of this.#buckets.values()) sum += v;
    if (sum === 0 || this.#firstAt === undefined) return 0;
    const span = Math.max(1000, Math.min(this.#windowMs, now - this.#firstAt));
    return (sum * 1000) / span;
  }
}
