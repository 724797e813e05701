import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SigningCredentials } from './signing-credentials.ts';
import { base32Decode, totpAt } from './totp.ts';

const T = Date.parse('2026-06-02T20:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

test('signature re-authentication: password, then TOTP once active; a code is spent even across a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'relais-signing-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const c = new SigningCredentials(dir);
  assert.deepEqual(await c.reauthenticate('u1', 'whatever-password', undefined, T), { ok: false, reason: 'no-password' });
  await assert.rejects(c.setPassword('u1', 'short', iso(T)), /length/);
  await c.setPassword('u1', 'cheval-agrafe-batterie', iso(T));
  assert.equal((await stat(join(dir, 'u1.json'))).mode & 0o777, 0o600, 'private file');
  assert.deepEqual(await c.reauthenticate('u1', 'cheval-agrafe-batteriE', undefined, T), { ok: false, reason: 'wrong-password' });
  assert.deepEqual(await c.reauthenticate('u1', 'cheval-agrafe-batterie', undefined, T), { ok: true });

  const secret = await c.enrolTotp('u1', iso(T));
  assert.equal((await c.status('u1')).totp, 'pending');
  assert.deepEqual(await c.reauthenticate('u1', 'cheval-agrafe-batterie', undefined, T), { ok: true }, 'a pending enrolment does not yet apply');
  const key = base32Decode(secret);
  assert.equal(await c.confirmTotp('u1', '000000', T, iso(T)), totpAt(key, T) === '000000');
  assert.equal(await c.confirmTotp('u1', totpAt(key, T), T, iso(T)), true);
  assert.equal((await c.status('u1')).totp, 'active');
  await assert.rejects(c.enrolTotp('u1', iso(T)), /already active/);

  assert.deepEqual(await c.reauthenticate('u1', 'cheval-agrafe-batterie', undefined, T), { ok: false, reason: 'totp-required' });
  assert.deepEqual(await c.reauthenticate('u1', 'cheval-agrafe-batterie', totpAt(key, T), T), { ok: false, reason: 'totp-replayed' }, 'the confirmation code is spent');
  const next = totpAt(key, T + 30_000);
  assert.deepEqual(await c.reauthenticate('u1', 'wrong-password-xx', next, T + 30_000), { ok: false, reason: 'wrong-password' });
  assert.deepEqual(await c.reauthenticate('u1', 'cheval-agrafe-batterie', next, T + 30_000), { ok: true }, 'a wrong password does not spend the code');
  // A new instance (restart) reads the spent step from disk.
  const again = new SigningCredentials(dir);
  assert.deepEqual(await again.reauthenticate('u1', 'cheval-agrafe-batterie', next, T + 30_000), { ok: false, reason: 'totp-replayed' });
  // Two signatures racing with one fresh code: exactly one passes.
  const fresh = totpAt(key, T + 60_000);
  const both = await Promise.all([again.reauthenticate('u1', 'cheval-agrafe-batterie', fresh, T + 60_000), again.reauthenticate('u1', 'cheval-agrafe-batterie', fresh, T + 60_000)]);
  assert.equal(both.filter((r) => r.ok).length, 1);
  assert.ok(await again.checkPassword('u1', 'cheval-agrafe-batterie'));
  await assert.rejects(c.get('../etc/passwd'), /invalid user id/);
});
