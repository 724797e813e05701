/**
 * Enrolment end to end, with real programs in network namespaces: `relais hub` runs its own
 * wireguard-go interface, firewall and HTTPS enrolment listener; sites are provisioned with
 * `relais provision`; each box enrols with `relais agent enrol` from its namespace and then runs
 * `relais agent`, which brings its tunnel up; DCMTK storescu sends the shared CT to the agent,
 * which ships it through the tunnel. Then: a replayed token is refused; a second site can neither
 * use the first site's studies, credential or address nor reach its ports; a key rotation asked
 * while the hub is down keeps the queue; revoking a site cuts its tunnel and API within 5 s while
 * the other site keeps working.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_CT, SHARED_MR, listFiles } from '../data.ts';
import { generateKeyPair, publicKeyOf } from '../../provisioning/wireguard/keys.ts';
import { CLI, EnrolBed, HUB_PUBLIC, type Proc } from './enrol-bed.ts';
import { requireRoot } from './netbed-leftovers.ts';

const HUB_API = 'http://10.77.0.1:8080';

async function grepTree(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    if ((await readFile(p)).includes(needle)) hits.push(p);
  }
  return hits;
}

test('a site enrols, its CT crosses the tunnel; replay refused; sites isolated; rotation keeps the queue; revocation within 5 s', { timeout: 540_000 }, async (t) => {
  requireRoot();
  const bed = new EnrolBed();
  const root = await mkdtemp(join(tmpdir(), 'relais-enrol-'));
  t.after(async () => {
    await bed.stop();
    await rm(root, { recursive: true, force: true });
  });
  await bed.start(2);
  const hubData = join(root, 'hub');
  const hubWg = bed.wgName('wh');
  const hubArgs = ['hub', '--data', hubData, '--port', '8080', '--wg-interface', hubWg, '--wg-public-host', HUB_PUBLIC, '--wg-implementation', 'userspace',
    '--wg-ipv4', '10.77.0.0/24', '--stale-seconds', '5', '--offline-seconds', '30'];
  let hub: Proc = bed.spawn(bed.hubNs, process.execPath, [CLI, ...hubArgs]);
  const banner = await hub.waitLine(/^Relais hub: /, 90_000);
  assert.equal(banner, `Relais hub: ${HUB_API}`, 'with a tunnel the API listens on the hub tunnel address');
  const pinLine = await hub.waitLine(/^Relais enrolment: /);
  assert.match(pinLine, /^Relais enrolment: https:\/\/198\.51\.100\.1:8443 \(certificate SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}\)$/);

  const provision = async (...args: string[]) => {
    const r = await bed.relais(undefined, ['provision', ...args, '--data', hubData]);
    assert.equal(r.code, 0, `provision ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim().split('\n');
  };
  await provision('site', 'create', '--name', 'CH Marie-Galante', '--id', 'site-a', '--finess', '970100228', '--zone', 'America/Guadeloupe');
  await provision('site', 'create', '--name', 'Clinique des Saintes', '--id', 'site-b');
  const tokenA = (await provision('token', 'issue', '--site', 'site-a')).at(-1)!;
  const tokenB = (await provision('token', 'issue', '--site', 'site-b', '--ttl-hours', '2')).at(-1)!;
  const operator = (await provision('user', '--name', 'op', '--role', 'operator')).at(-1)!;
  assert.match(tokenA, /^rlse1\./);

  const [s0, s1] = bed.sites as [typeof bed.sites[0], typeof bed.sites[0]];
  const dataA = join(root, 'agent-a');
  const dataB = join(root, 'agent-b');

  await t.test('enrolment: the key is made on the box (0600) and never reaches the hub; a replayed token is refused', async () => {
    const r = await bed.relais(s0.ns, ['agent', 'enrol', '--data', dataA, '--token', tokenA]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Boîtier enrôlé pour le site « CH Marie-Galante » \(site-a\) : adresse de tunnel 10\.77\.0\.\d+/);
    const key = (await readFile(join(dataA, 'tunnel', 'private.key'), 'utf8')).trim();
    assert.equal((await stat(join(dataA, 'tunnel', 'private.key'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dataA, 'tunnel', 'credential'))).mode & 0o777, 0o600);
    assert.deepEqual(await grepTree(hubData, key), [], "the box's private key is nowhere at the hub");
    const site = JSON.parse(await readFile(join(hubData, 'tunnel', 'sites', 'site-a.json'), 'utf8'));
    assert.equal(site.publicKey, publicKeyOf(key));

    const replay = await bed.relais(s1.ns, ['agent', 'enrol', '--data', join(root, 'thief'), '--token', tokenA]);
    assert.equal(replay.code, 1);
    assert.match(replay.stderr, /Enrôlement refusé : Ce jeton d'enrôlement a déjà servi .* \(le \d{4}-\d\d-\d\dT/);
    const replayEn = await bed.relais(s1.ns, ['agent', 'enrol', '--data', join(root, 'thief'), '--token', tokenA, '--lang', 'en']);
    assert.match(replayEn.stderr, /Enrolment refused: This enrolment token has already been used/);
    assert.equal(JSON.parse(await readFile(join(hubData, 'tunnel', 'sites', 'site-a.json'), 'utf8')).publicKey, publicKeyOf(key), 'the replay changed nothing');

    await writeFile(join(root, 'token-b'), tokenB, { mode: 0o600 });
    const b = await bed.relais(s1.ns, ['agent', 'enrol', '--data', dataB, '--token-file', join(root, 'token-b'), '--lang', 'en']);
    assert.equal(b.code, 0, b.stderr);
  });

  const agentArgs = (data: string, wg: string) => ['agent', '--data', data, '--tunnel-interface', wg, '--tunnel-implementation', 'userspace', '--dicom-port', '11112',
    '--quiet-seconds', '2', '--heartbeat-seconds', '1', '--retry-base-ms', '200', '--retry-max-ms', '2000', '--min-free-mb', '0',
    // These studies answer no exam request: dispatched as they are (the default holds them for reconciliation).
    '--unsolicited', 'dispatch'];
  const agentA = bed.spawn(s0.ns, process.execPath, [CLI, ...agentArgs(dataA, s0.wg)]);
  const agentB = bed.spawn(s1.ns, process.execPath, [CLI, ...agentArgs(dataB, s1.wg)]);
  await agentA.waitLine(/"agent ready"/);
  await agentB.waitLine(/"agent ready"/);
  const fleet = async () => (await bed.fetchIn(bed.hubNs, `${HUB_API}/api/v1/fleet`, { bearer: operator })).body as { agents: Array<{ agentId: string; status: string; tunnelUp?: boolean | null; heartbeat: { tunnel?: { latestHandshakeAgeSeconds: number | null } } | null }>; studies: Array<{ studyInstanceUid: string; agentId: string; status: string; instancesReceived: number }> };
  const credA = (await readFile(join(dataA, 'tunnel', 'credential'), 'utf8')).trim();
  const credB = (await readFile(join(dataB, 'tunnel', 'credential'), 'utf8')).trim();
  const agentIdA = JSON.parse(await readFile(join(dataA, 'tunnel', 'enrolment.json'), 'utf8')).agentId as string;
  const agentIdB = JSON.parse(await readFile(join(dataB, 'tunnel', 'enrolment.json'), 'utf8')).agentId as string;

  await t.test('both tunnels come up; the operator sees them up with their handshake in the heartbeat', async () => {
    const f = await bed.waitFor(async () => {
      const v = await fleet();
      const up = (id: string) => v.agents.find((a) => a.agentId === id && a.status === 'online' && a.tunnelUp === true && a.heartbeat?.tunnel?.latestHandshakeAgeSeconds != null);
      return up(agentIdA) && up(agentIdB) ? v : undefined;
    }, 'both agents online with their tunnel up', { timeoutMs: 60_000, intervalMs: 500 });
    assert.ok(f);
    const peers = await bed.hubPeers(hubWg);
    assert.equal(peers.size, 2);
    for (const p of peers.values()) {
      assert.equal(p.allowedIps.length, 2);
      assert.match(p.allowedIps.find((a) => !a.includes(':'))!, /^10\.77\.0\.\d+\/32$/, 'each peer is allowed only its own /32');
      assert.match(p.allowedIps.find((a) => a.includes(':'))!, /\/128$/);
    }
  });

  let ctStudy = '';
  await t.test('the shared CT, sent with DCMTK storescu, crosses the tunnel to the hub', async () => {
    const files = listFiles(SHARED_CT);
    await bed.exec(s0.ns, 'storescu', ['-aet', 'CT_ROOM', '-aec', 'RELAIS', '127.0.0.1', '11112', ...files], { TCP_NODELAY: '1' });
    const f = await bed.waitFor(async () => {
      const v = await fleet();
      return v.studies.find((s) => s.agentId === agentIdA && s.status === 'complete' && s.instancesReceived === files.length) ? v : undefined;
    }, 'the CT complete at the hub', { timeoutMs: 120_000, intervalMs: 1000 });
    ctStudy = f.studies.find((s) => s.agentId === agentIdA)!.studyInstanceUid;
    const peer = [...(await bed.hubPeers(hubWg)).values()].find((p) => p.handshake > 0);
    assert.ok(peer, 'traffic went through a WireGuard peer');
  });

  await t.test("site B can use neither A's studies, nor A's credential, nor A's address, nor reach A's ports", async () => {
    const addrA = JSON.parse(await readFile(join(dataA, 'tunnel', 'enrolment.json'), 'utf8')).tunnel.addresses[0].replace(/\/32$/, '') as string;
    // B's own credential, from its own tunnel, writing into A's study: refused by ownership.
    const asB = await bed.fetchIn(s1.ns, `${HUB_API}/api/v1/instances/1.2.3.4.5`, {
      method: 'PUT', bearer: credB, headers: { 'relais-protocol': '2', 'content-type': 'application/dicom', 'relais-sha256': 'a'.repeat(64), 'relais-study-uid': ctStudy },
    });
    assert.equal(asB.status, 403, `B on A's study: ${JSON.stringify(asB.body)}`);
    assert.equal(asB.body.error.code, 'RELAIS_AUTH_FORBIDDEN');
    // A's credential stolen and used from B's tunnel: refused by the address binding.
    const stolen = await bed.fetchIn(s1.ns, `${HUB_API}/api/v1/agents/heartbeat`, { method: 'POST', bearer: credA, headers: { 'relais-protocol': '2' }, body: {} });
    assert.equal(stolen.status, 403);
    assert.equal(stolen.body.error.code, 'RELAIS_AUTH_WRONG_TUNNEL');
    // A's credential from the hub itself (outside any site tunnel): refused too.
    const local = await bed.fetchIn(bed.hubNs, `${HUB_API}/api/v1/agents/heartbeat`, { method: 'POST', bearer: credA, headers: { 'relais-protocol': '2' }, body: {} });
    assert.equal(local.body.error?.code, 'RELAIS_AUTH_WRONG_TUNNEL');
    // B pretending to be A's address: WireGuard drops it (A's /32 is A's key only).
    await bed.exec(s1.ns, 'ip', ['address', 'add', `${addrA}/32`, 'dev', s1.wg]);
    const spoofed = await bed.fetchIn(s1.ns, `${HUB_API}/api/v1/health`, { localAddress: addrA, timeoutMs: 3000 });
    assert.equal(spoofed.status, 0, 'no answer to a spoofed source');
    await bed.exec(s1.ns, 'ip', ['address', 'del', `${addrA}/32`, 'dev', s1.wg]);
    // Ports: nothing of A's through the hub, nothing of the hub's but its API.
    // Even when B routes A's address into its tunnel, the hub forwards nothing between peers.
    const hubKey = JSON.parse(await readFile(join(dataB, 'tunnel', 'enrolment.json'), 'utf8')).tunnel.hub.publicKey as string;
    await bed.exec(s1.ns, 'wg', ['set', s1.wg, 'peer', hubKey, 'allowed-ips', `10.77.0.1/32,${addrA}/32`]);
    await bed.exec(s1.ns, 'ip', ['route', 'add', `${addrA}/32`, 'dev', s1.wg]);
    assert.equal(await bed.ok(s1.ns, 'ping', ['-c', '2', '-i', '0.2', '-W', '1', addrA]), false, 'B cannot reach A through the hub');
    const dicomA = await bed.fetchIn(s1.ns, `http://${addrA}:11112/`, { timeoutMs: 3000 });
    assert.equal(dicomA.status, 0, "A's DICOM port unreachable from B");
    await bed.exec(s1.ns, 'ip', ['route', 'del', `${addrA}/32`, 'dev', s1.wg]);
    const enrolPort = await bed.fetchIn(s1.ns, 'http://10.77.0.1:8443/', { timeoutMs: 3000 });
    assert.equal(enrolPort.status, 0, "the hub's other ports are firewalled from the tunnel");
    assert.equal((await bed.fetchIn(s1.ns, `${HUB_API}/api/v1/health`)).status, 200, 'the API port is open');
    assert.equal(await bed.ok(s1.ns, 'ping', ['-c', '1', '-W', '2', '10.77.0.1']), true);
  });

  await t.test('a rotation asked while the hub is down keeps the queue: studies spooled before it arrive after', async () => {
    const keyBefore = (await readFile(join(dataA, 'tunnel', 'private.key'), 'utf8')).trim();
    hub.child.kill('SIGTERM');
    assert.equal(await hub.exited, 0);
    const mr = listFiles(SHARED_MR);
    await bed.exec(s0.ns, 'storescu', ['-aet', 'MR_ROOM', '-aec', 'RELAIS', '127.0.0.1', '11112', ...mr], { TCP_NODELAY: '1' });
    await provision('site', 'rotate', '--site', 'site-a');
    hub = bed.spawn(bed.hubNs, process.execPath, [CLI, ...hubArgs]);
    await hub.waitLine(/^Relais hub: /, 90_000);
    const f = await bed.waitFor(async () => {
      const v = await fleet();
      return v.studies.find((s) => s.agentId === agentIdA && s.status === 'complete' && s.instancesReceived === mr.length) ? v : undefined;
    }, 'the MR (spooled while the hub was down) complete at the hub', { timeoutMs: 120_000, intervalMs: 1000 });
    assert.ok(f);
    const keyAfter = (await readFile(join(dataA, 'tunnel', 'private.key'), 'utf8')).trim();
    assert.notEqual(keyAfter, keyBefore, 'the box has a new key');
    assert.equal((await stat(join(dataA, 'tunnel', 'private.key'))).mode & 0o777, 0o600);
    const site = JSON.parse(await readFile(join(hubData, 'tunnel', 'sites', 'site-a.json'), 'utf8'));
    assert.equal(site.publicKey, publicKeyOf(keyAfter));
    assert.equal(site.rotationRequestedAt, undefined);
    assert.deepEqual(site.previousPublicKeys.map((k: { publicKey: string }) => k.publicKey), [publicKeyOf(keyBefore)]);
    const peers = await bed.hubPeers(hubWg);
    assert.ok(peers.has(publicKeyOf(keyAfter)) && !peers.has(publicKeyOf(keyBefore)), 'the hub peer switched keys');
    assert.deepEqual(await readdir(join(dataA, 'spool', 'queue')), [], 'the queue drained');
  });

  await t.test('revoking site B cuts its tunnel and API within 5 s; site A keeps working', async () => {
    const keyB = publicKeyOf((await readFile(join(dataB, 'tunnel', 'private.key'), 'utf8')).trim());
    assert.ok((await bed.hubPeers(hubWg)).has(keyB));
    const t0 = Date.now();
    await provision('site', 'revoke', '--site', 'site-b');
    await bed.waitFor(async () => !(await bed.hubPeers(hubWg)).has(keyB), "B's peer gone", { timeoutMs: 5000, intervalMs: 100 });
    const api = await bed.fetchIn(bed.hubNs, `${HUB_API}/api/v1/agents/heartbeat`, { method: 'POST', bearer: credB, headers: { 'relais-protocol': '2' }, body: {} });
    assert.equal(api.status, 401, "B's credential is refused");
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 5000 + 3000, `cut within 5 s of the revocation (+ the check's own process start): ${elapsed} ms`);
    assert.equal(await bed.ok(s1.ns, 'ping', ['-c', '2', '-i', '0.2', '-W', '1', '10.77.0.1']), false, "B's tunnel carries nothing");
    // A is undisturbed: its tunnel answers and its agent keeps reporting.
    assert.equal(await bed.ok(s0.ns, 'ping', ['-c', '2', '-i', '0.2', '-W', '2', '10.77.0.1']), true);
    const seen = (await fleet()).agents.find((a) => a.agentId === agentIdA);
    assert.equal(seen?.status, 'online');
    assert.equal(seen?.tunnelUp, true);
    assert.equal((await fleet()).agents.some((a) => a.agentId === agentIdB), false, 'a revoked agent leaves the fleet');
  });

  await t.test("a radiologist's workstation (wg-quick) reaches the hub's reading services and nothing else; revoked, it is cut", async () => {
    const radiologist = (await provision('user', '--name', 'dr-martin', '--role', 'radiologist')).at(-1)!;
    const keys = generateKeyPair();
    const added = JSON.parse((await provision('workstation', 'add', '--name', 'Dr Martin home', '--user', 'dr-martin', '--public-key', keys.publicKey, '--json')).at(-1)!);
    assert.match(added.config, /AllowedIPs = 10\.77\.0\.1\/32, fd[0-9a-f:]+::1\/128/, 'the workstation routes only the hub into the tunnel');
    // The radiologist's home is B's old namespace (its box was revoked and goes away): wg-quick brings the config up.
    agentB.child.kill('SIGTERM');
    await agentB.exited;
    await bed.exec(s1.ns, 'ip', ['link', 'del', s1.wg]);
    const ws = bed.wgName('ww');
    const conf = join(root, `${ws}.conf`);
    await writeFile(conf, added.config.replace(/^PrivateKey = .*$/m, `PrivateKey = ${keys.privateKey}`), { mode: 0o600 });
    await bed.exec(s1.ns, 'wg-quick', ['up', conf], { WG_QUICK_USERSPACE_IMPLEMENTATION: 'wireguard-go' });
    const addrW = added.workstation.tunnel.ipv4 as string;
    const studies = await bed.waitFor(async () => {
      const r = await bed.fetchIn(s1.ns, `${HUB_API}/dicomweb/studies`, { bearer: radiologist, timeoutMs: 3000 });
      return r.status === 200 ? r : undefined;
    }, 'DICOMweb through the workstation tunnel', { timeoutMs: 15_000, intervalMs: 300 });
    assert.ok(Array.isArray(studies.body) && studies.body.length >= 2, 'the radiologist reads the studies');
    const asAgent = await bed.fetchIn(s1.ns, `${HUB_API}/api/v1/agents/heartbeat`, { method: 'POST', bearer: credA, headers: { 'relais-protocol': '2' }, body: {} });
    assert.equal(asAgent.body.error?.code, 'RELAIS_AUTH_WRONG_TUNNEL', 'no agent route from a workstation');
    assert.equal((await bed.fetchIn(s1.ns, 'http://10.77.0.1:8443/', { timeoutMs: 3000 })).status, 0, 'enrolment port firewalled');
    assert.equal((await bed.fetchIn(s1.ns, 'http://10.77.0.1:22/', { timeoutMs: 3000 })).status, 0, 'any other port firewalled');
    const peers = await bed.hubPeers(hubWg);
    assert.deepEqual(peers.get(keys.publicKey)?.allowedIps.filter((a) => !a.includes(':')), [`${addrW}/32`]);
    await provision('workstation', 'revoke', '--workstation', added.workstation.id);
    await bed.waitFor(async () => !(await bed.hubPeers(hubWg)).has(keys.publicKey), 'the workstation peer gone', { timeoutMs: 5000, intervalMs: 100 });
    assert.equal((await bed.fetchIn(s1.ns, `${HUB_API}/api/v1/health`, { timeoutMs: 2000 })).status, 0, 'revoked: cut');
  });

  agentA.child.kill('SIGTERM');
  await agentA.exited;
  hub.child.kill('SIGTERM');
  assert.equal(await hub.exited, 0);
  await bed.stop();
  assert.deepEqual(await bed.leftovers(), [], 'no namespace, interface or wireguard-go socket left');
});
