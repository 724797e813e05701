/**
 * Peers added and removed live on the hub's interface: a second site joins and leaves while the
 * first keeps talking; the first site's session and traffic are undisturbed; a removed peer is cut
 * off at once; sites cannot reach each other through the hub.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestbed } from '../../simulators/testbed/testbed.ts';
import { startProgram } from '../../simulators/testbed/processes.ts';
import { assertNothingLeft, requireRoot, uniqueName } from './netbed-leftovers.ts';

test('a peer added and removed live leaves the other peers undisturbed', { timeout: 180_000 }, async (t) => {
  requireRoot();
  const name = uniqueName('p');
  const bed = await startTestbed({ name, profile: 'lan', seed: 5 });
  t.after(() => bed.stop());
  const site0 = bed.sites[0]!;
  const peer0 = async () => (await bed.hubStatus()).peers.find((p) => p.publicKey === site0.publicKey)!;
  const handshake0 = (await peer0()).latestHandshakeMs;

  // Site 0 pings the hub 20 times a second throughout.
  const ping0 = startProgram(bed, 0, 'ping', ['-i', '0.05', '-w', '600', '-W', '1', bed.hubAddr]);

  const site1 = await bed.addSite();
  assert.equal(site1.index, 1);
  assert.notEqual(site1.tunnelIpv4, site0.tunnelIpv4);
  let status = await bed.hubStatus();
  assert.equal(status.peers.length, 2);
  assert.ok(status.peers.find((p) => p.publicKey === site1.publicKey)?.latestHandshakeMs, 'site 1 handshook');
  await bed.exec(1, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', bed.hubAddr]);

  // Sites are isolated: site 1 cannot reach site 0 through the hub.
  await assert.rejects(bed.exec(1, 'ping', ['-c', '2', '-i', '0.2', '-W', '1', site0.tunnelIpv4]));

  // Removing site 1's peer cuts it off at once; site 0 is not affected.
  await bed.wg('hub').removePeer(bed.hubInterface, site1.publicKey);
  status = await bed.hubStatus();
  assert.deepEqual(status.peers.map((p) => p.publicKey), [site0.publicKey]);
  await assert.rejects(bed.exec(1, 'ping', ['-c', '2', '-i', '0.2', '-W', '1', bed.hubAddr]));
  await bed.removeSite(1);
  assert.equal(bed.sites.length, 1);

  // Stop site 0's ping (SIGINT prints its summary): it lost nothing while the hub's peers changed
  // (the one probe in flight when interrupted may count as lost).
  ping0.child.kill('SIGINT');
  const summary = String((await ping0.nextEvent((e) => /packets transmitted/.test(String(e.text)), 10_000)).text);
  const [, sent, received] = /(\d+) packets transmitted, (\d+) received/.exec(summary)!.map(Number);
  assert.ok(sent! > 40, `site 0 pinged throughout (${summary})`);
  assert.ok(received! >= sent! - 1, `site 0 lost nothing: ${summary}`);
  await assert.doesNotReject(bed.exec(0, 'ping', ['-c', '2', '-i', '0.2', '-W', '2', bed.hubAddr]));
  assert.equal((await peer0()).latestHandshakeMs, handshake0, 'site 0 kept its WireGuard session');

  await bed.stop();
  await assertNothingLeft(name);
});
