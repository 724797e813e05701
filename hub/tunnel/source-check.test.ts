import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TunnelDirectory } from '../../provisioning/enrolment/peers.ts';
import type { SiteRecord, WorkstationRecord } from '../../provisioning/enrolment/records.ts';
import { generateKeyPair, generatePresharedKey } from '../../provisioning/wireguard/keys.ts';
import { AGENT, PUBLIC, userMay } from '../auth/roles.ts';
import type { Principal } from '../auth/authenticator.ts';
import { checkSource } from './source-check.ts';
import { hubRuleset } from './firewall.ts';

const POOL = { ipv4: '10.77.0.0/24', ipv6: 'fd5e:1c2b:77a0::/64' };
const site = (id: string, host: number): SiteRecord => ({
  version: 1, id, name: id, establishment: {}, contact: {}, zone: 'Europe/Paris', defaultUrgency: 'scheduled', createdAt: '2026-11-24T08:00:00.000Z',
  tunnel: { ipv4: `10.77.0.${host}`, ipv6: `fd5e:1c2b:77a0::${host}` }, agentId: `agent-${id}`, publicKey: generateKeyPair().publicKey,
  presharedKey: generatePresharedKey(), previousPublicKeys: [],
});
const ws: WorkstationRecord = {
  version: 1, id: 'dr-home', name: 'Dr home', tunnel: { ipv4: '10.77.0.9', ipv6: null }, publicKey: generateKeyPair().publicKey,
  presharedKey: generatePresharedKey(), createdAt: '2026-11-24T08:00:00.000Z',
};
const dir = new TunnelDirectory([site('a', 2), site('b', 3)], [ws], POOL);
const agent = (id: string): Principal => ({ kind: 'agent', agentId: id, name: id, siteId: id });
const radiologist: Principal = { kind: 'user', userId: 'dr', name: 'dr', displayName: 'Dr', role: 'radiologist', via: 'bearer' };

test('an agent is accepted only from its own tunnel address', () => {
  assert.deepEqual(checkSource(dir, '10.77.0.2', AGENT, agent('agent-a')), { ok: true });
  assert.deepEqual(checkSource(dir, 'fd5e:1c2b:77a0::2', AGENT, agent('agent-a')), { ok: true });
  assert.deepEqual(checkSource(dir, '::ffff:10.77.0.2', AGENT, agent('agent-a')), { ok: true });
  assert.deepEqual(checkSource(dir, '10.77.0.3', AGENT, agent('agent-a')), { ok: false, reason: 'agent-wrong-source' }, "B's tunnel, A's credential");
  assert.deepEqual(checkSource(dir, '127.0.0.1', AGENT, agent('agent-a')), { ok: false, reason: 'agent-wrong-source' }, 'outside the tunnel');
  assert.deepEqual(checkSource(dir, '10.77.0.9', AGENT, agent('agent-a')), { ok: false, reason: 'agent-wrong-source' }, 'from a workstation');
  assert.deepEqual(checkSource(dir, '10.77.0.2', AGENT, agent('legacy')), { ok: false, reason: 'agent-not-enrolled' });
});

test('site addresses speak only the agent API; workstations only the reading services', () => {
  assert.deepEqual(checkSource(dir, '10.77.0.2', userMay('studies:read'), radiologist), { ok: false, reason: 'site-address-user-route' });
  assert.deepEqual(checkSource(dir, '10.77.0.9', userMay('images:read'), radiologist), { ok: true });
  assert.deepEqual(checkSource(dir, '10.77.0.200', userMay('images:read'), radiologist), { ok: false, reason: 'unknown-tunnel-address' });
  assert.deepEqual(checkSource(dir, '10.77.0.1', userMay('images:read'), radiologist), { ok: true }, "the hub's own address (a local proxy)");
  assert.deepEqual(checkSource(dir, '192.0.2.10', userMay('fleet:read'), radiologist), { ok: true }, 'outside the tunnel: the usual rules');
  assert.deepEqual(checkSource(dir, '10.77.0.200', PUBLIC, undefined), { ok: true });
  assert.deepEqual(checkSource(undefined, '10.77.0.3', AGENT, agent('agent-a')), { ok: true }, 'no tunnel: loopback demo');
});

test('the firewall lets peers reach only the API port and forwards nothing', () => {
  const rules = hubRuleset({ interfaceName: 'relais0', apiPort: 8080 });
  assert.match(rules, /iifname "relais0" tcp dport 8080 counter accept/);
  assert.match(rules, /iifname "relais0" counter drop comment "anything else from the tunnel"/);
  assert.match(rules, /chain forward \{[^}]*iifname "relais0" counter drop[^}]*oifname "relais0" counter drop/);
  assert.match(rules, /^table inet relais_hub_relais0\ndelete table inet relais_hub_relais0\n/, 'replaced whole, idempotent');
  assert.throws(() => hubRuleset({ interfaceName: 'x"; flush ruleset', apiPort: 8080 }), TypeError);
});
