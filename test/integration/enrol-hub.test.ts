/**
 * Enrolment on loopback, without root: the hub's tunnel (HubTunnel over an in-memory WireGuard),
 * its HTTPS enrolment listener, the agent's `enrolAgent` over pinned HTTPS, and the hub app with
 * the address binding. A manual clock drives token expiry and the agent's tunnel watchdog.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile, stat } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../fakes/manual-clock.ts';
import { FakeWireGuard } from '../fakes/fake-wireguard.ts';
import { silentLogger } from '../../lib/logger.ts';
import { buildApp } from '../../hub/app.ts';
import { openHubStores } from '../../hub/stores.ts';
import { openDispatch } from '../../hub/dispatch/open-dispatch.ts';
import { HubTunnel } from '../../hub/tunnel/hub-tunnel.ts';
import { buildEnrolServer } from '../../hub/tunnel/enrol-server.ts';
import { TunnelRegistry } from '../../provisioning/enrolment/registry.ts';
import { processLock } from '../../provisioning/enrolment/registry-lock.ts';
import { generatePrivateKey, publicKeyOf } from '../../provisioning/wireguard/keys.ts';
import { enrolAgent, EnrolError } from '../../agent/tunnel/enrol.ts';
import { AgentTunnel } from '../../agent/tunnel/tunnel.ts';
import { readEnrolment } from '../../agent/tunnel/state.ts';
import { AlertBook } from '../../agent/alerts.ts';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../protocol/version.ts';

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'relais-enrol-hub-'));
  const clock = new ManualClock(Date.parse('2026-11-24T08:00:00Z'));
  const wg = new FakeWireGuard();
  const stores = await openHubStores(join(dir, 'hub'), clock);
  const registry = new TunnelRegistry(join(dir, 'hub'), { clock, identities: stores.identities, lock: processLock() });
  const enrolPort = await freePort();
  const tunnel = await HubTunnel.open({
    registry, runner: wg.runner, clock, logger: silentLogger(),
    options: { interfaceName: 'relais0', listenPort: 51820, ipv4: '10.77.0.0/24', ipv6: 'auto', publicHost: '127.0.0.1', enrolPort, mtu: 1420, implementation: 'userspace', firewall: true, syncMs: 1000 },
  });
  const dispatch = await openDispatch(join(dir, 'hub'), { clock, logger: silentLogger(), channels: [], random: () => 0.5 });
  const hub = await buildApp({ clock, logger: silentLogger(), ...stores, dispatch, tunnel });
  await tunnel.publish(8080);
  const enrol = await buildEnrolServer({
    clock, logger: silentLogger(), registry, identities: stores.identities, tunnel, audit: stores.audit,
    tls: { key: tunnel.identity.tlsKeyPem, cert: tunnel.identity.tlsCertPem },
    onClockReport: (id, name, offset) => hub.context.fleet.clockReport(id, name, offset),
  });
  await enrol.listen({ host: '127.0.0.1', port: enrolPort });
  t.after(async () => {
    await enrol.close();
    await tunnel.stop();
    await hub.close();
    await dispatch.engine.stop();
    await stores.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, clock, wg, stores, registry, tunnel, hub };
}

test('a box enrols over pinned HTTPS; the peer is on the interface before the answer; refusals say why, in French and English', async (t) => {
  const { dir, clock, wg, registry } = await setup(t);
  assert.match(wg.nftScripts[0]!, /tcp dport 8080 counter accept/, 'firewall applied at publish');
  const siteA = await registry.createSite({ name: 'Site A', id: 'site-a' });
  await registry.createSite({ name: 'Site B', id: 'site-b' });
  const a = await registry.issueToken('site-a', { ttlMs: 3600_000 });
  const agentDir = join(dir, 'agent-a');

  const r = await enrolAgent(agentDir, a.token, { lang: 'fr' });
  assert.equal(r.state.site, 'site-a');
  assert.deepEqual(r.state.tunnel.addresses, [`${siteA.tunnel!.ipv4}/32`, `${siteA.tunnel!.ipv6}/128`]);
  assert.equal(r.state.hubUrl, 'http://10.77.0.1:8080');
  const key = (await readFile(join(agentDir, 'tunnel', 'private.key'), 'utf8')).trim();
  assert.equal((await stat(join(agentDir, 'tunnel', 'private.key'))).mode & 0o777, 0o600);
  const peer = wg.peers('relais0').find((p) => p.publicKey === publicKeyOf(key));
  assert.ok(peer, 'peer added live at enrolment');
  assert.deepEqual(peer.allowedIps, [`${siteA.tunnel!.ipv4}/32`, `${siteA.tunnel!.ipv6}/128`]);
  assert.equal(peer.presharedKey, r.state.tunnel.hub.presharedKey);

  const refusal = async (token: string, lang: 'fr' | 'en', where = join(dir, 'other')) => {
    try {
      await enrolAgent(where, token, { lang });
    } catch (err) {
      if (err instanceof EnrolError) return err;
      throw err;
    }
    return assert.fail('expected a refusal');
  };
  const replay = await refusal(a.token, 'fr');
  assert.equal(replay.code, 'RELAIS_ENROL_TOKEN_USED');
  assert.match(replay.message, /^Enrôlement refusé : Ce jeton d'enrôlement a déjà servi .*\(le 2026-11-24T08:00:00\.000Z\)$/);
  assert.equal((await refusal(a.token, 'en')).message.startsWith('Enrolment refused: This enrolment token has already been used'), true);

  const late = await registry.issueToken('site-b', { ttlMs: 3600_000 });
  clock.advance(3600_000);
  const expired = await refusal(late.token, 'en');
  assert.equal(expired.code, 'RELAIS_ENROL_TOKEN_EXPIRED');
  assert.match(expired.message, /expired.*\(on 2026-11-24T09:00:00\.000Z\)/);

  // The box enrolled for A refuses a token for B unless --force.
  const b = await registry.issueToken('site-b');
  assert.equal((await refusal(b.token, 'en', agentDir)).code, 'other-site');
  assert.equal((await readEnrolment(agentDir))!.site, 'site-a', 'unchanged');
  await registry.revokeToken(b.record.id);
  assert.equal((await refusal(b.token, 'fr')).code, 'RELAIS_ENROL_TOKEN_REVOKED');
  assert.equal(wg.peers('relais0').length, 1, 'refused attempts added no peer');
});

test('agent routes are accepted only from the agent own tunnel address; rotation switches the peer after the answer', async (t) => {
  const { dir, clock, wg, registry, hub } = await setup(t);
  const site = await registry.createSite({ name: 'Site A', id: 'site-a' });
  await registry.createSite({ name: 'Site B', id: 'site-b' });
  const ra = await enrolAgent(join(dir, 'a'), (await registry.issueToken('site-a')).token, { lang: 'en' });
  await enrolAgent(join(dir, 'b'), (await registry.issueToken('site-b')).token, { lang: 'en' });
  const credA = (await readFile(join(dir, 'a', 'tunnel', 'credential'), 'utf8')).trim();
  const addrB = (await registry.getSite('site-b'))!.tunnel!.ipv4!;
  const hb = (remoteAddress: string) => hub.app.inject({
    method: 'POST', url: '/api/v1/agents/heartbeat', remoteAddress,
    headers: { authorization: `Bearer ${credA}`, [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) },
    payload: { agentId: ra.state.agentId, agentVersion: 't', protocolVersion: PROTOCOL_VERSION, sentAt: new Date(clock.now()).toISOString(), uptimeSeconds: 1,
      queue: { studies: 0, instances: 0, bytes: 0, oldestUnsentAgeSeconds: null, quarantined: 0 }, disk: { freeBytes: 1, totalBytes: 2 }, lastUploadAt: null,
      dicom: { aeTitle: 'RELAIS', port: 104, activeAssociations: 0 }, alerts: [] },
  });
  assert.equal((await hb(site.tunnel!.ipv4!)).statusCode, 200);
  assert.equal((await hb(site.tunnel!.ipv6!)).statusCode, 200);
  const wrong = await hb(addrB);
  assert.equal(wrong.statusCode, 403);
  assert.equal(wrong.json().error.code, 'RELAIS_AUTH_WRONG_TUNNEL');
  assert.equal((await hb('127.0.0.1')).statusCode, 403);
  const audit = await readFile(join(dir, 'hub', 'audit', `audit-${new Date(clock.now()).toISOString().slice(0, 10)}.jsonl`), 'utf8');
  assert.match(audit, /"dcm":"110113".*"action":"wrong-source:agent-wrong-source"/, 'audited as a security alert');

  // The operator asks for a rotation: the next heartbeat acknowledgement says so.
  await registry.requestRotation('site-a');
  await (hub.context.tunnel as HubTunnel).sync({ force: true });
  assert.equal((await hb(site.tunnel!.ipv4!)).json().rotateTunnelKey, true);
  const oldKey = (await registry.getSite('site-a'))!.publicKey!;
  const newKey = publicKeyOf(generatePrivateKey());
  const rot = await hub.app.inject({
    method: 'POST', url: '/api/v1/agents/tunnel-key', remoteAddress: site.tunnel!.ipv4!,
    headers: { authorization: `Bearer ${credA}`, [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) }, payload: { publicKey: newKey },
  });
  assert.equal(rot.statusCode, 200, rot.body);
  await (hub.context.tunnel as HubTunnel).sync({ force: true });
  assert.ok(wg.peers('relais0').some((p) => p.publicKey === oldKey), 'the old key stays until the answer has gone out');
  clock.advance(500);
  await (hub.context.tunnel as HubTunnel).sync();
  const keys = wg.peers('relais0').map((p) => p.publicKey);
  assert.ok(keys.includes(newKey) && !keys.includes(oldKey), 'then the peer switches keys');
  assert.equal((await hb(site.tunnel!.ipv4!)).json().rotateTunnelKey, undefined, 'no more rotation asked');
});

test('a box whose handshakes fail reports its clock: alert with the offset on the box, skew on the operator page, peer reset', async (t) => {
  const { dir, clock, wg, registry, hub } = await setup(t);
  await registry.createSite({ name: 'Site A', id: 'site-a' });
  const agentDir = join(dir, 'a');
  const r = await enrolAgent(agentDir, (await registry.issueToken('site-a')).token, { lang: 'fr' });
  const credential = (await readFile(join(agentDir, 'tunnel', 'credential'), 'utf8')).trim();
  // The box's clock is 10 minutes behind the hub's.
  const boxClock = new ManualClock(clock.now() - 600_000);
  const boxWg = new FakeWireGuard();
  const alerts = new AlertBook(boxClock, 'fr');
  const logs: unknown[] = [];
  const log = { ...silentLogger(), error: (o: unknown) => logs.push(o), warn: () => {}, info: () => {} } as unknown as ReturnType<typeof silentLogger>;
  const tunnel = new AgentTunnel({ dataDir: agentDir, interfaceName: 'relais-a', implementation: 'userspace', enrolment: r.state, credential, runner: boxWg.runner, clock: boxClock, log, alerts });
  await tunnel.up();
  const hubPeer = boxWg.peers('relais-a')[0]!;
  assert.equal(hubPeer.publicKey, r.state.tunnel.hub.publicKey);
  assert.equal(hubPeer.endpoint, r.state.tunnel.hub.endpoint);
  assert.equal((await tunnel.state())!.latestHandshakeAgeSeconds, null);

  const resetsBefore = wg.calls.filter((c) => c.includes('remove')).length;
  boxClock.advance(91_000);
  await tunnel.check();
  assert.ok(alerts.has('RELAIS_AGENT_TUNNEL_DOWN'));
  assert.ok(alerts.has('RELAIS_AGENT_CLOCK_SKEW'));
  assert.match(alerts.list().find((a) => a.code === 'RELAIS_AGENT_CLOCK_SKEW')!.message, /NTP.*\(\d+ s\)/);
  assert.ok(logs.some((l) => Math.abs((l as { clockOffsetMs?: number }).clockOffsetMs ?? 0) > 500_000), 'logged with the offset');
  assert.equal(wg.calls.filter((c) => c.includes('remove')).length, resetsBefore + 1, 'the hub reset the peer');
  const view = (await hub.context.fleet.agents()).find((a) => a.agentId === r.state.agentId)!;
  assert.ok(Math.abs(view.clockSkewMs! - 600_000) < 120_000, `the operator page shows the offset (${view.clockSkewMs})`);

  // The clock is fixed and a handshake happens: the tunnel alert clears.
  boxWg.handshake('relais-a', r.state.tunnel.hub.publicKey, boxClock.now());
  await tunnel.check();
  assert.equal(alerts.has('RELAIS_AGENT_TUNNEL_DOWN'), false);
});
