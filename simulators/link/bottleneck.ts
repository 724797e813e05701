/**
 * The bottleneck of one link direction: a token bucket on datagram bytes feeding a drop-tail
 * queue, computed in virtual time (no timer per datagram).
 * Contract (pure; time is passed in, in milliseconds, fractions allowed):
 * - `offer(now, bytes)` returns the time the datagram leaves the bottleneck, or `null` when the
 *   queue (bytes accepted but not yet departed) cannot take it (drop-tail);
 * - departures are in arrival order and never earlier than `now`;
 * - over any busy period the departed bytes never exceed `burstBytes + rate × elapsed`.
 */
export interface BottleneckConfig {
  rateBitsPerSecond: number;
  /** Depth of the token bucket (how much may leave back to back after an idle period). */
  burstBytes: number;
  /** Drop-tail limit on the bytes waiting for tokens. */
  queueBytes: number;
}

interface Queued {
  departAt: number;
  bytes: number;
}

export class Bottleneck {
  readonly #bytesPerMs: number;
  readonly #burst: number;
  readonly #limit: number;
  #tokens: number;
  #tokensAt = -Infinity;
  #lastDepart = -Infinity;
  #queue: Queued[] = [];
  #head = 0;
  #queuedBytes = 0;

  constructor(cfg: BottleneckConfig) {
    if (!(cfg.rateBitsPerSecond > 0)) throw new RangeError('rateBitsPerSecond must be > 0');
    if (!(cfg.burstBytes > 0) || !(cfg.queueBytes > 0)) throw new RangeError('burstBytes and queueBytes must be > 0');
    this.#bytesPerMs = cfg.rateBitsPerSecond / 8 / 1000;
    this.#burst = cfg.burstBytes;
    this.#limit = cfg.queueBytes;
    this.#tokens = cfg.burstBytes;
  }

  /** Bytes accepted and still waiting to leave at time `now`. */
  backlogBytes(now: number): number {
    this.#expire(now);
    return this.#queuedBytes;
  }

  offer(now: number, bytes: number): number | null {
    this.#expire(now);
    if (this.#queuedBytes + bytes > this.#limit) return null;
    const start = Math.max(now, this.#lastDepart);
    const available = Math.min(this.#burst, this.#tokens + (start - this.#tokensAt) * this.#bytesPerMs);
    let departAt: number;
    if (available >= bytes) {
      departAt = start;
      this.#tokens = available - bytes;
    } else {
      departAt = start + (bytes - available) / this.#bytesPerMs;
      this.#tokens = 0;
    }
    this.#tokensAt = departAt;
    this.#lastDepart = departAt;
    if (departAt > now) {
      this.#queue.push({ departAt, bytes });
      this.#queuedBytes += bytes;
    }
    return departAt;
  }

  #expire(now: number): void {
    const q = this.#queue;
    while (this.#head < q.length && q[this.#head]!.departAt <= now) {
      this.#queuedBytes -= q[this.#head]!.bytes;
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > q.length) {
      this.#queue = q.slice(this.#head);
      this.#head = 0;
    }
  }
}
