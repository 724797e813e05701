/**
 * The hub's tunnel in the composition root (`relais hub --wg-interface …`): flags → options,
 * then two phases around the API's `listen`:
 *   1. `openHubTunnel` — identity, pool, interface (before listening: the API may bind to the
 *      hub's tunnel address);
 *   2. `publishHubTunnel` — firewall, hub.json, peers, watch loop, and the HTTPS enrolment
 *      listener; returns what to print and how to stop.
 * Off by default: without `--wg-interface` none of this runs and the hub serves as before.
 */
import { isIP } from 'node:net';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { formatPin } from '../../lib/cert-pin.ts';
import { execFileRunner } from '../../provisioning/wireguard/command-runner.ts';
import { isCidr, isEndpoint } from '../../provisioning/wireguard/wg.ts';
import { TunnelRegistry } from '../../provisioning/enrolment/registry.ts';
import type { IdentityStore } from '../../provisioning/identity-store.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { FleetState } from '../fleet/fleet-state.ts';
import { HubTunnel, DEFAULT_TUNNEL_OPTIONS, type HubTunnelOptions } from './hub-tunnel.ts';
import { buildEnrolServer } from './enrol-server.ts';

export interface TunnelCliOptions {
  wgInterface?: string;
  wgPublicHost?: string;
  wgListenPort?: string;
  wgIpv4?: string;
  wgIpv6?: string;
  wgEndpoint?: string;
  wgMtu?: string;
  wgImplementation?: string;
  wgFirewall?: boolean;
  wgSyncMs?: string;
  enrolPort?: string;
  enrolHost?: string;
}

export class TunnelOptionError extends Error {}

function port(v: string | undefined, fallback: number, flag: string): number {
  const n = v === undefined ? fallback : Number(v);
  if (!(Number.isInteger(n) && n > 0 && n < 65536)) throw new TunnelOptionError(`${flag} must be 1..65535`);
  return n;
}

/** Undefined when the tunnel is off (no --wg-interface). */
export function tunnelOptionsFromCli(o: TunnelCliOptions): (HubTunnelOptions & { enrolHost: string }) | undefined {
  if (!o.wgInterface) return undefined;
  if (!/^[A-Za-z0-9_=+.-]{1,15}$/.test(o.wgInterface)) throw new TunnelOptionError(`--wg-interface: invalid interface name "${o.wgInterface}"`);
  const publicHost = o.wgPublicHost?.trim();
  if (!publicHost) throw new TunnelOptionError('--wg-public-host is required with --wg-interface (the name or address sites dial)');
  if (!/^[A-Za-z0-9.:-]{1,253}$/.test(publicHost)) throw new TunnelOptionError(`--wg-public-host: invalid host "${publicHost}"`);
  const off = (v: string | undefined) => v === 'off' || v === 'none';
  const ipv4 = o.wgIpv4 === undefined ? DEFAULT_TUNNEL_OPTIONS.ipv4 : off(o.wgIpv4) ? null : o.wgIpv4;
  const ipv6 = o.wgIpv6 === undefined ? DEFAULT_TUNNEL_OPTIONS.ipv6 : off(o.wgIpv6) ? null : o.wgIpv6;
  if (ipv4 !== null && !isCidr(ipv4)) throw new TunnelOptionError(`--wg-ipv4: "${ipv4}" is not a network (e.g. 10.77.0.0/24)`);
  if (ipv6 !== null && ipv6 !== 'auto' && !isCidr(ipv6)) throw new TunnelOptionError(`--wg-ipv6: "${ipv6}" is not a ULA prefix, auto or off`);
  if (ipv4 === null && ipv6 === null) throw new TunnelOptionError('--wg-ipv4 and --wg-ipv6 cannot both be off');
  if (o.wgEndpoint !== undefined && !isEndpoint(o.wgEndpoint)) throw new TunnelOptionError(`--wg-endpoint: "${o.wgEndpoint}" is not host:port`);
  const impl = o.wgImplementation ?? DEFAULT_TUNNEL_OPTIONS.implementation;
  if (impl !== 'auto' && impl !== 'kernel' && impl !== 'userspace') throw new TunnelOptionError('--wg-implementation: auto, kernel or userspace');
  const mtu = o.wgMtu === undefined ? DEFAULT_TUNNEL_OPTIONS.mtu : Number(o.wgMtu);
  if (!(Number.isInteger(mtu) && mtu >= 1280 && mtu <= 65535)) throw new TunnelOptionError('--wg-mtu must be 1280..65535');
  const syncMs = o.wgSyncMs === undefined ? DEFAULT_TUNNEL_OPTIONS.syncMs : Number(o.wgSyncMs);
  if (!(Number.isFinite(syncMs) && syncMs >= 50 && syncMs <= 60_000)) throw new TunnelOptionError('--wg-sync-ms must be 50..60000');
  const enrolHost = o.enrolHost ?? '0.0.0.0';
  if (!isIP(enrolHost)) throw new TunnelOptionError(`--enrol-host: "${enrolHost}" is not an IP address`);
  return {
    interfaceName: o.wgInterface,
    listenPort: port(o.wgListenPort, DEFAULT_TUNNEL_OPTIONS.listenPort, '--wg-listen-port'),
    ipv4,
    ipv6,
    publicHost,
    ...(o.wgEndpoint ? { endpoint: o.wgEndpoint } : {}),
    enrolPort: port(o.enrolPort, DEFAULT_TUNNEL_OPTIONS.enrolPort, '--enrol-port'),
    enrolHost,
    mtu,
    implementation: impl,
    firewall: o.wgFirewall !== false,
    syncMs,
  };
}

