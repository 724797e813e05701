import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, generatePresharedKey } from '../wireguard/keys.ts';
import type { WgPeerStatus } from '../wireguard/dump.ts';
import { TunnelDirectory, desiredPeers, diffPeers } from './peers.ts';
import type { SiteRecord, WorkstationRecord } from './records.ts';

const POOL = { ipv4: '10.77.0.0/24', ipv6: 'fd5e:1c2b:77a0::/64' };

function site(id: string, host: number, extra: Partial<SiteRecord> = {}): SiteRecord {
  return {
    version: 1, id, name: id, establishment: {}, contact: {}, zone: 'Europe/Paris', defaultUrgency: 'scheduled', createdAt: '2026-11-24T08:00:00.000Z',
    tunnel: { ipv4: `10.77.0.${host}`, ipv6: `fd5e:1c2b:77a0::${host.toString(16)}` }, agentId: id, publicKey: generateKeyPair().publicKey,
    presharedKey: generatePresharedKey(), previousPublicKeys: [], ...extra,
  };
}

function ws(id: string, host: number, extra: Partial<WorkstationRecord> = {}): WorkstationRecord {
  return {
    version: 1, id, name: id, tunnel: { ipv4: `10.77.0.${host}`, ipv6: null }, publicKey: generateKeyPair().publicKey,
    presharedKey: generatePresharedKey(), createdAt: '2026-11-24T08:00:00.000Z', ...extra,
  };
}

function live(p: { publicKey: string; allowedIps: string[] }, psk = true): WgPeerStatus {
  return { publicKey: p.publicKey, hasPresharedKey: psk, endpoint: null, allowedIps: p.allowedIps, latestHandshakeMs: null, rxBytes: 0, txBytes: 0, persistentKeepaliveSeconds: null };
}

test('each peer is allowed only its own host addresses; revoked and unenrolled sites are not peers', () => {
  const a = site('a', 2);
  const peers = desiredPeers([a, site('gone', 3, { revokedAt: '2026-11-24T09:00:00.000Z' }), site('new', 4, { publicKey: undefined })], [ws('w', 5)]);
  assert.deepEqual(peers.map((p) => [p.owner, p.allowedIps]), [
    ['site:a', ['10.77.0.2/32', 'fd5e:1c2b:77a0::2/128']],
    ['ws:w', ['10.77.0.5/32']],
  ]);
});

test('the diff touches only what is wrong: new, changed and stale peers', () => {
  const [a, b, c] = [site('a', 2), site('b', 3), site('c', 4)];
  const desired = desiredPeers([a, b, c], []);
  const stale = generateKeyPair().publicKey;
  const actual = [
    live({ publicKey: a.publicKey!, allowedIps: ['fd5e:1c2b:77a0:0:0:0:0:2/128', '10.77.0.2/32'] }), // right (order and notation differ)
    live({ publicKey: b.publicKey!, allowedIps: ['10.77.0.3/32'] }), // lost its IPv6
    live({ publicKey: stale, allowedIps: ['10.77.0.9/32'] }),
  ];
  const d = diffPeers(desired, actual);
  assert.deepEqual(d.set.map((p) => p.owner).sort(), ['site:b', 'site:c']);
  assert.deepEqual(d.remove, [stale]);
  assert.deepEqual(diffPeers(desired, desired.map((p) => live(p))), { set: [], remove: [] });
});

test('the directory says who is behind a tunnel address, IPv4-mapped and IPv6 forms included', () => {
  const a = site('a', 2);
  const dir = new TunnelDirectory([a, site('gone', 3, { revokedAt: '2026-11-24T09:00:00.000Z' })], [ws('w', 5)], POOL);
  assert.equal((dir.peerAt('10.77.0.2') as { site: SiteRecord }).site.id, 'a');
  assert.equal((dir.peerAt('::ffff:10.77.0.2') as { site: SiteRecord }).site.id, 'a');
  assert.equal((dir.peerAt('fd5e:1c2b:77a0:0::2') as { site: SiteRecord }).site.id, 'a');
  assert.equal(dir.peerAt('10.77.0.5')?.kind, 'workstation');
  assert.equal(dir.peerAt('10.77.0.3'), undefined, 'a revoked site is nobody');
  assert.equal(dir.inTunnel('10.77.0.3'), true);
  assert.equal(dir.inTunnel('127.0.0.1'), false);
  assert.equal(dir.inTunnel('::ffff:10.77.0.200'), true);
  assert.equal(dir.siteOfAgent('a')?.id, 'a');
  assert.equal(dir.siteOfAgent('gone'), undefined);
});
