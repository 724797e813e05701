/**
 * Secrets of agents and users: format, generation, hashing, constant-time check.
 * A secret is `rlsa.<agentId>.<43 base64url chars>` (agent) or `rlsu.<userId>.<…>` (user):
 * 256 random bits, so a plain SHA-256 is a sufficient verifier (no stretching needed) and the
 * embedded id lets the hub find the record without scanning. The prefix makes leaked secrets
 * easy to grep for.
 */
import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';

export type SecretKind = 'agent' | 'user';
const PREFIX: Record<SecretKind, string> = { agent: 'rlsa', user: 'rlsu' };
const ID_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const SECRET_RE = /^[A-Za-z0-9_-]{43}$/;

export function newSecret(kind: SecretKind, id: string): string {
  return `${PREFIX[kind]}.${id}.${randomBytes(32).toString('base64url')}`;
}

/** Splits a presented secret; undefined when it is not of this kind or malformed. */
export function parseSecret(kind: SecretKind, presented: string): { id: string } | undefined {
  if (presented.length > 200) return undefined;
  const parts = presented.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX[kind]) return undefined;
  const [, id, secret] = parts as [string, string, string];
  if (!ID_RE.test(id) || !SECRET_RE.test(secret)) return undefined;
  return { id };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret with a stored SHA-256 (hex). */
export function secretMatches(presented: string, storedSha256: string): boolean {
  const a = Buffer.from(hashSecret(presented), 'hex');
  const b = Buffer.from(storedSha256, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