export interface OpenedTunnel {
  tunnel: HubTunnel;
  registry: TunnelRegistry;
  options: HubTunnelOptions & { enrolHost: string };
}

export async function openHubTunnel(
  dataDir: string,
  options: HubTunnelOptions & { enrolHost: string },
  deps: { clock: Clock; logger: Logger; identities: IdentityStore; fleet: () => FleetState | undefined },
): Promise<OpenedTunnel> {
  const registry = new TunnelRegistry(dataDir, { clock: deps.clock, identities: deps.identities });
  const tunnel = await HubTunnel.open({
    registry,
    runner: execFileRunner(),
    clock: deps.clock,
    logger: deps.logger,
    options,
    onObserved: (observed) => deps.fleet()?.tunnelObserved(observed),
  });
  return { tunnel, registry, options };
}

export interface PublishedTunnel {
  /** Lines for stdout. */
  banner: string[];
  close(): Promise<void>;
}

export async function publishHubTunnel(
  opened: OpenedTunnel,
  apiPort: number,
  deps: { clock: Clock; logger: Logger; identities: IdentityStore; audit: AuditLog; fleet: FleetState },
): Promise<PublishedTunnel> {
  const { tunnel, registry, options } = opened;
  const info = await tunnel.publish(apiPort);
  const enrol = await buildEnrolServer({
    clock: deps.clock,
    logger: deps.logger,
    registry,
    identities: deps.identities,
    tunnel,
    audit: deps.audit,
    tls: { key: tunnel.identity.tlsKeyPem, cert: tunnel.identity.tlsCertPem },
    onClockReport: (agentId, name, offsetMs) => deps.fleet.clockReport(agentId, name, offsetMs),
  });
  await enrol.listen({ host: options.enrolHost, port: options.enrolPort });
  deps.logger.info({ interface: info.interface, endpoint: info.endpoint, enrolUrl: info.enrolUrl, apiUrl: info.apiUrl }, 'tunnel ready');
  return {
    banner: [
      `Relais tunnel: ${info.interface} ${[info.hubAddresses.ipv4, info.hubAddresses.ipv6].filter(Boolean).join(' ')} (WireGuard ${info.endpoint}, public key ${info.publicKey})`,
      `Relais enrolment: ${info.enrolUrl} (certificate SHA-256 ${formatPin(info.certSha256)})`,
    ],
    async close() {
      await enrol.close();
      await tunnel.stop();
    },
  };
}
