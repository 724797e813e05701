/**
 * `relais provision` links identities to dispatch: an agent to its site (default: its id), a
 * radiologist user to their rota radiologist, a clinician to the sites they follow. The links
 * survive a token rotation, are refused on a role they do not fit, and records written
 * before the links existed stay valid. The historical invocations are unchanged (last stdout
 * line = the secret).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../data.ts';
import { IdentityStore } from '../../provisioning/identity-store.ts';
import { agentSiteId } from '../../provisioning/identity-schema.ts';

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'bin', 'relais.js');
const relais = (...args: string[]) => run(process.execPath, [CLI, ...args]);
const last = (out: string) => out.trim().split('\n').pop()!;

test('agents, radiologists and clinicians are linked to dispatch by provisioning flags', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'relais-provision-links-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new IdentityStore(dir);
  // Independent identities: provisioned side by side (each CLI start costs seconds on a busy machine).
  const [plain, withSite, op, rad, cli, unlinked, refused] = await Promise.all([
    relais('provision', 'agent', '--data', dir, '--name', 'CH Marie-Galante CT'),
    relais('provision', 'agent', '--data', dir, '--name', 'CH Marie-Galante IRM', '--site', 'ch-mg'),
    relais('provision', 'user', '--data', dir, '--name', 'regulation', '--role', 'operator'),
    relais('provision', 'user', '--data', dir, '--name', 'dr.neuro', '--role', 'radiologist', '--radiologist-id', 'n1'),
    relais('provision', 'user', '--data', dir, '--name', 'urgences.mg', '--role', 'clinician', '--site', 'ch-mg', '--site', 'ch-mg-2'),
    relais('provision', 'user', '--data', dir, '--name', 'dr.new', '--role', 'radiologist'),
    relais('provision', 'user', '--data', dir, '--name', 'x', '--role', 'operator', '--radiologist-id', 'n1').then(() => undefined, (e: Error) => e),
  ]);
  const plainAgent = await store.verifyAgentCredential(last(plain.stdout));
  assert.equal(plainAgent && agentSiteId(plainAgent), 'ch-marie-galante-ct', 'default site: the agent id');
  assert.match(withSite.stdout, /Site de l'agent : ch-mg/);
  assert.equal((await store.verifyAgentCredential(last(withSite.stdout)))?.siteId, 'ch-mg');
  assert.equal((await store.verifyUserToken(last(op.stdout)))?.role, 'operator', 'the historical invocation is unchanged');
  assert.equal((await store.verifyUserToken(last(rad.stdout)))?.radiologistId, 'n1');
  assert.deepEqual((await store.verifyUserToken(last(cli.stdout)))?.siteIds, ['ch-mg', 'ch-mg-2']);
  assert.match(unlinked.stderr, /n'est relié à aucun radiologue/);
  assert.match(String(refused), /--radiologist-id ne s'applique qu'au rôle radiologist/);
  assert.equal(await store.getUser('x'), undefined, 'nothing written for a refused link');
});

test('identity records written before dispatch links still verify', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'relais-provision-old-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new IdentityStore(dir);
  const issued = await store.issueUser('old', 'radiologist');
  // The record exactly as the previous version wrote it (no link fields).
  const { radiologistId: _r, siteIds: _s, ...old } = issued.identity;
  await mkdir(join(dir, 'identities', 'users'), { recursive: true });
  await writeFile(join(dir, 'identities', 'users', `${old.id}.json`), JSON.stringify(old), { mode: 0o600 });
  const u = await store.verifyUserToken(issued.token);
  assert.equal(u?.role, 'radiologist');
  assert.equal(u?.radiologistId, undefined);
});
