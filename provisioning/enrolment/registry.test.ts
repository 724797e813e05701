import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../test/fakes/manual-clock.ts';
import { IdentityStore } from '../identity-store.ts';
import { AddressPool } from '../wireguard/address-pool.ts';
import { generateKeyPair } from '../wireguard/keys.ts';
import { TunnelRegistry, EnrolmentRefusal, RegistryError } from './registry.ts';
import { processLock } from './registry-lock.ts';
import { decodeToken, encodeToken, tokenStatus } from './token.ts';
import type { HubTunnelInfo } from './records.ts';

const HUB = generateKeyPair();
const POOL = { ipv4: '10.77.0.0/24', ipv6: 'fd5e:1c2b:77a0::/64' };

async function setup(t: { after: (fn: () => Promise<void>) => void }, opts: { withHub?: boolean } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'relais-registry-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const clock = new ManualClock('2026-11-24T08:00:00Z');
  const identities = new IdentityStore(dir, () => clock.now());
  const registry = new TunnelRegistry(dir, { clock, identities, lock: processLock() });
  if (opts.withHub ?? true) {
    await registry.prepare();
    await AddressPool.open(registry.poolFile, POOL, clock);
    const info: HubTunnelInfo = {
      version: 1, interface: 'relais0', listenPort: 51820, endpoint: 'hub.example.org:51820', publicKey: HUB.publicKey,
      enrolUrl: 'https://hub.example.org:8443', certSha256: 'a'.repeat(64), apiUrl: 'http://10.77.0.1:8080',
      pool: POOL, hubAddresses: { ipv4: '10.77.0.1', ipv6: 'fd5e:1c2b:77a0::1' }, mtu: 1420, updatedAt: new Date(clock.now()).toISOString(),
    };
    await registry.writeHubInfo(info);
  }
  return { dir, clock, identities, registry };
}

async function refusal(p: Promise<unknown>): Promise<EnrolmentRefusal> {
  try {
    await p;
  } catch (err) {
    if (err instanceof EnrolmentRefusal) return err;
    throw err;
  }
  assert.fail('expected a refusal');
}

test('a token enrols its site once, before it expires; a replay is refused and says when it was used', async (t) => {
  const { clock, registry, identities } = await setup(t);
  const site = await registry.createSite({ name: 'CH Marie-Galante', finess: '970100228', zone: 'America/Guadeloupe', defaultUrgency: 'emergency' });
  assert.equal(site.id, 'ch-marie-galante');
  assert.deepEqual(site.tunnel, { ipv4: '10.77.0.2', ipv6: 'fd5e:1c2b:77a0::2' }, 'addresses from the pool at creation');
  const { token, record } = await registry.issueToken(site.id);
  const payload = decodeToken(token)!;
  assert.equal(payload.site, site.id);
  assert.equal(payload.pin, 'a'.repeat(64));
  assert.equal(payload.hubKey, HUB.publicKey);
  assert.equal(payload.endpoint, 'hub.example.org:51820');
  assert.equal(record.expiresAt, '2026-11-25T08:00:00.000Z', 'default lifetime 24 h');
  assert.doesNotMatch(JSON.stringify(record), new RegExp(payload.secret), 'only the hash of the secret is stored');

  clock.advance(23 * 3600_000);
  const agent = generateKeyPair();
  const ok = await registry.redeem({ token, site: site.id, publicKey: agent.publicKey });
  assert.equal(ok.site.publicKey, agent.publicKey);
  assert.equal(ok.replacedKey, false);
  assert.ok(await identities.verifyAgentCredential(ok.credential), 'the credential works');
  assert.equal(tokenStatus((await registry.getToken(record.id))!, clock.now()), 'used');

  const replay = await refusal(registry.redeem({ token, site: site.id, publicKey: generateKeyPair().publicKey }));
  assert.equal(replay.code, 'RELAIS_ENROL_TOKEN_USED');
  assert.equal(replay.at, '2026-11-25T07:00:00.000Z');
  assert.equal((await registry.getSite(site.id))!.publicKey, agent.publicKey, 'a replay changes nothing');
});

