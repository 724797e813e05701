/**
 * The clinical pages' navigation: only the links the signed-in role may open.
 */
import { roleMay } from '../auth/roles.ts';
import type { Role } from '../../provisioning/identity-schema.ts';
import type { NavLink } from './html.ts';

export function readingNav(role: Role): NavLink[] {
  const out: NavLink[] = [];
  if (roleMay(role, 'cases:acknowledge')) out.push({ href: '/my-cases', key: 'navMyCases' });
  if (roleMay(role, 'requests:read')) out.push({ href: '/requests', key: 'navRequests' });
  if (roleMay(role, 'reconcile')) out.push({ href: '/reconciliation', key: 'navReconcile' });
  if (roleMay(role, 'cases:list')) out.push({ href: '/acts', key: 'navActs' });
  if (roleMay(role, 'reports:send')) out.push({ href: '/me/signature', key: 'navSecurity' });
  return out;
}
