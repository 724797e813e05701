/**
 * The hub's WireGuard side: its interface, keys, firewall and peers, kept in line with the tunnel
 * registry (DATA/tunnel, changed by `relais provision` and by enrolment).
 *
 * Contract:
 * - `open` makes the hub's identity if missing (provisioning/enrolment/hub-identity.ts), opens the
 *   address pool (networks from the flags; the pool refuses a renumbering), creates the interface
 *   unless it exists (kernel or wireguard-go; an existing one is reused, so agents' sessions
 *   survive a hub restart) with host 1 of the pool, and sets its key and port;
 * - `publish(apiPort)` applies the firewall (hub/tunnel/firewall.ts), writes DATA/tunnel/hub.json
 *   (what `relais provision` puts in tokens), makes the peers match the registry and starts the
 *   watch loop: every `syncMs` it re-reads the registry when a folder changed (and every 10 s
 *   anyway) and applies the difference — a new, revoked or rotated peer is on the interface within
 *   one period (≤ 1 s by default), peers already right are never touched;
 * - `directory()` is who is behind each tunnel address, for the source-address check;
 * - a key rotation is held back (`rotateKey` then `releaseRotation`) until the agent's answer has
 *   left through the old key;
 * - `resetPeer` removes and re-adds one peer (WireGuard then forgets the last handshake timestamp
 *   it saw: the recovery for a box whose clock jumped ahead and came back);
 * - `stop` ends the loop and leaves the interface up (the next start reuses it).
 */
import { stat } from 'node:fs/promises';
import type { Clock, TimerHandle } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { AddressPool, generateUlaPrefix, type PoolConfig } from '../../provisioning/wireguard/address-pool.ts';
import type { CommandRunner } from '../../provisioning/wireguard/command-runner.ts';
import { createInterface } from '../../provisioning/wireguard/interface.ts';
import { WireGuard } from '../../provisioning/wireguard/wg.ts';
import type { WgPeerStatus } from '../../provisioning/wireguard/dump.ts';
import { ensureHubIdentity, type HubIdentity } from '../../provisioning/enrolment/hub-identity.ts';
import { TunnelDirectory, desiredPeers, diffPeers, type DesiredPeer } from '../../provisioning/enrolment/peers.ts';
import type { TunnelRegistry } from '../../provisioning/enrolment/registry.ts';
import type { HubTunnelInfo, SiteRecord, WorkstationRecord } from '../../provisioning/enrolment/records.ts';
import type { TunnelKeyRotationAck } from '../../protocol/enrolment.ts';
import { hubRuleset } from './firewall.ts';

export interface HubTunnelOptions {
  interfaceName: string;
  listenPort: number;
  /** IPv4 network of the pool (null: none). */
  ipv4: string | null;
  /** ULA prefix, 'auto' (keep the pool's, or make one), or null (none). */
  ipv6: string | null | 'auto';
  /** What sites dial (host or IP); the endpoint is publicHost:listenPort unless `endpoint` is given. */
  publicHost: string;
  endpoint?: string;
  enrolPort: number;
  mtu: number;
  implementation: 'auto' | 'kernel' | 'userspace';
  /** Apply the nftables rules (default true). */
  firewall: boolean;
  /** Period of the registry watch (ms). */
  syncMs: number;
}

export const DEFAULT_TUNNEL_OPTIONS = {
  listenPort: 51820,
  ipv4: '10.77.0.0/24',
  ipv6: 'auto',
  enrolPort: 8443,
  mtu: 1420,
  implementation: 'auto',
  firewall: true,
  syncMs: 1000,
} as const;

export interface HubTunnelDeps {
  registry: TunnelRegistry;
  runner: CommandRunner;
  clock: Clock;
  logger: Logger;
  options: HubTunnelOptions;
  /** Called after each observation of the interface with the site peers' state (agent id → peer). */
  onObserved?: (observed: Map<string, WgPeerStatus | undefined>) => void;
}

