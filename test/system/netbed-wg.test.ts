/**
 * The WireGuard binding against the real tools: keys made with node:crypto match `wg pubkey`
 * both ways, a rendered config is accepted by `wg setconf` on a live wireguard-go interface, and
 * the status read back is what was configured.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileRunner, inNetns } from '../../provisioning/wireguard/command-runner.ts';
import { generateKeyPair, generatePresharedKey, publicKeyOf } from '../../provisioning/wireguard/keys.ts';
import { createInterface, deleteInterface } from '../../provisioning/wireguard/interface.ts';
import { renderWgConfig } from '../../provisioning/wireguard/config-render.ts';
import { WireGuard } from '../../provisioning/wireguard/wg.ts';
import { addNamespace, deleteNamespace } from '../../simulators/testbed/netns.ts';
import { requireRoot, uniqueName } from './netbed-leftovers.ts';

const run = execFileRunner();

test('node:crypto keys match wg pubkey, and wg genkey keys derive the same public key here', async () => {
  for (let i = 0; i < 20; i++) {
    const { privateKey, publicKey } = generateKeyPair();
    assert.equal((await run.run('wg', ['pubkey'], { stdin: `${privateKey}\n` })).stdout.trim(), publicKey);
    const genkey = (await run.run('wg', ['genkey'])).stdout.trim();
    assert.equal(publicKeyOf(genkey), (await run.run('wg', ['pubkey'], { stdin: `${genkey}\n` })).stdout.trim());
  }
});

test('a rendered config is accepted by wg setconf on wireguard-go, and status reads it back', { timeout: 60_000 }, async (t) => {
  requireRoot();
  const ns = `${uniqueName('w')}-hub`;
  const iface = `${ns.slice(0, 8)}-w0`;
  const dir = await mkdtemp(join(tmpdir(), 'relais-wg-test-'));
  await addNamespace(run, ns);
  t.after(async () => {
    await deleteNamespace(run, ns);
    await rm(dir, { recursive: true, force: true });
  });
  const nsRun = inNetns(ns, run);
  const created = await createInterface(nsRun, { name: iface, addresses: ['10.98.0.1/24', 'fd00:98::1/64'], mtu: 1420 });
  assert.ok(['kernel', 'userspace'].includes(created.implementation));
  const { stdout: addr } = await nsRun.run('ip', ['-br', 'address', 'show', 'dev', iface]);
  assert.match(addr, /10\.98\.0\.1\/24/);
  assert.match(addr, /fd00:98::1\/64/);

  const me = generateKeyPair();
  const a = generateKeyPair();
  const b = generateKeyPair();
  const psk = generatePresharedKey();
  const conf = renderWgConfig({
    interface: { privateKey: me.privateKey, addresses: [], listenPort: 51999 },
    peers: [
      { publicKey: a.publicKey, presharedKey: psk, allowedIps: ['10.98.0.2/32', 'fd00:98::2/128'], endpoint: '192.0.2.9:51900', persistentKeepalive: 25 },
      { publicKey: b.publicKey, allowedIps: ['10.98.0.3/32'] },
    ],
  });
  const path = join(dir, 'wg.conf');
  const fh = await open(path, 'w', 0o600);
  await fh.writeFile(conf);
  await fh.close();
  await nsRun.run('wg', ['setconf', iface, path]);

  const wg = new WireGuard(nsRun);
  let status = await wg.status(iface);
  assert.deepEqual(status.interface, { publicKey: me.publicKey, listenPort: 51999, fwmark: null });
  // `wg show dump` lists peers in the implementation's own order, not the config's: compare by key.
  const byKey = (x: { publicKey: string }, y: { publicKey: string }) => x.publicKey.localeCompare(y.publicKey);
  assert.deepEqual(
    [...status.peers].sort(byKey).map((p) => [p.publicKey, p.hasPresharedKey, p.endpoint, p.allowedIps, p.persistentKeepaliveSeconds, p.latestHandshakeMs]),
    [
      [a.publicKey, true, '192.0.2.9:51900', ['10.98.0.2/32', 'fd00:98::2/128'], 25, null],
      [b.publicKey, false, null, ['10.98.0.3/32'], null, null],
    ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
  );

  // Live changes through the binding touch only the peer named.
  const c = generateKeyPair();
  await wg.setPeer(iface, { publicKey: c.publicKey, presharedKey: generatePresharedKey(), allowedIps: ['10.98.0.4/32'] });
  await wg.removePeer(iface, b.publicKey);
  await wg.setPeer(iface, { publicKey: a.publicKey, allowedIps: ['10.98.0.2/32'], persistentKeepalive: 0 });
  status = await wg.status(iface);
  assert.deepEqual(status.peers.map((p) => p.publicKey).sort(), [a.publicKey, c.publicKey].sort());
  const pa = status.peers.find((p) => p.publicKey === a.publicKey)!;
  assert.deepEqual([pa.hasPresharedKey, pa.endpoint, pa.allowedIps, pa.persistentKeepaliveSeconds], [true, '192.0.2.9:51900', ['10.98.0.2/32'], null]);
  await wg.setPrivateKey(iface, a.privateKey);
  assert.equal((await wg.status(iface)).interface.publicKey, a.publicKey);

  await deleteInterface(nsRun, iface);
  await deleteInterface(nsRun, iface); // already gone: not an error
  await assert.rejects(nsRun.run('ip', ['link', 'show', 'dev', iface]));
});
