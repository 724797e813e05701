/**
 * Certificate pins: the SHA-256 of a certificate's DER bytes, lowercase hex (the same value as
 * `openssl x509 -noout -fingerprint -sha256`, without colons and in lower case). The hub prints
 * the pin of its self-signed enrolment certificate and embeds it in enrolment tokens; the agent
 * compares it with the certificate the server presents before it sends anything.
 */
import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';

export function pinOfDer(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

export function pinOfPem(pem: string): string {
  return pinOfDer(new X509Certificate(pem).raw);
}

/** Constant-time comparison of two pins (hex, any case, colons allowed). */
export function pinsMatch(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/:/g, '').toLowerCase();
  const x = Buffer.from(norm(a), 'utf8');
  const y = Buffer.from(norm(b), 'utf8');
  return x.length === 64 && x.length === y.length && timingSafeEqual(x, y);
}

/** A pin as operators compare it with openssl's output: AB:CD:... */
export function formatPin(pin: string): string {
  return pin.toUpperCase().match(/../g)?.join(':') ?? pin;
}
