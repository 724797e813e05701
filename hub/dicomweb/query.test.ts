import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dateMatch, paging, values, wildcardMatch } from './query.ts';
import { negotiate } from './wado.ts';

test('QIDO matching: UID lists, wildcards, date ranges, capped paging', () => {
  assert.deepEqual(values({ StudyInstanceUID: '1.2,1.3', '0020000D': ['1.4'] }, 'StudyInstanceUID', '0020000D'), ['1.2', '1.3', '1.4']);
  assert.ok(wildcardMatch('DOE*', 'DOE^JANE'));
  assert.ok(wildcardMatch('doe^j?ne', 'DOE^JANE'));
  assert.ok(!wildcardMatch('SMITH*', 'DOE^JANE'));
  assert.ok(!wildcardMatch('.*', 'DOE'), 'regex characters are literal');
  assert.ok(dateMatch('20261101-20261130', '20261123'));
  assert.ok(dateMatch('-20261123', '20261123'));
  assert.ok(!dateMatch('20261124-', '20261123'));
  assert.throws(() => dateMatch('yesterday', '20261123'));
  assert.deepEqual(paging({ limit: '1000000', offset: '3' }, 100, 100), { limit: 100, offset: 3, capped: true });
  assert.throws(() => paging({ limit: '-1' }, 100, 100));
});

test('WADO-RS Accept negotiation', () => {
  assert.deepEqual(negotiate(undefined, true), { kind: 'multipart', transferSyntax: '*' });
  assert.deepEqual(negotiate('multipart/related; type="application/dicom"; transfer-syntax=*', false), { kind: 'multipart', transferSyntax: '*' });
  assert.deepEqual(negotiate('application/dicom', true), { kind: 'single', transferSyntax: '*' });
  assert.deepEqual(negotiate('application/dicom', false), { kind: 'none' });
  assert.deepEqual(negotiate('image/jpeg', true), { kind: 'none' });
  assert.deepEqual(negotiate('image/jpeg, */*;q=0.1', true), { kind: 'multipart', transferSyntax: '*' });
});
