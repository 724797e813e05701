/**
 * The test bed comes up, ping and TCP cross the tunnel only through the relay, congestion
 * control can be chosen per run, and stopping leaves nothing behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestbed, type Testbed } from '../../simulators/testbed/testbed.ts';
import { startTcpSink, tcpBulk } from '../../simulators/testbed/bulk.ts';
import { parseRuleCounters } from '../../simulators/testbed/firewall.ts';
import { namespaceCongestionControl } from '../../simulators/testbed/congestion.ts';
import { inNetns, execFileRunner } from '../../provisioning/wireguard/command-runner.ts';
import { waitFor } from '../fakes/wait.ts';
import { assertNothingLeft, requireRoot, uniqueName } from './netbed-leftovers.ts';

async function ruleCounter(bed: Testbed, side: 'hub' | 'site', comment: string): Promise<number> {
  const { stdout } = await bed.exec(side, 'nft', ['-j', 'list', 'table', 'inet', 'relais_testbed']);
  return parseRuleCounters(stdout).find((r) => r.comment === comment)?.packets ?? -1;
}

test('the tunnel carries ping and TCP, only through the relay, and leaves nothing behind', { timeout: 180_000 }, async (t) => {
  requireRoot();
  const name = uniqueName('t');
  const bed = await startTestbed({ name, profile: 'lan', seed: 7 });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await bed.stop();
  });

  // The handshake went through the relay: the hub sees the site at the relay's loopback socket.
  const peer = (await bed.hubStatus()).peers.find((p) => p.publicKey === bed.sites[0]!.publicKey);
  assert.ok(peer?.latestHandshakeMs, 'handshake done');
  assert.match(peer.endpoint ?? '', /^127\.0\.0\.1:\d+$/);

  await t.test('ping crosses the tunnel (IPv4 and IPv6), counted by the relay both ways', async () => {
    const before = await bed.relay.stats();
    await bed.exec('site', 'ping', ['-c', '5', '-i', '0.2', '-W', '2', bed.hubAddr]);
    await bed.exec('site', 'ping', ['-6', '-c', '3', '-i', '0.2', '-W', '2', bed.hubAddr6]);
    const after = await bed.relay.stats();
    assert.ok(after.up.datagramsOut - before.up.datagramsOut >= 8);
    assert.ok(after.down.datagramsOut - before.down.datagramsOut >= 8);
  });

  await t.test('a TCP transfer crosses the tunnel; every byte went through the relay', async () => {
    const sink = await startTcpSink(bed);
    try {
      const before = await bed.relay.stats();
      const r = await tcpBulk(bed, sink, { bytes: 8_000_000, capMs: 60_000 });
      assert.equal(r.complete, true);
      assert.equal(r.deliveredBytes, 8_000_000);
      const after = await bed.relay.stats();
      assert.ok(after.up.bytesOut - before.up.bytesOut >= 8_000_000, 'payload plus headers crossed the relay');
    } finally {
      await sink.stop();
    }
  });

  await t.test('the underlay carries nothing else: direct traffic and direct WireGuard are dropped', async () => {
    const dropsBefore = await ruleCounter(bed, 'hub', 'non-wireguard underlay traffic');
    await assert.rejects(bed.exec('site', 'ping', ['-c', '2', '-i', '0.2', '-W', '1', bed.sites[0]!.underlayHub]));
    assert.ok((await ruleCounter(bed, 'hub', 'non-wireguard underlay traffic')) >= dropsBefore + 2);

    // Point the site's WireGuard straight at the hub's port: nothing gets through.
    const wg = bed.wg('site');
    const site = bed.sites[0]!;
    const direct = { publicKey: bed.hubPublicKey, allowedIps: [`${bed.hubAddr}/32`, `${bed.hubAddr6}/128`] };
    const bypassBefore = await ruleCounter(bed, 'hub', 'wireguard bypassing the relay');
    await wg.setPeer(site.wg, { ...direct, endpoint: `${site.underlayHub}:51820` });
    await assert.rejects(bed.exec('site', 'ping', ['-c', '3', '-i', '0.3', '-W', '1', bed.hubAddr]));
    assert.ok((await ruleCounter(bed, 'hub', 'wireguard bypassing the relay')) > bypassBefore);
    // Back through the relay, the tunnel works again.
    await wg.setPeer(site.wg, { ...direct, endpoint: `${site.underlayHub}:51900` });
    await waitFor(() => bed.exec('site', 'ping', ['-c', '1', '-W', '1', bed.hubAddr]).then(() => true), 'ping through the relay again', { timeoutMs: 15_000 });
  });

  await t.test('congestion control is chosen per run, cubic included', async () => {
    for (const cc of ['cubic', 'reno', 'bbr'] as const) {
      await bed.setCongestionControl(cc);
      assert.equal(await namespaceCongestionControl(inNetns(bed.siteNs, execFileRunner())), cc);
      // A live connection really uses it (ss shows the algorithm of the socket).
      const sink = await startTcpSink(bed);
      try {
        const transfer = tcpBulk(bed, sink, { bytes: 200_000_000, capMs: 4_000 });
        const ss = await waitFor(async () => {
          const { stdout } = await bed.exec('site', 'ss', ['-tinH', 'dst', bed.hubAddr]);
          return stdout.includes('ESTAB') || /\bcwnd:/.test(stdout) ? stdout : undefined;
        }, 'an established connection in ss');
        assert.match(ss, new RegExp(`\\b${cc}\\b`));
        await transfer;
      } finally {
        await sink.stop();
      }
    }
  });

  const relayPid = bed.relayPid;
  await bed.stop();
  stopped = true;
  await assertNothingLeft(name, relayPid);
});

test('a test bed that fails to start removes what it had built', { timeout: 60_000 }, async () => {
  requireRoot();
  const name = uniqueName('f');
  // The relay cannot bind the port the hub's WireGuard already holds: this fails late, after the
  // namespaces, veths, nft tables and wireguard-go interfaces exist.
  await assert.rejects(startTestbed({ name, profile: 'lan', relayPort: 51820 }), /relay did not start/);
  await assertNothingLeft(name);
});
