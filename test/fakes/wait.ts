/**
 * Waiting for a condition in tests without sleeping as synchronisation: polls `probe` until it
 * returns a truthy value or the deadline passes (then throws with `what`). Use for conditions
 * observed across process boundaries (a file appears, an HTTP endpoint answers); prefer events
 * or the manual clock inside one process. Same contract as lib/poll.ts, with a test-sized default.
 */
import { pollUntil } from '../../lib/poll.ts';

export function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  return pollUntil(probe, what, { timeoutMs: 30_000, ...opts });
}
