/**
 * Packet loss as a two-state Markov chain (Gilbert–Elliott): a Good and a Bad state, each with
 * its own loss probability, and per-datagram transition probabilities. Bernoulli (independent)
 * loss is the special case with no transition to Bad.
 * Contract (pure; randomness passed in): `lose()` decides one datagram, then moves the chain.
 * Stationary loss = (πG·lossGood + πB·lossBad) with πB = p/(p+r); mean Bad sojourn = 1/r.
 */
import type { Random } from './prng.ts';

export interface GilbertElliottParams {
  /** P(Good → Bad) per datagram. */
  pGoodToBad: number;
  /** P(Bad → Good) per datagram. */
  pBadToGood: number;
  /** Loss probability while Good. */
  lossGood: number;
  /** Loss probability while Bad. */
  lossBad: number;
}

/** Independent loss with probability p. */
export function bernoulliLoss(p: number): GilbertElliottParams {
  return { pGoodToBad: 0, pBadToGood: 1, lossGood: p, lossBad: p };
}

/** Bursty loss (Gilbert model: Bad loses everything) with a mean loss rate and mean burst length. */
export function burstyLoss(meanLoss: number, meanBurstDatagrams: number): GilbertElliottParams {
  if (!(meanLoss >= 0 && meanLoss < 1)) throw new RangeError('meanLoss must be in [0, 1)');
  if (!(meanBurstDatagrams >= 1)) throw new RangeError('meanBurstDatagrams must be >= 1');
  const r = 1 / meanBurstDatagrams;
  const p = (r * meanLoss) / (1 - meanLoss);
  return { pGoodToBad: p, pBadToGood: r, lossGood: 0, lossBad: 1 };
}

/** The long-run loss rate of a parameter set. */
export function stationaryLoss(g: GilbertElliottParams): number {
  const denom = g.pGoodToBad + g.pBadToGood;
  const piBad = denom === 0 ? 0 : g.pGoodToBad / denom;
  return (1 - piBad) * g.lossGood + piBad * g.lossBad;
}

export class GilbertElliott {
  readonly #g: GilbertElliottParams;
  readonly #random: Random;
  #bad = false;

  constructor(params: GilbertElliottParams, random: Random) {
    for (const [k, v] of Object.entries(params)) {
      if (!(v >= 0 && v <= 1)) throw new RangeError(`${k} must be a probability`);
    }
    this.#g = params;
    this.#random = random;
  }

  get state(): 'good' | 'bad' {
    return this.#bad ? 'bad' : 'good';
  }

  /** Whether this datagram is lost; then the chain takes one step. */
  lose(): boolean {
    const g = this.#g;
    const p = this.#bad ? g.lossBad : g.lossGood;
    const lost = p > 0 && this.#random() < p;
    if (this.#bad) {
      if (g.pBadToGood > 0 && this.#random() < g.pBadToGood) this.#bad = false;
    } else if (g.pGoodToBad > 0 && this.#random() < g.pGoodToBad) {
      this.#bad = true;
    }
    return lost;
  }
}
