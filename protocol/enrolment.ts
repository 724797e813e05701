/**
 * Enrolment and tunnel messages (v2).
 *
 * - The enrolment token (`rlse1.<base64url JSON>`) is what an operator hands to a site: it names
 *   the site and carries what the agent needs to trust the hub on first contact (the enrolment
 *   URL, the SHA-256 pin of the hub's self-signed HTTPS certificate, the hub's WireGuard public
 *   key and endpoint) plus a one-time secret (`EnrolmentTokenPayload`).
 * - `POST /enrol/v1` on the hub's HTTPS enrolment listener (pinned, outside the tunnel):
 *   `EnrolRequest` (token + the agent's own WireGuard public key) → `EnrolResponse` (tunnel
 *   configuration, API URL through the tunnel, the agent's API credential).
 * - `POST /enrol/v1/tunnel-reset` (same listener, agent credential): the agent reports its clock
 *   when its tunnel handshakes fail; the hub answers its time and resets the peer (WireGuard
 *   refuses handshakes whose timestamp is not newer than the last one it saw).
 * - `POST /api/v1/agents/tunnel-key` (through the tunnel, agent credential): key rotation, asked
 *   by the hub in the heartbeat acknowledgement (`HeartbeatAck.rotateTunnelKey`).
 */
import { Type, type Static } from '@sinclair/typebox';
import { AgentId, IsoDateTime, SiteId, Urgency } from './common.ts';
import { check } from './validate.ts';

/** A site id: a lowercase slug (same alphabet as agent ids). */
/** Site identifiers are the same everywhere (identity store, dispatch agreements, enrolment). */
export const EnrolSiteId = SiteId;
/** A WireGuard key: 32 bytes in standard base64. */
export const WireGuardKey = Type.String({ pattern: '^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$' });
/** SHA-256 of the hub's enrolment certificate (DER), lowercase hex. */
export const CertificatePin = Type.String({ pattern: '^[0-9a-f]{64}$' });
/** host:port ([v6]:port). */
export const Endpoint = Type.String({ minLength: 3, maxLength: 260, pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$' });

export const ENROLMENT_TOKEN_PREFIX = 'rlse1.';

export const EnrolmentTokenPayload = Type.Object({
  /** Token id (the hub's record), 16 base64url characters. */
  id: Type.String({ pattern: '^[A-Za-z0-9_-]{16}$' }),
  /** One-time secret, 256 bits base64url; the hub keeps only its SHA-256. */
  secret: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
  site: EnrolSiteId,
  /** https://host:port of the enrolment listener. */
  enrolUrl: Type.String({ pattern: '^https://', maxLength: 300 }),
  pin: CertificatePin,
  hubKey: WireGuardKey,
  endpoint: Endpoint,
  expiresAt: IsoDateTime,
});
export type EnrolmentTokenPayload = Static<typeof EnrolmentTokenPayload>;

/** The token string of a payload. */
export function encodeEnrolmentToken(p: EnrolmentTokenPayload): string {
  if (!check(EnrolmentTokenPayload, p)) throw new TypeError('invalid enrolment token payload');
  return ENROLMENT_TOKEN_PREFIX + Buffer.from(JSON.stringify(p), 'utf8').toString('base64url');
}

/** The payload of a token string, or undefined when it is not a well-formed Relais token. */
export function decodeEnrolmentToken(token: string): EnrolmentTokenPayload | undefined {
  const t = token.trim();
  if (!t.startsWith(ENROLMENT_TOKEN_PREFIX) || t.length > 2000) return undefined;
  const body = t.slice(ENROLMENT_TOKEN_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  return check(EnrolmentTokenPayload, v) ? v : undefined;
}

export const EnrolRequest = Type.Object({
  /** The whole token as issued. */
  token: Type.String({ minLength: 1, maxLength: 2000 }),
  /** The site the agent believes it joins (the token's own claim). */
  site: EnrolSiteId,
  /** The agent's public key; its private key never leaves the box. */
  publicKey: WireGuardKey,
  agentVersion: Type.Optional(Type.String({ maxLength: 40 })),
});
export type EnrolRequest = Static<typeof EnrolRequest>;

export const TunnelConfig = Type.Object({
  /** The agent's tunnel addresses with prefix (/32, /128). */
  addresses: Type.Array(Type.String({ maxLength: 50 }), { minItems: 1, maxItems: 2 }),
  mtu: Type.Integer({ minimum: 1280, maximum: 65535 }),
  hub: Type.Object({
    publicKey: WireGuardKey,
    endpoint: Endpoint,
    /** The hub's own tunnel addresses (/32, /128): nothing else is routed into the tunnel. */
    allowedIps: Type.Array(Type.String({ maxLength: 50 }), { minItems: 1, maxItems: 2 }),
    persistentKeepalive: Type.Integer({ minimum: 0, maximum: 65535 }),
    presharedKey: Type.Optional(WireGuardKey),
  }),
});
export type TunnelConfig = Static<typeof TunnelConfig>;

export const EnrolResponse = Type.Object({
  site: EnrolSiteId,
  siteName: Type.String({ maxLength: 200 }),
  agentId: AgentId,
  /** The agent's API credential (`rlsa.…`), shown once. */
  credential: Type.String({ minLength: 1, maxLength: 200 }),
  /** The hub's API through the tunnel, e.g. http://10.77.0.1:8080. */
  hubUrl: Type.String({ pattern: '^https?://', maxLength: 300 }),
  tunnel: TunnelConfig,
  enrolledAt: IsoDateTime,
  /** True when this enrolment replaced an earlier key of the site (re-enrolment). */
  replacedKey: Type.Boolean(),
  /** The site's urgency for studies no rule matches (the agent's --default-urgency wins). */
  defaultUrgency: Type.Optional(Urgency),
});
export type EnrolResponse = Static<typeof EnrolResponse>;

export const TunnelResetRequest = Type.Object({
  /** The agent's clock when sending. */
  agentTime: IsoDateTime,
  /** Age of the agent's latest handshake, null if none since the tunnel came up. */
  latestHandshakeAgeSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
});
export type TunnelResetRequest = Static<typeof TunnelResetRequest>;

export const TunnelResetResponse = Type.Object({
  hubTime: IsoDateTime,
  /** Hub time minus agent time. */
  clockOffsetMs: Type.Number(),
  /** Whether the hub removed and re-added the peer (forgetting its last handshake timestamp). */
  peerReset: Type.Boolean(),
});
export type TunnelResetResponse = Static<typeof TunnelResetResponse>;

export const TunnelKeyRotation = Type.Object({ publicKey: WireGuardKey });
export type TunnelKeyRotation = Static<typeof TunnelKeyRotation>;

export const TunnelKeyRotationAck = Type.Object({
  publicKey: WireGuardKey,
  /** When the hub switches its peer to the new key (right after this answer is sent). */
  rotatedAt: IsoDateTime,
});
export type TunnelKeyRotationAck = Static<typeof TunnelKeyRotationAck>;

export const ENROL_ROUTES = {
  enrol: '/enrol/v1',
  tunnelReset: '/enrol/v1/tunnel-reset',
  tunnelKey: '/api/v1/agents/tunnel-key',
} as const;
