/**
 * Who may do what: each user route names one permission; each role holds a fixed set.
 * Agents are not users: agent routes accept agent credentials only (and users never).
 * Operators watch the fleet and may retrieve images to check transfers, but patient-level
 * attributes (name, ids, birth date, accession, description) are shown only to roles that
 * read or request studies. This table is the one place to change it (tests read it too).
 */
import type { Role } from '../../provisioning/identity-schema.ts';

export type Permission = 'self' | 'fleet:read' | 'studies:read' | 'images:read' | 'patient:read' | 'requests:read' | 'requests:answer' | 'reports:send' | 'reconcile';

const ALL: readonly Role[] = ['operator', 'radiologist', 'clinician', 'admin'];

export const PERMISSIONS: Readonly<Record<Permission, readonly Role[]>> = {
  self: ALL,
  'fleet:read': ['operator', 'radiologist', 'admin'],
  'studies:read': ALL,
  'images:read': ALL,
  'patient:read': ['radiologist', 'clinician', 'admin'],
  /** Exam requests: list and read (identity shown to roles holding patient:read). */
  'requests:read': ['operator', 'radiologist', 'admin'],
  /** Answer a request (protocol, more information, decline). */
  'requests:answer': ['radiologist', 'admin'],
  /** Send a signed report back to the site. */
  'reports:send': ['radiologist', 'admin'],
  /** Identity vigilance: see held studies with their original values and the request's traits. */
  reconcile: ['operator', 'admin'],
};

export function roleMay(role: Role, permission: Permission): boolean {
  return PERMISSIONS[permission].includes(role);
}

/** What a route requires: nothing, an agent credential, or a user holding a permission. */
export type Access = { kind: 'public' } | { kind: 'agent' } | { kind: 'user'; permission: Permission };

export const PUBLIC: Access = { kind: 'public' };
export const AGENT: Access = { kind: 'agent' };
export function userMay(permission: Permission): Access {
  return { kind: 'user', permission };
}
