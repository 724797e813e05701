import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdentityStore, IdentityLinkError } from './identity-store.ts';
import { agentSiteId } from './identity-schema.ts';

test('dispatch links: kept across rotations of the same role, dropped on a role change, refused on the wrong role', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'relais-identity-links-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new IdentityStore(dir);

  const a = await store.issueAgent('Scanner', { siteId: 'ch-mg' });
  assert.equal(agentSiteId(a.identity), 'ch-mg');
  assert.equal((await store.issueAgent('Scanner')).identity.siteId, 'ch-mg', 'a new credential keeps the site');
  assert.equal(agentSiteId((await store.issueAgent('Other scanner')).identity), 'other-scanner', 'default: its own id');
  await assert.rejects(store.issueAgent('Bad', { siteId: 'CH MG' }), IdentityLinkError);

  await store.issueUser('dr', 'radiologist', undefined, { radiologistId: 'n1' });
  assert.equal((await store.issueUser('dr', 'radiologist')).identity.radiologistId, 'n1');
  assert.equal((await store.issueUser('dr', 'operator')).identity.radiologistId, undefined, 'no link for another role');
  await store.issueUser('doc', 'clinician', undefined, { siteIds: ['ch-mg', 'ch-mg'] });
  assert.deepEqual((await store.issueUser('doc', 'clinician')).identity.siteIds, ['ch-mg']);
  await assert.rejects(store.issueUser('x', 'operator', undefined, { radiologistId: 'n1' }), (e: IdentityLinkError) => e.problem === 'radiologist-id-role');
  await assert.rejects(store.issueUser('y', 'radiologist', undefined, { siteIds: ['ch-mg'] }), (e: IdentityLinkError) => e.problem === 'site-role');
  await assert.rejects(store.issueUser('z', 'clinician', undefined, { siteIds: ['Bad Site'] }), (e: IdentityLinkError) => e.problem === 'bad-site-id');
});
