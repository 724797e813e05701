import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentStatus } from './agent-status.ts';

test('agent status follows the age of the last heartbeat, thresholds excluded', () => {
  const t = { staleAfterMs: 150_000, offlineAfterMs: 600_000 };
  assert.equal(agentStatus(undefined, 1_000_000, t), 'never-seen');
  assert.equal(agentStatus(1_000_000, 1_000_000, t), 'online');
  assert.equal(agentStatus(1_000_000, 1_149_999, t), 'online');
  assert.equal(agentStatus(1_000_000, 1_150_000, t), 'stale');
  assert.equal(agentStatus(1_000_000, 1_599_999, t), 'stale');
  assert.equal(agentStatus(1_000_000, 1_600_000, t), 'offline');
});
