import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insKey, insKeyValid, insTraitProblems, insTraitWarnings, normalizeMatricule } from '../../protocol/ins.ts';

test('INS key: the published example and Corsica departments', () => {
  assert.equal(insKey('2550814168025'), 38);
  assert.ok(insKeyValid('2 55 08 14 168 025 38'), 'spaces typed between groups are accepted');
  assert.ok(!insKeyValid('255081416802539'), 'a wrong key is refused');
  assert.ok(!insKeyValid('25508141680253'), 'a short matricule is refused');
  // 2A counts as 19, 2B as 18: the key of a Corsican matricule differs from the digit version.
  const a = `1840${'2'}2A004123`;
  const keyA = insKey(a);
  assert.equal(keyA, 97 - Number(BigInt('1840219004123') % 97n));
  assert.ok(insKeyValid(`${a}${String(keyA).padStart(2, '0')}`));
  assert.ok(insKeyValid(`${a.toLowerCase()}${String(keyA).padStart(2, '0')}`), 'lower-case 2a is normalised');
  assert.equal(normalizeMatricule(' 1.84 '), '184');
});

test('INS traits: sex digit, birth year and month must agree; birth place only warns', () => {
  const m = `2550814168025${String(insKey('2550814168025')).padStart(2, '0')}`;
  assert.deepEqual(insTraitProblems(m, { sex: 'F', birthDate: '1955-08-03', birthPlaceCode: '14168' }), []);
  assert.deepEqual(insTraitProblems(m, { sex: 'M', birthDate: '1955-08-03' }), ['sex']);
  assert.deepEqual(insTraitProblems(m, { sex: 'F', birthDate: '1956-08-03' }), ['birth-year']);
  assert.deepEqual(insTraitProblems(m, { sex: 'F', birthDate: '1955-09-03' }), ['birth-month']);
  assert.deepEqual(insTraitWarnings(m, { sex: 'F', birthDate: '1955-08-03', birthPlaceCode: '14118' }), ['birth-place']);
  // An unknown month (20–42, 50–99) is not compared.
  const unknownMonth = `2553314168025`;
  const um = `${unknownMonth}${String(insKey(unknownMonth)).padStart(2, '0')}`;
  assert.deepEqual(insTraitProblems(um, { sex: 'F', birthDate: '1955-11-03' }), []);
  assert.deepEqual(insTraitProblems('x', { sex: 'F', birthDate: '1955-11-03' }), ['format']);
});
