/**
 * Who may do what: each user route names one permission; each role holds a fixed set.
 * Agents are not users: agent routes accept agent credentials only (and users never).
 * Operators watch the fleet and may retrieve images to check transfers, but patient-level
 * attributes (name, ids, birth date, accession, description) are shown only to roles that
 * read or request studies. This table is the one place to change it (tests read it too).
 */
import type { Role } from '../../provisioning/identity-schema.ts';

export type Permission =
  | 'self' | 'fleet:read' | 'studies:read' | 'images:read' | 'patient:read'
  // dispatch (hub/dispatch/routes.ts): the rota, on-call, cases
  | 'rota:read' | 'rota:edit' | 'rota:override' | 'rota:shifts' | 'oncall:read'
  | 'worklist:read' | 'cases:list' | 'cases:follow' | 'cases:acknowledge' | 'cases:assign'
  // clinical loop (hub/requests, hub/reports): exam requests, reports, identity reconciliation
  | 'requests:read' | 'requests:answer' | 'reports:send' | 'reconcile';

const ALL: readonly Role[] = ['operator', 'radiologist', 'clinician', 'admin'];

/**
 * Dispatch: admins edit the whole rota; operators (the regulation desk) read it, and at night
 * put someone else on call (overrides, swaps) and reassign cases; radiologists see who is on
 * call, their own shifts and their worklist, and take in charge the cases they were alerted
 * for; clinicians follow the cases of their sites. Ownership (whose case, which site) is
 * checked by the dispatch routes themselves (not yours answers 404).
 */
export const PERMISSIONS: Readonly<Record<Permission, readonly Role[]>> = {
  self: ALL,
  'fleet:read': ['operator', 'radiologist', 'admin'],
  'studies:read': ALL,
  'images:read': ALL,
  'patient:read': ['radiologist', 'clinician', 'admin'],
  'rota:read': ['operator', 'admin'],
  'rota:edit': ['admin'],
  'rota:override': ['operator', 'admin'],
  'rota:shifts': ['operator', 'radiologist', 'admin'],
  'oncall:read': ['operator', 'radiologist', 'admin'],
  'worklist:read': ['operator', 'radiologist', 'admin'],
  'cases:list': ['operator', 'admin'],
  'cases:follow': ALL,
  'cases:acknowledge': ['radiologist'],
  'cases:assign': ['operator', 'admin'],
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
