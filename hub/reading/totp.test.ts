import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base32Decode, base32Encode, hotp, otpauthUri, totpAt, verifyTotp } from './totp.ts';

const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');

test('HOTP matches the RFC 4226 appendix D values', () => {
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  expected.forEach((v, i) => assert.equal(hotp(RFC_SECRET, i), v));
});

test('TOTP matches the RFC 6238 appendix B values (SHA-1, 8 digits)', () => {
  const cases: Array<[number, string]> = [[59, '94287082'], [1111111109, '07081804'], [1111111111, '14050471'], [1234567890, '89005924'], [2000000000, '69279037'], [20000000000, '65353130']];
  for (const [t, v] of cases) assert.equal(totpAt(RFC_SECRET, t * 1000, 8), v, `T=${t}`);
});

test('Base32 round trip and the RFC 4648 vectors', () => {
  assert.equal(base32Encode(Buffer.from('foobar')), 'MZXW6YTBOI');
  assert.equal(base32Decode('MZXW6YTBOI').toString(), 'foobar');
  assert.equal(base32Decode('mzxw 6ytb oi======').toString(), 'foobar');
  assert.throws(() => base32Decode('1'));
  const s = Buffer.from([1, 2, 3, 250, 251, 252, 0, 9, 77, 128]);
  assert.deepEqual(base32Decode(base32Encode(s)), s);
});

test('a code is accepted one step either side, never replayed, never a wrong or malformed one', () => {
  const now = 1_700_000_000_000;
  const code = totpAt(RFC_SECRET, now);
  const first = verifyTotp(RFC_SECRET, code, now);
  assert.ok(first.ok);
  assert.deepEqual(verifyTotp(RFC_SECRET, code, now, first.ok ? first.step : 0), { ok: false, reason: 'replayed' });
  assert.ok(verifyTotp(RFC_SECRET, totpAt(RFC_SECRET, now - 30_000), now).ok, 'previous step (drift)');
  assert.ok(verifyTotp(RFC_SECRET, totpAt(RFC_SECRET, now + 30_000), now).ok, 'next step (drift)');
  assert.deepEqual(verifyTotp(RFC_SECRET, totpAt(RFC_SECRET, now - 90_000), now), { ok: false, reason: 'wrong' }, 'three steps old');
  assert.deepEqual(verifyTotp(RFC_SECRET, '12345', now), { ok: false, reason: 'malformed' });
  assert.deepEqual(verifyTotp(RFC_SECRET, 'abcdef', now), { ok: false, reason: 'malformed' });
  // A later code after an earlier one is fine; an earlier one after a later one is not.
  const later = verifyTotp(RFC_SECRET, totpAt(RFC_SECRET, now + 30_000), now);
  assert.ok(later.ok);
  assert.equal(verifyTotp(RFC_SECRET, code, now, later.ok ? later.step : 0).ok, false);
});

test('otpauth URI carries the secret and parameters apps expect', () => {
  const u = new URL(otpauthUri('MZXW6YTBOI', 'dr-neuro'));
  assert.equal(u.protocol, 'otpauth:');
  assert.equal(u.searchParams.get('secret'), 'MZXW6YTBOI');
  assert.equal(u.searchParams.get('digits'), '6');
  assert.equal(u.searchParams.get('period'), '30');
});
