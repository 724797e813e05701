/**
 * Manual clock for tests: time moves only when the test calls `advance` or `set`.
 * Timers due at or before the new time fire in due-time order (ties in creation order),
 * and timers scheduled by a firing timer fire in the same `advance` when they fall due.
 */
import type { Clock, TimerHandle } from '../../lib/clock.ts';

interface PendingTimer {
  id: number;
  due: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  #now: number;
  #timers: PendingTimer[] = [];
  #nextId = 1;

  constructor(start: number | string | Date = 0) {
    this.#now = typeof start === 'number' ? start : new Date(start).getTime();
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.#nextId++, due: this.#now + Math.max(0, ms), fn };
    this.#timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    this.#timers = this.#timers.filter((t) => t.id !== handle.id);
  }

  /** Number of timers not yet fired. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Due time of the earliest pending timer, if any. */
  nextDue(): number | undefined {
    return this.#timers.reduce<number | undefined>((m, t) => (m === undefined || t.due < m ? t.due : m), undefined);
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    this.set(this.#now + ms);
  }

  /** Moves time to `target` (never backwards), firing due timers in order. */
  set(target: number | string | Date): void {
    const to = typeof target === 'number' ? target : new Date(target).getTime();
    if (to < this.#now) throw new Error('ManualClock cannot go backwards');
    while (this.#fireNextDue(to));
    this.#now = to;
  }

  /** Advances and lets promise callbacks run between timers (for async code under test). */
  async advanceAsync(ms: number): Promise<void> {
    const to = this.#now + ms;
    do await flushMicrotasks();
    while (this.#fireNextDue(to));
    this.#now = to;
    await flushMicrotasks();
  }

  /** Fires the earliest timer due at or before `to` (ties in creation order); false if none. */
  #fireNextDue(to: number): boolean {
    const due = this.#timers.filter((t) => t.due <= to).sort((a, b) => a.due - b.due || a.id - b.id)[0];
    if (!due) return false;
    this.#timers = this.#timers.filter((t) => t !== due);
    this.#now = due.due;
    due.fn();
    return true;
  }
}

/** Lets pending promise reactions (and I/O-free async chains) settle. */
export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}
