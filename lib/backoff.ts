/**
 * Exponential backoff with full jitter, capped (AWS architecture blog "full jitter").
 * Pure: the caller passes the attempt number and a random source in [0, 1).
 * Contract: delay(attempt) is uniform in [floor, min(cap, base * factor^attempt)].
 */
export interface BackoffPolicy {
  baseMs: number;
  factor: number;
  maxMs: number;
  /** Lower bound of each delay, so a storm of retries cannot go below it. */
  minMs?: number;
}

export const DEFAULT_RETRY: BackoffPolicy = { baseMs: 1_000, factor: 2, maxMs: 5 * 60_000, minMs: 250 };

export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * Math.pow(policy.factor, Math.max(0, attempt)));
  const floor = Math.min(policy.minMs ?? 0, ceiling);
  return Math.round(floor + random() * (ceiling - floor));
}
