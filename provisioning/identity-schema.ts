/**
 * On-disk records of the identities a hub knows: agents (machine credential) and users
 * (bearer token, role). Validated on every read (disk sidecars are a boundary too).
 * Only the SHA-256 of a secret is ever stored.
 */
import { Type, type Static } from '@sinclair/typebox';
import { AgentId, IsoDateTime, Sha256Hex } from '../protocol/common.ts';

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
});
export type AgentIdentity = Static<typeof AgentIdentity>;

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
});
export type UserIdentity = Static<typeof UserIdentity>;
