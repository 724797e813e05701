import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderWgConfig, renderWgQuickConfig, type WgQuickConfig } from './config-render.ts';

// Test keys only (from `wg genkey`), never used anywhere else.
const SITE_PRIVATE = '2IGeLzKFZVfrW2wgNvjFOpcyOx0YesUEkkUvKPq0hFI=';
const HUB_PUBLIC = 'gVHRqIZxi+eQIqxptzd4oCxTI9DhFDkYYzAPZryh6lE=';
const PSK = 'zYJWe2Msk7JXDSQbDYlOXm6aGqXy7+A3cfGBiQKpeHA=';

const golden = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

const agent: WgQuickConfig = {
  comment: 'Relais agent tunnel for site "CH Marie-Galante CT" (generated; mode 0600)',
  interface: { privateKey: SITE_PRIVATE, addresses: ['10.99.0.7/32', 'fd5e:1c2b:77a0::7/128'], mtu: 1420 },
  peers: [
    {
      comment: 'hub: Relais Guadeloupe',
      publicKey: HUB_PUBLIC,
      presharedKey: PSK,
      allowedIps: ['10.99.0.1/32', 'fd5e:1c2b:77a0::1/128'],
      endpoint: 'hub.relais.example:51820',
      persistentKeepalive: 25,
    },
  ],
};

test('agent wg-quick config matches its golden file', () => {
  assert.equal(renderWgQuickConfig(agent), golden('agent-wg-quick.conf'));
});

test('minimal config (IPv4 only, no PSK, IPv6 endpoint) matches its golden file', () => {
  const cfg: WgQuickConfig = {
    interface: { privateKey: SITE_PRIVATE, addresses: ['10.99.0.2/32'], listenPort: 51821, dns: ['10.99.0.1'] },
    peers: [{ publicKey: HUB_PUBLIC, allowedIps: ['10.99.0.1/32'], endpoint: '[2001:db8::1]:51820' }],
  };
  assert.equal(renderWgQuickConfig(cfg), golden('minimal-wg-quick.conf'));
});

test('wg setconf form leaves out what only wg-quick understands', () => {
  assert.equal(renderWgConfig(agent), golden('agent-wg.conf'));
  assert.doesNotMatch(renderWgConfig(agent), /Address|MTU|DNS/);
});

test('values that could inject lines or are not what they claim are refused', () => {
  const bad = (patch: (c: WgQuickConfig) => void) => {
    const c = structuredClone(agent);
    patch(c);
    return () => renderWgQuickConfig(c);
  };
  assert.throws(bad((c) => { c.comment = 'x\n[Peer]'; }), TypeError);
  assert.throws(bad((c) => { c.peers[0]!.comment = 'evil\rPublicKey = x'; }), TypeError);
  assert.throws(bad((c) => { c.peers[0]!.endpoint = 'host:51820\nPostUp = rm -rf /'; }), TypeError);
  assert.throws(bad((c) => { c.interface.addresses = ['10.0.0.1']; }), TypeError);
  assert.throws(bad((c) => { c.interface.privateKey = 'x'; }), TypeError);
  assert.throws(bad((c) => { c.peers[0]!.allowedIps = ['0.0.0.0/33']; }), TypeError);
  assert.throws(bad((c) => { c.interface.dns = ['resolver.example']; }), TypeError);
});
