import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testbedNames } from './names.ts';
import { hubRuleset, parseRuleCounters, siteRuleset } from './firewall.ts';

test('every name fits in an interface name (15) and is unique per test bed and site', () => {
  const n = testbedNames('rb12345ab');
  const s = n.site(59);
  for (const ifname of [n.hubWg, s.wg, s.vethHub, s.vethSite]) assert.ok(ifname.length <= 15, ifname);
  assert.deepEqual([n.hubNs, s.ns, s.wg, s.underlaySite, s.underlayHub], ['rb12345ab-hub', 'rb12345ab-site59', 'rb12345ab-ws59', '192.0.2.237', '192.0.2.238']);
  assert.ok(n.ownsNamespace('rb12345ab-site3'));
  assert.ok(!n.ownsNamespace('rb12345abc-site3'));
  assert.ok(!testbedNames('rb1').ownsNamespace('rb12-hub'));
  assert.throws(() => testbedNames('Bad-Name'), TypeError);
  assert.throws(() => testbedNames('toolongname'), TypeError);
  assert.throws(() => n.site(60), RangeError);
});

test('the hub accepts only the relay port from the underlay and forwards nothing', () => {
  const r = hubRuleset({ table: 'relais_testbed', vethPattern: 'rb1-vh*', relayPort: 51900, wireguardPort: 51820 });
  assert.match(r, /iifname "rb1-vh\*" udp dport 51900 counter accept/);
  assert.match(r, /iifname "rb1-vh\*" udp dport 51820 counter drop/);
  assert.match(r, /iifname "rb1-vh\*" counter drop/);
  assert.match(r, /chain forward \{\n\s+type filter hook forward priority filter; policy drop;/);
  const s = siteRuleset({ table: 'relais_testbed', vethPattern: 'rb1-vs*', relayPort: 51900 });
  assert.match(s, /iifname "rb1-vs\*" udp sport 51900 counter accept/);
});

test('rule counters are read from nft JSON by comment', () => {
  const json = JSON.stringify({
    nftables: [
      { metainfo: {} },
      { rule: { comment: 'to the relay', expr: [{ match: {} }, { counter: { packets: 7, bytes: 900 } }, { accept: null }] } },
      { rule: { expr: [{ counter: { packets: 1, bytes: 1 } }] } },
    ],
  });
  assert.deepEqual(parseRuleCounters(json), [{ comment: 'to the relay', packets: 7, bytes: 900 }]);
});
