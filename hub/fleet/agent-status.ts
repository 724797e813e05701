/**
 * An agent's status from the age of its last heartbeat (pure): online up to `staleAfterMs`,
 * stale up to `offlineAfterMs`, then offline; never-seen without any heartbeat.
 */
import type { AgentStatus } from '../../protocol/fleet.ts';

export interface StatusThresholds {
  staleAfterMs: number;
  offlineAfterMs: number;
}

export function agentStatus(lastSeenMs: number | undefined, now: number, t: StatusThresholds): AgentStatus {
  if (lastSeenMs === undefined) return 'never-seen';
  const age = now - lastSeenMs;
  if (age < t.staleAfterMs) return 'online';
  if (age < t.offlineAfterMs) return 'stale';
  return 'offline';
}

/** A WireGuard tunnel is considered down when its latest handshake is older than this. */
export const TUNNEL_HANDSHAKE_MAX_AGE_S = 180;
