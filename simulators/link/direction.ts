/**
 * One direction of an impaired link: outage check → bottleneck (token bucket, drop-tail queue) →
 * loss (after the bottleneck, so lost datagrams still use capacity) → delay + jitter (order kept)
 * → outage check again (a datagram in flight when the link is cut is lost) → `send`.
 * Contract: time comes from the injected clock, randomness from the injected streams, so a run is
 * reproducible from its seed and the arrival times; counters are updated synchronously and
 * `counters()` returns a copy.
 */
import type { Clock } from '../../lib/clock.ts';
import type { Random } from './prng.ts';
import { Bottleneck } from './bottleneck.ts';
import { GilbertElliott } from './gilbert-elliott.ts';
import { DelayLine, JitterProcess } from './delay-line.ts';
import type { OutageSchedule } from './outage-schedule.ts';
import type { DirectionProfile } from './profiles.ts';

export interface DropCounters {
  /** Drop-tail: the bottleneck queue was full. */
  queue: number;
  /** Random or bursty loss (Gilbert–Elliott). */
  loss: number;
  /** The link was cut (scheduled or forced) at arrival or while in flight. */
  outage: number;
}

export interface DirectionCounters {
  datagramsIn: number;
  bytesIn: number;
  datagramsOut: number;
  bytesOut: number;
  drops: DropCounters;
  dropBytes: DropCounters;
  /** Largest bottleneck backlog seen, bytes. */
  maxBacklogBytes: number;
  /** How late the delivery timer fired: sum (mean = sum / datagramsOut) and max over delivered datagrams, ms. */
  timerLateMsSum: number;
  timerLateMsMax: number;
  /** Datagrams accepted but not yet delivered. */
  inFlight: number;
}

export function emptyCounters(): DirectionCounters {
  return {
    datagramsIn: 0, bytesIn: 0, datagramsOut: 0, bytesOut: 0,
    drops: { queue: 0, loss: 0, outage: 0 }, dropBytes: { queue: 0, loss: 0, outage: 0 },
    maxBacklogBytes: 0, timerLateMsSum: 0, timerLateMsMax: 0, inFlight: 0,
  };
}

/** Adds `b` into `a` (aggregating several clients' directions). */
export function addCounters(a: DirectionCounters, b: DirectionCounters): DirectionCounters {
  return {
    datagramsIn: a.datagramsIn + b.datagramsIn,
    bytesIn: a.bytesIn + b.bytesIn,
    datagramsOut: a.datagramsOut + b.datagramsOut,
    bytesOut: a.bytesOut + b.bytesOut,
    drops: { queue: a.drops.queue + b.drops.queue, loss: a.drops.loss + b.drops.loss, outage: a.drops.outage + b.drops.outage },
    dropBytes: {
      queue: a.dropBytes.queue + b.dropBytes.queue,
      loss: a.dropBytes.loss + b.dropBytes.loss,
      outage: a.dropBytes.outage + b.dropBytes.outage,
    },
    maxBacklogBytes: Math.max(a.maxBacklogBytes, b.maxBacklogBytes),
    timerLateMsSum: a.timerLateMsSum + b.timerLateMsSum,
    timerLateMsMax: Math.max(a.timerLateMsMax, b.timerLateMsMax),
    inFlight: a.inFlight + b.inFlight,
  };
}

export interface DirectionDeps {
  profile: DirectionProfile;
  clock: Clock;
  /** Independent streams so that changing jitter does not change which datagrams are lost. */
  random: { loss: Random; jitter: Random };
  outages: OutageSchedule;
  send: (datagram: Uint8Array) => void;
}

export class ImpairedDirection {
  readonly #deps: DirectionDeps;
  readonly #bottleneck: Bottleneck;
  readonly #loss: GilbertElliott;
  readonly #jitter: JitterProcess;
  readonly #line: DelayLine<Uint8Array>;
  readonly #c = emptyCounters();

  constructor(deps: DirectionDeps) {
    const p = deps.profile;
    this.#deps = deps;
    this.#bottleneck = new Bottleneck({ rateBitsPerSecond: p.rateBitsPerSecond, burstBytes: p.burstBytes, queueBytes: p.queueBytes });
    this.#loss = new GilbertElliott(p.loss, deps.random.loss);
    this.#jitter = new JitterProcess({ jitterMs: p.jitterMs, periodMs: p.jitterPeriodMs }, deps.random.jitter);
    this.#line = new DelayLine(deps.clock, (d, late) => this.#arrive(d, late));
  }

  push(datagram: Uint8Array): void {
    const c = this.#c;
    const size = datagram.byteLength;
    const now = this.#deps.clock.now();
    c.datagramsIn++;
    c.bytesIn += size;
    if (this.#deps.outages.isDown(now)) return this.#drop('outage', size);
    const departAt = this.#bottleneck.offer(now, size);
    if (departAt === null) return this.#drop('queue', size);
    const backlog = this.#bottleneck.backlogBytes(now);
    if (backlog > c.maxBacklogBytes) c.maxBacklogBytes = backlog;
    if (this.#loss.lose()) return this.#drop('loss', size);
    const p = this.#deps.profile;
    const delay = Math.max(0, p.delayMs + this.#jitter.offsetAt(departAt));
    c.inFlight++;
    this.#line.schedule(departAt + delay, datagram);
  }

  counters(): DirectionCounters {
    return structuredClone(this.#c);
  }

  /** Drops whatever is still in flight (shutdown or profile change). */
  close(): void {
    this.#c.inFlight = 0;
    this.#line.clear();
  }

  #arrive(datagram: Uint8Array, lateMs: number): void {
    const c = this.#c;
    c.inFlight--;
    if (this.#deps.outages.isDown(this.#deps.clock.now())) return this.#drop('outage', datagram.byteLength);
    c.timerLateMsSum += lateMs;
    if (lateMs > c.timerLateMsMax) c.timerLateMsMax = lateMs;
    c.datagramsOut++;
    c.bytesOut += datagram.byteLength;
    this.#deps.send(datagram);
  }

  #drop(cause: keyof DropCounters, size: number): void {
    this.#c.drops[cause]++;
    this.#c.dropBytes[cause] += size;
  }
}
