/**
 * When the link is cut: periodic outages from the profile (e.g. 30 s every 2 min) plus outages
 * forced at run time ("cut now for 60 s", or until restored).
 * Contract (pure; time passed in, ms): the periodic schedule is down on
 * [origin + offset + k·every, origin + offset + k·every + duration) for every k ≥ 0; a forced cut is
 * down on [now, until); the link is down when either says so. `restore` ends forced cuts only.
 */
export interface PeriodicOutage {
  everyMs: number;
  durationMs: number;
  /** First outage starts this long after the origin; default every − duration (starts up). */
  offsetMs?: number;
}

export interface OutageState {
  down: boolean;
  cause: 'scheduled' | 'forced' | null;
  /** When the current state is due to change (Infinity: never on its own). */
  until: number;
}

export class OutageSchedule {
  readonly #periodic: Required<PeriodicOutage> | undefined;
  readonly #origin: number;
  #forcedFrom = Infinity;
  #forcedUntil = -Infinity;

  constructor(periodic: PeriodicOutage | undefined, origin: number) {
    if (periodic) {
      if (!(periodic.everyMs > 0) || !(periodic.durationMs > 0) || periodic.durationMs >= periodic.everyMs) {
        throw new RangeError('outage needs 0 < durationMs < everyMs');
      }
      this.#periodic = { offsetMs: periodic.everyMs - periodic.durationMs, ...periodic };
    }
    this.#origin = origin;
  }

  /** Cuts the link from `now` for `ms` (Infinity: until `restore`). Extends a longer cut, never shortens it. */
  cut(now: number, ms: number): void {
    if (!(ms > 0)) throw new RangeError('cut duration must be > 0');
    if (this.#forcedUntil <= now) this.#forcedFrom = now;
    this.#forcedUntil = Math.max(this.#forcedUntil, now + ms);
  }

  /** Ends any forced cut now (scheduled outages keep their course). */
  restore(): void {
    this.#forcedFrom = Infinity;
    this.#forcedUntil = -Infinity;
  }

  isDown(now: number): boolean {
    return this.state(now).down;
  }

  state(now: number): OutageState {
    const forced = now >= this.#forcedFrom && now < this.#forcedUntil;
    const sched = this.#scheduled(now);
    if (forced && sched.down) return { down: true, cause: 'forced', until: Math.max(this.#forcedUntil, sched.until) };
    if (forced) return { down: true, cause: 'forced', until: this.#forcedUntil };
    if (sched.down) return { down: true, cause: 'scheduled', until: sched.until };
    const nextForced = this.#forcedFrom > now && this.#forcedFrom < this.#forcedUntil ? this.#forcedFrom : Infinity;
    return { down: false, cause: null, until: Math.min(sched.until, nextForced) };
  }

  #scheduled(now: number): { down: boolean; until: number } {
    const p = this.#periodic;
    if (!p) return { down: false, until: Infinity };
    const first = this.#origin + p.offsetMs;
    if (now < first) return { down: false, until: first };
    const k = Math.floor((now - first) / p.everyMs);
    const start = first + k * p.everyMs;
    if (now < start + p.durationMs) return { down: true, until: start + p.durationMs };
    return { down: false, until: start + p.everyMs };
  }
}