test('expired, revoked, other-site and forged tokens are refused, each with its own code', async (t) => {
  const { clock, registry } = await setup(t);
  const a = await registry.createSite({ name: 'Site A' });
  const b = await registry.createSite({ name: 'Site B' });
  const key = () => generateKeyPair().publicKey;

  const expiring = await registry.issueToken(a.id, { ttlMs: 3600_000 });
  clock.advance(3600_000);
  const expired = await refusal(registry.redeem({ token: expiring.token, site: a.id, publicKey: key() }));
  assert.equal(expired.code, 'RELAIS_ENROL_TOKEN_EXPIRED');
  assert.equal(expired.at, expiring.record.expiresAt);

  const revoked = await registry.issueToken(a.id);
  await registry.revokeToken(revoked.record.id);
  assert.equal((await refusal(registry.redeem({ token: revoked.token, site: a.id, publicKey: key() }))).code, 'RELAIS_ENROL_TOKEN_REVOKED');

  // A token of site B presented by an agent that claims site A, or edited to name site A.
  const forB = await registry.issueToken(b.id);
  assert.equal((await refusal(registry.redeem({ token: forB.token, site: a.id, publicKey: key() }))).code, 'RELAIS_ENROL_OTHER_SITE');
  const edited = encodeToken({ ...decodeToken(forB.token)!, site: a.id });
  assert.equal((await refusal(registry.redeem({ token: edited, site: a.id, publicKey: key() }))).code, 'RELAIS_ENROL_OTHER_SITE');
  // A guessed secret, and garbage.
  const forged = encodeToken({ ...decodeToken(forB.token)!, secret: 'x'.repeat(43) });
  assert.equal((await refusal(registry.redeem({ token: forged, site: b.id, publicKey: key() }))).code, 'RELAIS_ENROL_TOKEN_INVALID');
  assert.equal((await refusal(registry.redeem({ token: 'rlse1.bm9wZQ', site: b.id, publicKey: key() }))).code, 'RELAIS_ENROL_TOKEN_INVALID');
  // The refused attempts did not spend B's token.
  assert.ok((await registry.redeem({ token: forB.token, site: b.id, publicKey: key() })).credential);
});

test("a key held by another peer is refused; re-enrolment replaces the site's key and credential", async (t) => {
  const { registry, identities } = await setup(t);
  const a = await registry.createSite({ name: 'Site A' });
  const b = await registry.createSite({ name: 'Site B' });
  const ka = generateKeyPair().publicKey;
  const first = await registry.redeem({ token: (await registry.issueToken(a.id)).token, site: a.id, publicKey: ka });
  const stolen = await refusal(registry.redeem({ token: (await registry.issueToken(b.id)).token, site: b.id, publicKey: ka }));
  assert.equal(stolen.code, 'RELAIS_ENROL_KEY_IN_USE');
  await assert.rejects(registry.redeem({ token: (await registry.issueToken(b.id)).token, site: b.id, publicKey: HUB.publicKey }), /another peer/);

  const ka2 = generateKeyPair().publicKey;
  const again = await registry.redeem({ token: (await registry.issueToken(a.id)).token, site: a.id, publicKey: ka2 });
  assert.equal(again.replacedKey, true);
  assert.equal(again.agentId, first.agentId, 'same agent identity');
  assert.equal(await identities.verifyAgentCredential(first.credential), undefined, 'the old credential stopped working');
  assert.ok(await identities.verifyAgentCredential(again.credential));
  const site = (await registry.getSite(a.id))!;
  assert.deepEqual(site.previousPublicKeys.map((k) => k.publicKey), [ka]);
  assert.deepEqual(site.tunnel, first.site.tunnel, 'the site keeps its addresses');
});

