import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, generatePresharedKey, isWireGuardKey, publicKeyOf } from './keys.ts';

// Pairs made by `wg genkey | tee /dev/stderr | wg pubkey` (wireguard-tools 1.0.20210914), and the
// RFC 7748 §6.1 X25519 test vector (Alice), which `wg pubkey` also gives.
const WG_VECTORS: Array<[string, string]> = [
  ['2IGeLzKFZVfrW2wgNvjFOpcyOx0YesUEkkUvKPq0hFI=', 'CjRqOaDTCLFbiUR+QlK1vruq7aQOrJEi9p9uZQNwm1M='],
  ['YHmQ6zzVVbFHIKoBwHd+PjoKFKoDzclPxGWbzfD9eXM=', 'gVHRqIZxi+eQIqxptzd4oCxTI9DhFDkYYzAPZryh6lE='],
  ['SF/H1C9ahFUVJ5+YzBcl2LlS8HhdP+4SNrl9fkp5YmQ=', 'zYJWe2Msk7JXDSQbDYlOXm6aGqXy7+A3cfGBiQKpeHA='],
  ['dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=', 'hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo='],
];

test('public keys derived with node:crypto match wg pubkey', () => {
  for (const [priv, pub] of WG_VECTORS) assert.equal(publicKeyOf(priv), pub);
});

test('generated keys are valid WireGuard keys, clamped like wg genkey, and distinct', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const { privateKey, publicKey } = generateKeyPair();
    assert.ok(isWireGuardKey(privateKey) && isWireGuardKey(publicKey));
    const d = Buffer.from(privateKey, 'base64');
    assert.equal(d[0]! & 7, 0);
    assert.equal(d[31]! & 0xc0, 0x40);
    assert.equal(publicKeyOf(privateKey), publicKey);
    seen.add(privateKey);
  }
  assert.equal(seen.size, 50);
  assert.ok(isWireGuardKey(generatePresharedKey()));
});

test('malformed keys are refused', () => {
  assert.equal(isWireGuardKey('abc'), false);
  assert.equal(isWireGuardKey(`${'A'.repeat(43)}=\n`), false);
  assert.equal(isWireGuardKey(Buffer.alloc(31).toString('base64')), false);
  assert.throws(() => publicKeyOf('not a key'), TypeError);
});
