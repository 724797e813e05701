/**
 * From registry records to the hub's WireGuard peers and back (pure):
 * - `desiredPeers`: every enrolled, unrevoked site and every unrevoked workstation, allowed only
 *   its own /32 and /128 (so a peer can never send from, or receive for, another's address);
 * - `diffPeers`: what to add or update and what to remove so the interface matches, touching no
 *   peer that is already right (others' sessions are never disturbed);
 * - `TunnelDirectory`: who is behind a tunnel address (the hub's source-address check).
 */
import ipaddr from 'ipaddr.js';
import type { WgPeerStatus } from '../wireguard/dump.ts';
import { addressesAt } from '../wireguard/address-pool.ts';
import type { SiteRecord, TunnelAddresses, WorkstationRecord } from './records.ts';

export interface DesiredPeer {
  /** `site:<id>` or `ws:<id>`. */
  owner: string;
  publicKey: string;
  presharedKey: string | undefined;
  allowedIps: string[];
}

function hostRoutes(t: TunnelAddresses): string[] {
  const out: string[] = [];
  if (t.ipv4) out.push(`${t.ipv4}/32`);
  if (t.ipv6) out.push(`${t.ipv6}/128`);
  return out;
}

export function desiredPeers(sites: readonly SiteRecord[], workstations: readonly WorkstationRecord[]): DesiredPeer[] {
  const out: DesiredPeer[] = [];
  for (const s of sites) {
    if (s.revokedAt || !s.publicKey || !s.tunnel) continue;
    out.push({ owner: `site:${s.id}`, publicKey: s.publicKey, presharedKey: s.presharedKey, allowedIps: hostRoutes(s.tunnel) });
  }
  for (const w of workstations) {
    if (w.revokedAt) continue;
    out.push({ owner: `ws:${w.id}`, publicKey: w.publicKey, presharedKey: w.presharedKey, allowedIps: hostRoutes(w.tunnel) });
  }
  return out;
}

function normalCidr(c: string): string {
  try {
    const [a, p] = ipaddr.parseCIDR(c);
    return `${a.toNormalizedString()}/${p}`;
  } catch {
    return c;
  }
}

function sameIps(a: readonly string[], b: readonly string[]): boolean {
  const x = a.map(normalCidr).sort();
  const y = b.map(normalCidr).sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

export interface PeerDiff {
  /** Peers to set (new, or whose allowed IPs / preshared key presence differ). */
  set: DesiredPeer[];
  /** Public keys of peers to remove. */
  remove: string[];
}

export function diffPeers(desired: readonly DesiredPeer[], actual: readonly WgPeerStatus[]): PeerDiff {
  const byKey = new Map(actual.map((p) => [p.publicKey, p]));
  const wanted = new Set(desired.map((d) => d.publicKey));
  const set = desired.filter((d) => {
    const cur = byKey.get(d.publicKey);
    return !cur || !sameIps(cur.allowedIps, d.allowedIps) || cur.hasPresharedKey !== (d.presharedKey !== undefined);
  });
  const remove = actual.filter((p) => !wanted.has(p.publicKey)).map((p) => p.publicKey);
  return { set, remove };
}

export type TunnelPeer = { kind: 'site'; site: SiteRecord } | { kind: 'workstation'; workstation: WorkstationRecord };

function normalIp(ip: string): string | undefined {
  try {
    return ipaddr.process(ip).toNormalizedString();
  } catch {
    return undefined;
  }
}

export class TunnelDirectory {
  readonly #byIp = new Map<string, TunnelPeer>();
  readonly #byAgent = new Map<string, SiteRecord>();
  readonly #networks: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];
  readonly #hub = new Set<string>();

  constructor(sites: readonly SiteRecord[], workstations: readonly WorkstationRecord[], pool: { ipv4: string | null; ipv6: string | null }) {
    for (const n of [pool.ipv4, pool.ipv6]) if (n) this.#networks.push(ipaddr.parseCIDR(n));
    if (pool.ipv4 || pool.ipv6) {
      const hub = addressesAt(pool, 1);
      for (const a of [hub.ipv4, hub.ipv6]) if (a) this.#hub.add(normalIp(a)!);
    }
    const add = (t: TunnelAddresses, peer: TunnelPeer) => {
      for (const a of [t.ipv4, t.ipv6]) {
        const n = a ? normalIp(a) : undefined;
        if (n) this.#byIp.set(n, peer);
      }
    };
    for (const s of sites) {
      if (s.revokedAt) continue;
      if (s.tunnel && s.publicKey) add(s.tunnel, { kind: 'site', site: s });
      if (s.agentId && s.publicKey) this.#byAgent.set(s.agentId, s);
    }
    for (const w of workstations) if (!w.revokedAt) add(w.tunnel, { kind: 'workstation', workstation: w });
  }

  /** The enrolled peer whose tunnel address this is (IPv4-mapped IPv6 is understood). */
  peerAt(ip: string): TunnelPeer | undefined {
    const n = normalIp(ip);
    return n ? this.#byIp.get(n) : undefined;
  }

  /** Whether an address lies in the hub's tunnel networks. */
  inTunnel(ip: string): boolean {
    let a: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      a = ipaddr.process(ip);
    } catch {
      return false;
    }
    return this.#networks.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits));
  }

  /** Whether this is one of the hub's own tunnel addresses (host 1 of the pool). */
  isHub(ip: string): boolean {
    const n = normalIp(ip);
    return n !== undefined && this.#hub.has(n);
  }

  /** The enrolled, unrevoked site an agent identity is bound to. */
  siteOfAgent(agentId: string): SiteRecord | undefined {
    return this.#byAgent.get(agentId);
  }
}