test('revoking a site revokes its credential and unused tokens and frees its address (reused last)', async (t) => {
  const { registry, identities } = await setup(t);
  const a = await registry.createSite({ name: 'Site A' });
  const done = await registry.redeem({ token: (await registry.issueToken(a.id)).token, site: a.id, publicKey: generateKeyPair().publicKey });
  const pending = await registry.issueToken(a.id);
  const { site, tokensRevoked } = await registry.revokeSite(a.id);
  assert.ok(site.revokedAt);
  assert.equal(tokensRevoked, 1);
  assert.equal(await identities.verifyAgentCredential(done.credential), undefined);
  const late = await refusal(registry.redeem({ token: pending.token, site: a.id, publicKey: generateKeyPair().publicKey }));
  assert.equal(late.code, 'RELAIS_ENROL_TOKEN_REVOKED');
  await assert.rejects(registry.issueToken(a.id), RegistryError);
  const b = await registry.createSite({ name: 'Site B' });
  assert.notEqual(b.tunnel!.ipv4, a.tunnel!.ipv4, 'a freed address is not handed out at once');
  assert.ok((await registry.openPool())!.list().every((x) => x.owner !== 'site:site-a'));
});

test('rotation: asked by the operator, done by the agent with a new key; the request is cleared', async (t) => {
  const { registry } = await setup(t);
  const a = await registry.createSite({ name: 'Site A' });
  await assert.rejects(registry.requestRotation(a.id), /not enrolled/);
  const first = generateKeyPair().publicKey;
  const r = await registry.redeem({ token: (await registry.issueToken(a.id)).token, site: a.id, publicKey: first });
  assert.ok((await registry.requestRotation(a.id)).rotationRequestedAt);
  const next = generateKeyPair().publicKey;
  const rotated = await registry.rotateKey(r.agentId, next);
  assert.equal(rotated.previousKey, first);
  assert.equal(rotated.site.publicKey, next);
  assert.equal(rotated.site.rotationRequestedAt, undefined);
  assert.equal((await registry.rotateKey(r.agentId, next)).site.publicKey, next, 'asking again with the same key is a no-op');
  await assert.rejects(registry.rotateKey('nobody', generateKeyPair().publicKey), EnrolmentRefusal);
});

test('records are private files; sites need a hub tunnel before tokens; bad values are refused', async (t) => {
  const { dir, registry } = await setup(t, { withHub: false });
  const s = await registry.createSite({ name: 'Clinique du Port', siret: '12345678901234', contact: { name: 'Dr Y', phone: '+590 590 00 00 00' } });
  assert.equal(s.tunnel, null, 'no pool yet: addresses come with the first token');
  await assert.rejects(registry.issueToken(s.id), /not started with its WireGuard tunnel/);
  await assert.rejects(registry.createSite({ name: 'Clinique du Port' }), /already exists/);
  await assert.rejects(registry.createSite({ name: 'X', finess: '12' }), /FINESS/);
  await assert.rejects(registry.createSite({ name: 'X', zone: 'Mars/Olympus' }), /time zone/);
  assert.equal((await stat(join(dir, 'tunnel'))).mode & 0o777, 0o700);
  assert.equal((await stat(join(dir, 'tunnel', 'sites', `${s.id}.json`))).mode & 0o777, 0o600);
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'tunnel', 'sites', `${s.id}.json`), 'utf8')).contact, { name: 'Dr Y', phone: '+590 590 00 00 00' });
  assert.deepEqual((await readdir(join(dir, 'tunnel', 'tokens'))).length, 0);
});

test('workstations get their own address, a key pair when none is given, and can be revoked', async (t) => {
  const { registry } = await setup(t);
  const own = generateKeyPair().publicKey;
  const a = await registry.addWorkstation({ name: 'Dr Martin home', userId: 'dr-martin', publicKey: own });
  assert.equal(a.privateKey, undefined, 'no private key made at the hub when the workstation brings its own');
  assert.equal(a.record.publicKey, own);
  const b = await registry.addWorkstation({ name: 'Dr Leroy home' });
  assert.ok(b.privateKey);
  assert.notEqual(a.record.tunnel.ipv4, b.record.tunnel.ipv4);
  await assert.rejects(registry.addWorkstation({ name: 'Dup', publicKey: own }), /another peer/);
  const revoked = await registry.revokeWorkstation(a.record.id);
  assert.ok(revoked.revokedAt);
});
