import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newSecret, parseSecret, hashSecret, secretMatches } from './secret.ts';
import { slugify } from './identity-store.ts';

test('secrets carry their kind and id, verify against their hash only', () => {
  const s = newSecret('agent', 'ch-marie-galante-ct');
  assert.match(s, /^rlsa\.ch-marie-galante-ct\.[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(parseSecret('agent', s), { id: 'ch-marie-galante-ct' });
  assert.equal(parseSecret('user', s), undefined, 'an agent credential is not a user token');
  assert.equal(parseSecret('agent', 'rlsa.../../etc.' + 'a'.repeat(43)), undefined);
  assert.ok(secretMatches(s, hashSecret(s)));
  assert.ok(!secretMatches(`${s.slice(0, -1)}x`, hashSecret(s)));
  assert.equal(slugify('Démo — scanner des urgences', 'x'), 'demo-scanner-des-urgences');
  assert.equal(slugify('!!!', 'agent'), 'agent');
});
