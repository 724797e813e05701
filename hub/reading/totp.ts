/**
 * Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP, HMAC-SHA1, 30 s steps, 6 digits:
 * what authenticator apps expect from an `otpauth://totp/` URI), with node:crypto only, and the
 * Base32 (RFC 4648) the secret travels in. Pure: time comes in as a number.
 * Contract: `verifyTotp` accepts the current step and one step either side (clock drift),
 * never a step at or before `lastUsedStep` (a code is not replayable), compares in constant
 * time, and says which step matched so the caller stores it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const i = ALPHABET.indexOf(ch);
    if (i < 0) throw new Error('invalid base32');
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 4226 HOTP value for one counter, `digits` long (zero-padded). */
export function hotp(secret: Uint8Array, counter: number, digits = TOTP_DIGITS, algorithm: 'sha1' | 'sha256' | 'sha512' = 'sha1'): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, secret).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const bin = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_STEP_SECONDS);
}

export function totpAt(secret: Uint8Array, nowMs: number, digits = TOTP_DIGITS): string {
  return hotp(secret, totpStep(nowMs), digits);
}

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: 'malformed' | 'wrong' | 'replayed' };

export function verifyTotp(secret: Uint8Array, code: string, nowMs: number, lastUsedStep = -1, window = 1): TotpCheck {
  const c = code.replace(/\s/g, '');
  if (!/^[0-9]{6}$/.test(c)) return { ok: false, reason: 'malformed' };
  const now = totpStep(nowMs);
  let replayed = false;
  for (let s = now - window; s <= now + window; s++) {
    if (s < 0) continue;
    if (timingSafeEqual(Buffer.from(hotp(secret, s)), Buffer.from(c))) {
      if (s <= lastUsedStep) replayed = true;
      else return { ok: true, step: s };
    }
  }
  return { ok: false, reason: replayed ? 'replayed' : 'wrong' };
}

/** The enrolment URI authenticator apps read (QR code or typed). */
export function otpauthUri(secretBase32: string, account: string, issuer = 'Relais'): string {
  const label = encodeURIComponent(`${issuer}:${account}`);
  return `otpauth://totp/${label}?secret=${secretBase32}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=${TOTP_DIGITS}&period=${TOTP_STEP_SECONDS}`;
}
