/**
 * Bandwidth budget of the uplink for scheduled and deferred work (pure logic on a clock value):
 * at most `fraction` of the link's capacity in each time window, the fraction depending on the
 * local hour (e.g. 50 % from 08:00 to 20:00, 100 % at night). Emergencies never consult it.
 *
 * Contract:
 * - `allowanceBytes(now)` = fraction(now) × linkBitsPerSecond / 8 × windowMs / 1000;
 * - `spend(bytes, now)` counts bytes sent by budgeted work in the window holding `now` (a new
 *   window starts at zero: unused budget is not carried over);
 * - `openAt(now)` is `now` while the window's spending is below its allowance, else the start of
 *   the next window (when the hour's fraction is 0, the start of the next hour with a non-zero
 *   fraction, looked up to a week ahead);
 * - local hours come from `utcOffsetMinutes` (given by the composition root), never from TZ.
 */

export interface BudgetRule {
  /** Local hour the rule starts at (0..23, inclusive). */
  fromHour: number;
  /** Local hour the rule ends at (1..24, exclusive); from > to wraps over midnight. */
  toHour: number;
  /** Share of the link for scheduled and deferred work, 0..1. */
  fraction: number;
}

export interface BudgetConfig {
  linkBitsPerSecond: number;
  windowMs: number;
  rules: BudgetRule[];
  /** Outside every rule. */
  defaultFraction: number;
  utcOffsetMinutes: number;
}

const HOUR = 3_600_000;

export class BandwidthBudget {
  readonly #c: BudgetConfig;
  #windowStart = -Infinity;
  #spent = 0;

  constructor(config: BudgetConfig) {
    if (!(config.linkBitsPerSecond > 0) || !(config.windowMs > 0)) throw new Error('budget: link rate and window must be positive');
    this.#c = config;
  }

  fractionAt(now: number): number {
    const hour = Math.floor((((now + this.#c.utcOffsetMinutes * 60_000) % (24 * HOUR)) + 24 * HOUR) % (24 * HOUR) / HOUR);
    for (const r of this.#c.rules) {
      const inside = r.fromHour <= r.toHour ? hour >= r.fromHour && hour < r.toHour : hour >= r.fromHour || hour < r.toHour;
      if (inside) return clamp01(r.fraction);
    }
    return clamp01(this.#c.defaultFraction);
  }

  allowanceBytes(now: number): number {
    return (this.fractionAt(now) * this.#c.linkBitsPerSecond * this.#c.windowMs) / 8 / 1000;
  }

  #roll(now: number): void {
    const start = Math.floor(now / this.#c.windowMs) * this.#c.windowMs;
    if (start !== this.#windowStart) {
      this.#windowStart = start;
      this.#spent = 0;
    }
  }

  spend(bytes: number, now: number): void {
    this.#roll(now);
    this.#spent += Math.max(0, bytes);
  }

  spentInWindow(now: number): number {
    this.#roll(now);
    return this.#spent;
  }

  /** When budgeted work may send (now if it may now). */
  openAt(now: number): number {
    this.#roll(now);
    if (this.#spent < this.allowanceBytes(now)) return now;
    let t = this.#windowStart + this.#c.windowMs;
    for (let i = 0; i < 7 * 24 * 60 && this.allowanceBytes(t) <= 0; i++) t = Math.max(t + this.#c.windowMs, nextHour(t));
    return t;
  }
}

function nextHour(t: number): number {
  return Math.floor(t / HOUR) * HOUR + HOUR;
}

function clamp01(x: number): number {
  return Math.max(0, Math.min(1, x));
}

/** Parses `08-20=50,20-08=100` (local hours, percent of the link). */
export function parseBudgetRules(spec: string): BudgetRule[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((part) => {
      const m = /^(\d{1,2})-(\d{1,2})=(\d{1,3})%?$/.exec(part);
      if (!m) throw new Error(`budget rule "${part}" is not HH-HH=PERCENT`);
      const [fromHour, toHour, pct] = [Number(m[1]), Number(m[2]), Number(m[3])];
      if (fromHour > 23 || toHour > 24 || toHour === fromHour || pct > 100) throw new Error(`budget rule "${part}" is out of range`);
      return { fromHour, toHour, fraction: pct / 100 };
    });
}