function endpointOf(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

export class HubTunnel {
  readonly #d: HubTunnelDeps;
  readonly #wg: WireGuard;
  readonly identity: HubIdentity;
  readonly #pool: AddressPool;
  #sites: SiteRecord[] = [];
  #workstations: WorkstationRecord[] = [];
  #directory: TunnelDirectory;
  #info: HubTunnelInfo | undefined;
  #stamps = '';
  #lastFullReadAt = 0;
  #timer: TimerHandle | undefined;
  #stopped = false;
  #syncing: Promise<void> = Promise.resolve();
  /** Site id → the key to keep on the interface until the rotation answer has gone out. */
  readonly #held = new Map<string, string>();

  private constructor(deps: HubTunnelDeps, identity: HubIdentity, pool: AddressPool) {
    this.#d = deps;
    this.identity = identity;
    this.#pool = pool;
    this.#wg = new WireGuard(deps.runner, { secretDir: deps.registry.root });
    this.#directory = new TunnelDirectory([], [], this.#poolNetworks());
  }

  static async open(deps: HubTunnelDeps): Promise<HubTunnel> {
    const o = deps.options;
    const registry = deps.registry;
    await registry.prepare();
    const identity = await ensureHubIdentity(registry.root, { certNames: [o.publicHost] });
    const existing = await registry.openPool();
    const config: PoolConfig = {
      ipv4: o.ipv4,
      ipv6: o.ipv6 === 'auto' ? (existing ? existing.networks().ipv6 : generateUlaPrefix()) : o.ipv6,
    };
    const pool = await AddressPool.open(registry.poolFile, config, deps.clock);
    const tunnel = new HubTunnel(deps, identity, pool);
    await tunnel.#bringUp();
    return tunnel;
  }

  #poolNetworks(): { ipv4: string | null; ipv6: string | null } {
    return this.#pool.networks();
  }

  /** The hub's own tunnel addresses. */
  get hubAddresses(): { ipv4: string | null; ipv6: string | null } {
    return this.#pool.hub();
  }

  get interfaceName(): string {
    return this.#d.options.interfaceName;
  }

  async #bringUp(): Promise<void> {
    const o = this.#d.options;
    const run = this.#d.runner;
    const hub = this.#pool.hub();
    const prefixes = this.#pool.prefixes();
    const addresses = [hub.ipv4 ? `${hub.ipv4}/${prefixes.ipv4}` : null, hub.ipv6 ? `${hub.ipv6}/${prefixes.ipv6}` : null].filter((a): a is string => a !== null);
    const exists = await run.run('ip', ['link', 'show', 'dev', o.interfaceName]).then(() => true, () => false);
    if (exists) {
      for (const a of addresses) {
        const v6 = a.includes(':');
        await run.run('ip', [v6 ? '-6' : '-4', 'address', 'add', a, 'dev', o.interfaceName, ...(v6 ? ['nodad'] : [])]).catch((err: { stderr?: string }) => {
          if (!/exists|already assigned/i.test(err.stderr ?? '')) throw err;
        });
      }
      await run.run('ip', ['link', 'set', 'dev', o.interfaceName, 'mtu', String(o.mtu), 'up']);
      this.#d.logger.info({ interface: o.interfaceName }, 'tunnel: reusing the existing WireGuard interface');
    } else {
      const made = await createInterface(run, { name: o.interfaceName, addresses, mtu: o.mtu, implementation: o.implementation });
      this.#d.logger.info({ interface: o.interfaceName, implementation: made.implementation }, 'tunnel: WireGuard interface created');
    }
    await this.#wg.setPrivateKey(o.interfaceName, this.identity.wgPrivateKey);
    await this.#wg.setListenPort(o.interfaceName, o.listenPort);
  }

  /** Firewall, hub.json, peers, watch loop. `apiUrl` is the hub's API through the tunnel. */
  async publish(apiPort: number): Promise<HubTunnelInfo> {
    const o = this.#d.options;
    if (o.firewall) {
      await this.#d.runner.run('nft', ['-f', '-'], { stdin: hubRuleset({ interfaceName: o.interfaceName, apiPort }) });
    } else {
      this.#d.logger.warn({ interface: o.interfaceName }, 'tunnel: firewall disabled (--no-wg-firewall): peers can reach every port of the hub');
    }
    const hub = this.#pool.hub();
    const apiHost = hub.ipv4 ?? `[${hub.ipv6}]`;
    const info: HubTunnelInfo = {
      version: 1,
      interface: o.interfaceName,
      listenPort: o.listenPort,
      endpoint: o.endpoint ?? endpointOf(o.publicHost, o.listenPort),
      publicKey: this.identity.wgPublicKey,
      enrolUrl: `https://${o.publicHost.includes(':') ? `[${o.publicHost}]` : o.publicHost}:${o.enrolPort}`,
      certSha256: this.identity.certSha256,
      apiUrl: `http://${apiHost}:${apiPort}`,
      pool: this.#poolNetworks(),
      hubAddresses: hub,
      mtu: o.mtu,
      updatedAt: new Date(this.#d.clock.now()).toISOString(),
    };
    await this.#d.registry.writeHubInfo(info);
    this.#info = info;
    await this.sync({ force: true });
    this.#schedule();
    return info;
  }

  get info(): HubTunnelInfo {
    if (!this.#info) throw new Error('tunnel not published yet');
    return this.#info;
  }

  directory(): TunnelDirectory {
    return this.#directory;
  }

  /** Whether the operator asked this agent's site for a new key. */
  rotationRequested(agentId: string): boolean {
    return Boolean(this.#directory.siteOfAgent(agentId)?.rotationRequestedAt);
  }

  /**
   * Records the agent's new key; the interface keeps the old one until `releaseRotation` (called
   * once the answer has been sent through the old key).
   */
  async rotateKey(agentId: string, publicKey: string): Promise<{ ack: TunnelKeyRotationAck; siteId: string }> {
    const site = this.#directory.siteOfAgent(agentId);
    if (site?.publicKey && site.publicKey !== publicKey) this.#held.set(site.id, site.publicKey);
    try {
      const r = await this.#d.registry.rotateKey(agentId, publicKey);
      // The in-memory view follows at once (no second rotation asked by the next heartbeat);
      // the interface keeps the held key until releaseRotation.
      this.#sites = this.#sites.map((x) => (x.id === r.site.id ? r.site : x));
      this.#directory = new TunnelDirectory(this.#sites, this.#workstations, this.#poolNetworks());
      this.#d.logger.info({ site: r.site.id }, 'tunnel: key rotation recorded, switching the peer after the answer');
      return { ack: { publicKey, rotatedAt: r.site.keyRotatedAt ?? new Date(this.#d.clock.now()).toISOString() }, siteId: r.site.id };
    } catch (err) {
      if (site) this.#held.delete(site.id);
      throw err;
    }
  }

  releaseRotation(siteId: string): void {
    if (this.#held.delete(siteId)) void this.sync({ force: true });
  }

  /** Removes and re-adds a site's peer (forgets its last handshake timestamp). */
  async resetPeer(siteId: string): Promise<boolean> {
    const peer = desiredPeers(this.#sites, []).find((p) => p.owner === `site:${siteId}`);
    if (!peer) return false;
    await this.#serial(async () => {
      await this.#wg.removePeer(this.interfaceName, peer.publicKey);
      await this.#setPeer(peer);
    });
    this.#d.logger.warn({ site: siteId }, 'tunnel: peer reset (handshake timestamp forgotten) after a clock report');
    return true;
  }

  /** Re-reads the registry (if changed, or `force`) and makes the interface match. */
  sync(opts: { force?: boolean } = {}): Promise<void> {
    return this.#serial(() => this.#syncNow(opts.force ?? false));
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    const run = this.#syncing.then(fn, fn);
    this.#syncing = run.catch(() => {});
    return run;
  }

  async #stamp(): Promise<string> {
    const root = this.#d.registry.root;
    const parts = await Promise.all(['sites', 'workstations'].map((d) => stat(`${root}/${d}`).then((s) => `${s.mtimeMs}:${s.size}`, () => '-')));
    return parts.join('|');
  }

  async #syncNow(force: boolean): Promise<void> {
    const now = this.#d.clock.now();
    const stamp = await this.#stamp();
    if (force || stamp !== this.#stamps || now - this.#lastFullReadAt >= 10_000) {
      this.#sites = await this.#d.registry.listSites();
      this.#workstations = await this.#d.registry.listWorkstations();
      this.#directory = new TunnelDirectory(this.#sites, this.#workstations, this.#poolNetworks());
      this.#stamps = stamp;
      this.#lastFullReadAt = now;
    }
    const desired = desiredPeers(this.#sites, this.#workstations).map((p) => {
      const held = p.owner.startsWith('site:') ? this.#held.get(p.owner.slice(5)) : undefined;
      return held ? { ...p, publicKey: held } : p;
    });
    const status = await this.#wg.status(this.interfaceName);
    const diff = diffPeers(desired, status.peers);
    for (const key of diff.remove) {
      await this.#wg.removePeer(this.interfaceName, key);
      this.#d.logger.info({ peer: `${key.slice(0, 8)}…` }, 'tunnel: peer removed');
    }
    for (const p of diff.set) {
      await this.#setPeer(p);
      this.#d.logger.info({ owner: p.owner, allowedIps: p.allowedIps }, 'tunnel: peer set');
    }
    if (this.#d.onObserved) {
      const byKey = new Map(status.peers.map((p) => [p.publicKey, p]));
      const observed = new Map<string, WgPeerStatus | undefined>();
      for (const s of this.#sites) if (s.agentId && !s.revokedAt && s.publicKey) observed.set(s.agentId, byKey.get(this.#held.get(s.id) ?? s.publicKey));
      this.#d.onObserved(observed);
    }
  }

  async #setPeer(p: DesiredPeer): Promise<void> {
    await this.#wg.setPeer(this.interfaceName, {
      publicKey: p.publicKey,
      allowedIps: p.allowedIps,
      ...(p.presharedKey ? { presharedKey: p.presharedKey } : {}),
    });
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#d.clock.setTimeout(() => {
      this.sync()
        .catch((err: Error) => this.#d.logger.error({ err: err.message }, 'tunnel: could not apply the registry to the interface (retrying)'))
        .finally(() => this.#schedule());
    }, this.#d.options.syncMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#d.clock.clearTimeout(this.#timer);
    await this.#syncing;
  }
}
