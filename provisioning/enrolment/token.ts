/**
 * Enrolment tokens: the string an operator hands to a site, and the hub's verdict on one.
 *
 * `encodeToken`/`decodeToken` (protocol/enrolment.ts): `rlse1.` + base64url(JSON of EnrolmentTokenPayload). The payload is
 * not secret-free (it carries the one-time secret) but it is not signed either: the agent trusts
 * nothing in it but the pin, which it checks against the hub's certificate before sending the
 * token; the hub trusts nothing in it but the id and secret, which it checks against its record.
 *
 * `judgeToken` (pure, clock passed in): the lifecycle. A token is accepted once, before it
 * expires, for the site it was issued for, while neither it nor its site is revoked; the first
 * failing rule names the refusal, in this order: unknown/bad secret, revoked, used (replay),
 * expired, other site.
 */
import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import { decodeEnrolmentToken, encodeEnrolmentToken } from '../../protocol/enrolment.ts';
import type { TokenRecord } from './records.ts';

export const encodeToken = encodeEnrolmentToken;
export const decodeToken = decodeEnrolmentToken;

export function newTokenId(): string {
  return randomBytes(12).toString('base64url');
}

export function newTokenSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function secretMatches(secret: string, sha256Hex: string): boolean {
  const a = Buffer.from(hashTokenSecret(secret), 'hex');
  const b = Buffer.from(sha256Hex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export type TokenRefusal = 'unknown' | 'revoked' | 'used' | 'expired' | 'other-site';

export type TokenVerdict = { ok: true } | { ok: false; refusal: TokenRefusal; at?: string };

/**
 * The hub's verdict on a presented token. `record` is the hub's record for the presented id
 * (undefined if none); `claimedSite` the site the agent says it joins.
 */
export function judgeToken(
  record: TokenRecord | undefined,
  presented: { secret: string; site: string; claimedSite: string },
  nowMs: number,
): TokenVerdict {
  if (!record || !secretMatches(presented.secret, record.secretSha256)) return { ok: false, refusal: 'unknown' };
  if (record.revokedAt) return { ok: false, refusal: 'revoked', at: record.revokedAt };
  if (record.usedAt) return { ok: false, refusal: 'used', at: record.usedAt };
  if (nowMs >= Date.parse(record.expiresAt)) return { ok: false, refusal: 'expired', at: record.expiresAt };
  if (presented.site !== record.siteId || presented.claimedSite !== record.siteId) return { ok: false, refusal: 'other-site' };
  return { ok: true };
}

/** Status of a token for listings. */
export function tokenStatus(r: TokenRecord, nowMs: number): 'valid' | 'used' | 'expired' | 'revoked' {
  if (r.revokedAt) return 'revoked';
  if (r.usedAt) return 'used';
  if (nowMs >= Date.parse(r.expiresAt)) return 'expired';
  return 'valid';
}

export const DEFAULT_TOKEN_TTL_MS = 24 * 3600_000;
export const MAX_TOKEN_TTL_MS = 7 * 24 * 3600_000;
