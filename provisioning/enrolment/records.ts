/**
 * On-disk records of the hub's tunnel registry (DATA/tunnel/): sites, enrolment tokens, radiologists'
 * workstations, and the hub's public tunnel description (`hub.json`). Validated on every read.
 * Secrets: a token record holds only the SHA-256 of its secret; a site or workstation record holds
 * the peer's public key and the preshared key of the pair (a shared secret the hub needs to
 * configure its interface after a restart: files mode 0600 in 0700 directories). No private key
 * of a site is ever stored at the hub.
 */
import { Type, type Static } from '@sinclair/typebox';
import { AgentId, IsoDateTime, Sha256Hex, Urgency } from '../../protocol/common.ts';
import { CertificatePin, EnrolSiteId, Endpoint, WireGuardKey } from '../../protocol/enrolment.ts';

export const SiteId = EnrolSiteId;
export const TokenId = Type.String({ pattern: '^[A-Za-z0-9_-]{16}$' });
export const WorkstationId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' });

const Address = Type.Union([Type.String({ maxLength: 45 }), Type.Null()]);
export const TunnelAddresses = Type.Object({ ipv4: Address, ipv6: Address });
export type TunnelAddresses = Static<typeof TunnelAddresses>;

/** FINESS: 9 characters, the département first (2A/2B for Corsica). */
export const Finess = Type.String({ pattern: '^([0-9]{2}|2A|2B)[0-9]{7}$' });
export const Siret = Type.String({ pattern: '^[0-9]{14}$' });

export const SiteRecord = Type.Object({
  version: Type.Literal(1),
  id: SiteId,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  establishment: Type.Object({ finess: Type.Optional(Finess), siret: Type.Optional(Siret) }),
  contact: Type.Object({
    name: Type.Optional(Type.String({ maxLength: 200 })),
    phone: Type.Optional(Type.String({ maxLength: 40 })),
    email: Type.Optional(Type.String({ maxLength: 200 })),
  }),
  /** IANA time zone of the site (deadlines and alert times are shown in it). */
  zone: Type.String({ minLength: 1, maxLength: 64 }),
  defaultUrgency: Urgency,
  createdAt: IsoDateTime,
  revokedAt: Type.Optional(IsoDateTime),
  /** From the hub's pool; null until the pool exists (allocated at the latest when a token is issued). */
  tunnel: Type.Union([TunnelAddresses, Type.Null()]),
  /** Set by enrolment. */
  agentId: Type.Optional(AgentId),
  publicKey: Type.Optional(WireGuardKey),
  presharedKey: Type.Optional(WireGuardKey),
  enrolledAt: Type.Optional(IsoDateTime),
  keyRotatedAt: Type.Optional(IsoDateTime),
  /** `site rotate`: the agent is told in its next heartbeat acknowledgement. */
  rotationRequestedAt: Type.Optional(IsoDateTime),
  /** Keys this site used before (newest last), for the audit trail. */
  previousPublicKeys: Type.Array(Type.Object({ publicKey: WireGuardKey, until: IsoDateTime }), { maxItems: 50 }),
});
export type SiteRecord = Static<typeof SiteRecord>;

export const TokenRecord = Type.Object({
  version: Type.Literal(1),
  id: TokenId,
  siteId: SiteId,
  secretSha256: Sha256Hex,
  issuedAt: IsoDateTime,
  expiresAt: IsoDateTime,
  usedAt: Type.Optional(IsoDateTime),
  /** Public key presented when the token was used. */
  usedBy: Type.Optional(WireGuardKey),
  revokedAt: Type.Optional(IsoDateTime),
});
export type TokenRecord = Static<typeof TokenRecord>;

export const WorkstationRecord = Type.Object({
  version: Type.Literal(1),
  id: WorkstationId,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  /** The user (radiologist) who reads from it, if given. */
  userId: Type.Optional(AgentId),
  tunnel: TunnelAddresses,
  publicKey: WireGuardKey,
  presharedKey: WireGuardKey,
  createdAt: IsoDateTime,
  revokedAt: Type.Optional(IsoDateTime),
});
export type WorkstationRecord = Static<typeof WorkstationRecord>;

/** Written by the hub at each start with a tunnel (public data only); read by `relais provision`. */
export const HubTunnelInfo = Type.Object({
  version: Type.Literal(1),
  interface: Type.String({ maxLength: 15 }),
  listenPort: Type.Integer({ minimum: 1, maximum: 65535 }),
  /** What sites dial: public host:listenPort. */
  endpoint: Endpoint,
  publicKey: WireGuardKey,
  enrolUrl: Type.String({ pattern: '^https://', maxLength: 300 }),
  certSha256: CertificatePin,
  /** The hub's API through the tunnel. */
  apiUrl: Type.String({ pattern: '^https?://', maxLength: 300 }),
  pool: Type.Object({ ipv4: Address, ipv6: Address }),
  hubAddresses: TunnelAddresses,
  mtu: Type.Integer({ minimum: 1280, maximum: 65535 }),
  updatedAt: IsoDateTime,
});
export type HubTunnelInfo = Static<typeof HubTunnelInfo>;
