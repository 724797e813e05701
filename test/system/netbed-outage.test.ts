/**
 * Outages through the real tunnel: a forced cut stops traffic and a TCP transfer survives it;
 * scheduled outages come and go on time; after either, the tunnel carries traffic again without
 * any help (a short cut keeps the WireGuard session; after a cut longer than WireGuard's 15 s of
 * silence, during which its handshake retries are lost, the tunnel still comes back by itself).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestbed } from '../../simulators/testbed/testbed.ts';
import { startTcpSink, tcpBulk } from '../../simulators/testbed/bulk.ts';
import { waitFor } from '../fakes/wait.ts';
import { assertNothingLeft, requireRoot, uniqueName } from './netbed-leftovers.ts';

function parsePing(stdout: string): { sent: number; received: number } {
  const m = /(\d+) packets transmitted, (\d+) received/.exec(stdout);
  if (!m) throw new Error(`unexpected ping output: ${stdout}`);
  return { sent: Number(m[1]), received: Number(m[2]) };
}

test('outages cut the path and the tunnel recovers', { timeout: 240_000 }, async (t) => {
  requireRoot();
  const name = uniqueName('o');
  const bed = await startTestbed({ name, profile: 'lan', seed: 3 });
  t.after(() => bed.stop());
  const sitePeer = async () => (await bed.hubStatus()).peers.find((p) => p.publicKey === bed.sites[0]!.publicKey)!;

  await t.test('a forced cut drops everything, a TCP transfer rides it out, the session is kept', async () => {
    await bed.relay.setProfile({ name: 'fast', up: { rateBitsPerSecond: 20e6, delayMs: 10 }, down: { rateBitsPerSecond: 20e6, delayMs: 10 } });
    const handshakeBefore = (await sitePeer()).latestHandshakeMs;
    const sink = await startTcpSink(bed);
    try {
      const base = (await bed.relay.stats()).up.bytesOut;
      const t0 = Date.now();
      const transfer = tcpBulk(bed, sink, { bytes: 10_000_000, capMs: 90_000 });
      await waitFor(async () => (await bed.relay.stats()).up.bytesOut > base + 2_000_000, 'the transfer to be under way');
      const cut = await bed.relay.cut(6_000);
      assert.equal(cut.down, true);
      await assert.rejects(bed.exec('site', 'ping', ['-c', '1', '-W', '1', bed.hubAddr]), 'no ping during the cut');
      const during = await bed.relay.stats();
      assert.equal(during.outage.cause, 'forced');
      const r = await transfer;
      assert.equal(r.complete, true, 'TCP retransmits across a 6 s cut');
      assert.ok(Date.now() - t0 >= 6_000);
      const after = await bed.relay.stats();
      assert.ok(after.up.drops.outage > 0 && after.down.drops.outage + after.up.drops.outage > during.up.drops.outage);
      assert.equal(after.outage.down, false);
    } finally {
      await sink.stop();
    }
    await bed.exec('site', 'ping', ['-c', '2', '-i', '0.2', '-W', '2', bed.hubAddr]);
    assert.equal((await sitePeer()).latestHandshakeMs, handshakeBefore, 'same WireGuard session after a short cut');
  });

  await t.test('after a cut longer than WireGuard\'s 15 s of silence, traffic resumes by itself within seconds', async () => {
    await bed.relay.cut(20_000);
    // Keep the site talking so that WireGuard notices the silence and retries its handshake.
    await bed.exec('site', 'ping', ['-c', '18', '-i', '1', '-W', '1', bed.hubAddr]).catch(() => {});
    await waitFor(async () => !(await bed.relay.stats()).outage.down, 'the end of the cut', { timeoutMs: 30_000 });
    const restoredAt = Date.now();
    await waitFor(() => bed.exec('site', 'ping', ['-c', '1', '-W', '1', bed.hubAddr]).then(() => true), 'ping after the cut', { timeoutMs: 20_000 });
    assert.ok(Date.now() - restoredAt < 10_000, 'back within 10 s of the link');
    const peer = await sitePeer();
    assert.ok(Date.now() - peer.latestHandshakeMs! < 180_000, 'the hub sees a live session (handshake < 3 min old)');
  });

  await t.test('scheduled outages (scaled "flapping": 2 s every 5 s) cut on time and the link comes back each time', async () => {
    await bed.relay.setProfile({
      name: 'flapping-fast',
      up: { rateBitsPerSecond: 20e6, delayMs: 20 },
      down: { rateBitsPerSecond: 20e6, delayMs: 20 },
      outages: { everyMs: 5_000, durationMs: 2_000, offsetMs: 1_000 },
    });
    // 10 pings a second for 12 s: about 2/5 of them fall in an outage.
    const { stdout } = await bed.exec('site', 'ping', ['-c', '120', '-i', '0.1', '-W', '1', bed.hubAddr]).catch((e) => ({ stdout: String((e as { stdout?: string }).stdout ?? e.message) }));
    const stats = await bed.relay.stats();
    assert.ok(stats.up.drops.outage + stats.down.drops.outage > 0);
    const p = parsePing(stdout);
    const lost = 1 - p.received / p.sent;
    assert.ok(lost > 0.2 && lost < 0.6, `lost ${lost}`);
    await bed.relay.setProfile('lan');
    await bed.exec('site', 'ping', ['-c', '3', '-i', '0.2', '-W', '2', bed.hubAddr]);
  });

  await bed.stop();
  await assertNothingLeft(name);
});
