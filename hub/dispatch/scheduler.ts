/**
 * Keyed timers on the injected clock: one clock timer armed for the earliest due entry.
 * `schedule(key, at, fn)` replaces any entry with the same key; entries due at the same
 * instant run in scheduling order; an entry due in the past runs on the next tick.
 * Contract: a handler runs at most once per schedule() call and never after cancel()/stop();
 * a throwing handler is reported to `onError` and does not stop the others.
 */
import type { Clock, TimerHandle } from '../../lib/clock.ts';

interface Entry {
  key: string;
  at: number;
  seq: number;
  fn: () => void;
}

export class Scheduler {
  readonly #heap: Entry[] = [];
  readonly #live = new Map<string, Entry>();
  #seq = 0;
  #timer: TimerHandle | undefined;
  #armedAt: number | undefined;
  #stopped = false;

  constructor(private readonly clock: Clock, private readonly onError: (err: unknown, key: string) => void) {}

  schedule(key: string, at: number, fn: () => void): void {
    if (this.#stopped) return;
    const e: Entry = { key, at, seq: this.#seq++, fn };
    this.#live.set(key, e);
    this.#push(e);
    this.#arm();
  }

  cancel(key: string): void {
    this.#live.delete(key);
  }

  has(key: string): boolean {
    return this.#live.has(key);
  }

  dueAt(key: string): number | undefined {
    return this.#live.get(key)?.at;
  }

  get size(): number {
    return this.#live.size;
  }

  stop(): void {
    this.#stopped = true;
    this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#live.clear();
    this.#heap.length = 0;
  }

  #top(): Entry | undefined {
    while (this.#heap.length > 0) {
      const e = this.#heap[0]!;
      if (this.#live.get(e.key) === e) return e;
      this.#pop();
    }
    return undefined;
  }

  #arm(): void {
    const top = this.#top();
    if (!top) {
      this.clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#armedAt = undefined;
      return;
    }
    if (this.#timer && this.#armedAt !== undefined && this.#armedAt <= top.at) return;
    this.clock.clearTimeout(this.#timer);
    this.#armedAt = top.at;
    this.#timer = this.clock.setTimeout(() => this.#run(), Math.max(0, top.at - this.clock.now()));
  }

  #run(): void {
    this.#timer = undefined;
    this.#armedAt = undefined;
    for (;;) {
      if (this.#stopped) return;
      const top = this.#top();
      if (!top || top.at > this.clock.now()) break;
      this.#pop();
      this.#live.delete(top.key);
      try {
        top.fn();
      } catch (err) {
        this.onError(err, top.key);
      }
    }
    this.#arm();
  }

  #less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #push(e: Entry): void {
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
