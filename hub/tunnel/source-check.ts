/**
 * The hub's own source-address check, beside nftables (defence in depth; the app cannot rely on
 * the firewall being there): when the hub runs a tunnel, who may call what from where.
 * - Agent routes: only from the tunnel address of the site the authenticated agent is enrolled
 *   for. An agent credential used from anywhere else (another site's tunnel, the underlay, the
 *   hub itself) is refused, as is an agent that never enrolled a tunnel.
 * - From a site's tunnel address: agent routes only (and public ones).
 * - From a workstation's tunnel address: user routes (reading services, still role-checked) and
 *   public ones, never agent routes.
 * - From an unassigned address inside the tunnel networks (not the hub's own): public routes only.
 * Pure: the directory is passed in. Without a tunnel (loopback demo, tests) everything passes.
 */
import type { TunnelDirectory } from '../../provisioning/enrolment/peers.ts';
import type { Access } from '../auth/roles.ts';
import type { Principal } from '../auth/authenticator.ts';

export type SourceVerdict = { ok: true } | { ok: false; reason: 'agent-not-enrolled' | 'agent-wrong-source' | 'site-address-user-route' | 'unknown-tunnel-address' };

export function checkSource(dir: TunnelDirectory | undefined, ip: string, access: Access, principal: Principal | undefined): SourceVerdict {
  if (!dir || access.kind === 'public') return { ok: true };
  const peer = dir.peerAt(ip);
  if (access.kind === 'agent') {
    if (principal?.kind !== 'agent') return { ok: true }; // authentication refuses it anyway
    const site = dir.siteOfAgent(principal.agentId);
    if (!site) return { ok: false, reason: 'agent-not-enrolled' };
    if (peer?.kind !== 'site' || peer.site.id !== site.id) return { ok: false, reason: 'agent-wrong-source' };
    return { ok: true };
  }
  if (peer?.kind === 'site') return { ok: false, reason: 'site-address-user-route' };
  if (!peer && dir.inTunnel(ip) && !dir.isHub(ip)) return { ok: false, reason: 'unknown-tunnel-address' };
  return { ok: true };
}
