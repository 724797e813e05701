/**
 * Short case reference for alerts and phone calls ("réf. 7K3QF"): 6 characters of Crockford
 * base32 over SHA-256 of the case id. Not personal (derived from a UID, not from the patient),
 * stable, and the same wherever the case id is known.
 */
import { createHash } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function caseReference(caseId: string): string {
  const h = createHash('sha256').update(caseId).digest();
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const byte of h) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 6) {
      out += ALPHABET[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= 6) break;
  }
  return out;
}
