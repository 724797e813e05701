/**
 * On-disk records of the identities a hub knows: agents (machine credential) and users
 * (bearer token, role). Validated on every read (disk sidecars are a boundary too).
 * Only the SHA-256 of a secret is ever stored.
 * Links to dispatch (all optional, so records written before them stay valid): an agent's
 * site (default: the agent's own id), a radiologist user's radiologist in the rota, a
 * clinician user's sites.
 */
import { Type, type Static } from '@sinclair/typebox';
import { AgentId, IsoDateTime, Sha256Hex, SiteId } from '../protocol/common.ts';
import { Id as RadiologistRef } from '../protocol/dispatch.ts';

export const Role = Type.Union([Type.Literal('operator'), Type.Literal('radiologist'), Type.Literal('clinician'), Type.Literal('admin')]);
export type Role = Static<typeof Role>;
export const ROLES: readonly Role[] = ['operator', 'radiologist', 'clinician', 'admin'];

/** Identifier of a user: same alphabet as agent ids (it names a file). */
export const UserId = AgentId;

export const AgentIdentity = Type.Object({
  kind: Type.Literal('agent'),
  id: AgentId,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  createdAt: IsoDateTime,
  secretSha256: Sha256Hex,
  credentialIssuedAt: IsoDateTime,
  revokedAt: Type.Optional(IsoDateTime),
  /** The site this agent sends for (a rota site id); absent: the agent's own id. */
  siteId: Type.Optional(SiteId),
});
export type AgentIdentity = Static<typeof AgentIdentity>;

/** The site an agent sends for. */
export function agentSiteId(agent: Pick<AgentIdentity, 'id' | 'siteId'>): string {
  return agent.siteId ?? agent.id;
}

export const UserIdentity = Type.Object({
  kind: Type.Literal('user'),
  id: UserId,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  displayName: Type.String({ maxLength: 200 }),
  role: Role,
  createdAt: IsoDateTime,
  secretSha256: Sha256Hex,
  credentialIssuedAt: IsoDateTime,
  revokedAt: Type.Optional(IsoDateTime),
  /** Role radiologist: who this user is in the rota (worklist, acknowledgements). */
  radiologistId: Type.Optional(RadiologistRef),
  /** Role clinician: the sites whose cases this user follows. */
  siteIds: Type.Optional(Type.Array(SiteId, { maxItems: 100 })),
});
export type UserIdentity = Static<typeof UserIdentity>;
