import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../test/fakes/manual-clock.ts';
import type { IdentityStore } from '../../provisioning/identity-store.ts';
import type { CatalogStore } from '../catalog/store.ts';
import type { AgentView } from '../../protocol/fleet.ts';
import { FleetState } from './fleet-state.ts';

function fleet(clock: ManualClock) {
  const identities = { listAgents: async () => [{ kind: 'agent', id: 'site-a', name: 'Site A', createdAt: '', secretSha256: '', credentialIssuedAt: '' }] } as unknown as IdentityStore;
  const f = new FleetState({ clock, identities, catalog: {} as CatalogStore, thresholds: { staleAfterMs: 150_000, offlineAfterMs: 600_000 } });
  const updates: AgentView[] = [];
  f.on('agent', (a) => updates.push(a));
  return { f, updates };
}

test("the operator sees a tunnel down once the hub's latest handshake is 3 minutes old, without a new event", async () => {
  const clock = new ManualClock('2026-11-24T08:00:00Z');
  const { f, updates } = fleet(clock);
  f.tunnelObserved(new Map([['site-a', { latestHandshakeMs: clock.now() - 10_000 }]]));
  assert.equal(updates.at(-1)?.tunnelUp, true);
  assert.equal((await f.agents())[0]!.tunnelUp, true);
  clock.advance(169_999);
  assert.equal((await f.agents())[0]!.tunnelUp, true, 'still up just before 3 minutes');
  clock.advance(1);
  assert.equal(updates.at(-1)?.tunnelUp, false, 'pushed to the page when the handshake turns 3 minutes old');
  // A new handshake brings it back; a peer that never handshook is down.
  f.tunnelObserved(new Map([['site-a', { latestHandshakeMs: clock.now() }]]));
  assert.equal(updates.at(-1)?.tunnelUp, true);
  f.tunnelObserved(new Map([['site-a', { latestHandshakeMs: null }]]));
  assert.equal(updates.at(-1)?.tunnelUp, false);
  f.close();
});

test("without the hub's view, the agent's reported handshake age is aged by the time since its heartbeat", async () => {
  const clock = new ManualClock('2026-11-24T08:00:00Z');
  const { f } = fleet(clock);
  f.heartbeat('site-a', 'Site A', {
    agentId: 'site-a', agentVersion: 't', protocolVersion: 2, sentAt: new Date(clock.now()).toISOString(), uptimeSeconds: 1,
    queue: { studies: 0, instances: 0, bytes: 0, oldestUnsentAgeSeconds: null, quarantined: 0 }, disk: { freeBytes: 1, totalBytes: 2 }, lastUploadAt: null,
    dicom: { aeTitle: 'RELAIS', port: 104, activeAssociations: 0 }, alerts: [],
    tunnel: { interface: 'relais0', latestHandshakeAgeSeconds: 100, rxBytes: 1, txBytes: 2, endpoint: '198.51.100.1:51820' },
  });
  assert.equal((await f.agents())[0]!.tunnelUp, true);
  clock.advance(80_000);
  assert.equal((await f.agents())[0]!.tunnelUp, false);
  f.clockReport('site-a', 'Site A', -600_000);
  assert.equal((await f.agents())[0]!.clockSkewMs, -600_000, 'a clock report shows even without a new heartbeat');
  f.close();
});
