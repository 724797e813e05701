/**
 * WireGuard keys with node:crypto alone (X25519): private, public and preshared keys in
 * WireGuard's base64 form. Contract: `publicKeyOf(k)` equals `wg pubkey` of `k` for every valid
 * key (generated here or by `wg genkey`); generated private keys are clamped like `wg genkey`'s.
 * Private and preshared keys are secrets: never log them, never put them on a command line.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';

/** A WireGuard key: 32 bytes, standard base64 with padding (44 characters). */
const KEY_RE = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

export function isWireGuardKey(s: string): boolean {
  return KEY_RE.test(s);
}

function keyBytes(key: string, what: string): Buffer {
  if (!isWireGuardKey(key)) throw new TypeError(`${what} is not a WireGuard key (32 bytes, base64)`);
  return Buffer.from(key, 'base64');
}

/** DER header of a PKCS#8 X25519 private key; the 32 raw key bytes follow. */
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export function generatePrivateKey(): string {
  const { privateKey } = generateKeyPairSync('x25519');
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
  d[0]! &= 248;
  d[31] = (d[31]! & 127) | 64;
  return d.toString('base64');
}

export function publicKeyOf(privateKey: string): string {
  const raw = keyBytes(privateKey, 'private key');
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, raw]), format: 'der', type: 'pkcs8' });
  const x = createPublicKey(key).export({ format: 'jwk' }).x as string;
  return Buffer.from(x, 'base64url').toString('base64');
}

export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

export function generateKeyPair(): KeyPair {
  const privateKey = generatePrivateKey();
  return { privateKey, publicKey: publicKeyOf(privateKey) };
}

/** A preshared key (extra symmetric layer, one per peer pair). */
export function generatePresharedKey(): string {
  return randomBytes(32).toString('base64');
}
