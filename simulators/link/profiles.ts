/**
 * Link profiles: what the relay imposes on each direction (rate, queue, delay, jitter, loss) and
 * when the link is cut. Named profiles for the test bed and benches, a schema for profiles given
 * as JSON (CLI file, control endpoint), and `resolveProfile` that fills defaults.
 * Contract: a resolved profile has every field set; the queue defaults to about one
 * bandwidth-delay product (rate × RTT, at least 64 full datagrams: the relay reads datagrams in
 * bursts when its event loop was busy, and a tiny queue would turn that into drops), the bucket
 * to one datagram.
 */
import { Type, type Static } from '@sinclair/typebox';
import { assertValid } from '../../protocol/validate.ts';
import { bernoulliLoss, burstyLoss, type GilbertElliottParams } from './gilbert-elliott.ts';

const Probability = Type.Number({ minimum: 0, maximum: 1 });

export const LossSpec = Type.Object(
  { pGoodToBad: Probability, pBadToGood: Probability, lossGood: Probability, lossBad: Probability },
  { additionalProperties: false },
);

export const DirectionSpec = Type.Object(
  {
    rateBitsPerSecond: Type.Number({ exclusiveMinimum: 0 }),
    burstBytes: Type.Optional(Type.Integer({ minimum: 1500 })),
    queueBytes: Type.Optional(Type.Integer({ minimum: 1500 })),
    delayMs: Type.Number({ minimum: 0 }),
    jitterMs: Type.Optional(Type.Number({ minimum: 0 })),
    jitterPeriodMs: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    loss: Type.Optional(LossSpec),
  },
  { additionalProperties: false },
);

export const OutageSpec = Type.Object(
  {
    everyMs: Type.Number({ exclusiveMinimum: 0 }),
    durationMs: Type.Number({ exclusiveMinimum: 0 }),
    offsetMs: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);

export const LinkProfileSpec = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    description: Type.Optional(Type.String()),
    up: DirectionSpec,
    down: DirectionSpec,
    outages: Type.Optional(OutageSpec),
  },
  { additionalProperties: false },
);
export type LinkProfileSpec = Static<typeof LinkProfileSpec>;
export type DirectionSpec = Static<typeof DirectionSpec>;

export interface DirectionProfile {
  rateBitsPerSecond: number;
  burstBytes: number;
  queueBytes: number;
  delayMs: number;
  jitterMs: number;
  jitterPeriodMs: number;
  loss: GilbertElliottParams;
}

export interface LinkProfile {
  name: string;
  description: string;
  up: DirectionProfile;
  down: DirectionProfile;
  outages: { everyMs: number; durationMs: number; offsetMs: number } | null;
}

const MAX_DATAGRAM = 1500;

/** One bandwidth-delay product in bytes (rate × RTT), at least 64 full datagrams. */
export function bdpBytes(rateBitsPerSecond: number, rttMs: number): number {
  return Math.max(64 * MAX_DATAGRAM, Math.round((rateBitsPerSecond / 8) * (rttMs / 1000)));
}

function resolveDirection(d: DirectionSpec, rttMs: number): DirectionProfile {
  return {
    rateBitsPerSecond: d.rateBitsPerSecond,
    burstBytes: d.burstBytes ?? MAX_DATAGRAM,
    queueBytes: d.queueBytes ?? bdpBytes(d.rateBitsPerSecond, rttMs),
    delayMs: d.delayMs,
    jitterMs: d.jitterMs ?? 0,
    jitterPeriodMs: d.jitterPeriodMs ?? 10,
    loss: d.loss ?? bernoulliLoss(0),
  };
}

/** Validates a profile spec (e.g. read from JSON) and fills its defaults. */
export function resolveProfile(input: unknown): LinkProfile {
  const spec = assertValid(LinkProfileSpec, input);
  const rttMs = spec.up.delayMs + spec.down.delayMs;
  const o = spec.outages;
  if (o && o.durationMs >= o.everyMs) throw new RangeError('outages.durationMs must be shorter than outages.everyMs');
  return {
    name: spec.name,
    description: spec.description ?? '',
    up: resolveDirection(spec.up, rttMs),
    down: resolveDirection(spec.down, rttMs),
    outages: o ? { everyMs: o.everyMs, durationMs: o.durationMs, offsetMs: o.offsetMs ?? o.everyMs - o.durationMs } : null,
  };
}

interface Symmetric {
  name: string;
  description: string;
  mbps: number;
  rttMs: number;
  jitterMs?: number;
  loss?: GilbertElliottParams;
  outages?: { everyMs: number; durationMs: number };
}

function symmetric(s: Symmetric): LinkProfileSpec {
  const dir: DirectionSpec = { rateBitsPerSecond: s.mbps * 1e6, delayMs: s.rttMs / 2 };
  if (s.jitterMs) dir.jitterMs = s.jitterMs;
  if (s.loss) dir.loss = s.loss;
  const spec: LinkProfileSpec = { name: s.name, description: s.description, up: { ...dir }, down: { ...dir } };
  if (s.outages) spec.outages = s.outages;
  return spec;
}

/** The named profiles (each direction gets the same impairments). */
export const NAMED_PROFILES: Record<string, LinkProfileSpec> = {
  lan: symmetric({ name: 'lan', description: '100 Mbit/s, 2 ms RTT, no loss (relay check)', mbps: 100, rttMs: 2 }),
  'rural-4g': symmetric({
    name: 'rural-4g',
    description: '10 Mbit/s, 80 ms RTT, ±20 ms jitter each way, 0.5 % random loss each way',
    mbps: 10, rttMs: 80, jitterMs: 20, loss: bernoulliLoss(0.005),
  }),
  'rural-4g-bursty': symmetric({
    name: 'rural-4g-bursty',
    description: '10 Mbit/s, 80 ms RTT, ±20 ms jitter, 1 % loss in bursts of 4 datagrams on average (Gilbert–Elliott)',
    mbps: 10, rttMs: 80, jitterMs: 20, loss: burstyLoss(0.01, 4),
  }),
  'island-vsat': symmetric({
    name: 'island-vsat',
    description: '4 Mbit/s, 600 ms RTT, 1 % random loss each way',
    mbps: 4, rttMs: 600, loss: bernoulliLoss(0.01),
  }),
  flapping: symmetric({
    name: 'flapping',
    description: '20 Mbit/s, 40 ms RTT, cut for 30 s every 2 min (up for the first 90 s)',
    mbps: 20, rttMs: 40, outages: { everyMs: 120_000, durationMs: 30_000 },
  }),
};

export function profileNames(): string[] {
  return Object.keys(NAMED_PROFILES);
}

/** A named profile, resolved; throws with the list of names for an unknown one. */
export function namedProfile(name: string): LinkProfile {
  const spec = NAMED_PROFILES[name];
  if (!spec) throw new Error(`unknown link profile "${name}" (known: ${profileNames().join(', ')})`);
  return resolveProfile(spec);
}
