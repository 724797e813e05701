/**
 * Rendering of WireGuard configuration files:
 * - `renderWgQuickConfig`: the wg-quick(8) INI an agent (or a radiologist's workstation) uses,
 *   with [Interface] Address/MTU/DNS;
 * - `renderWgConfig`: the wg(8) subset accepted by `wg setconf` / `wg syncconf` (no Address,
 *   MTU, DNS).
 * Contract: output is deterministic (golden-file tested), ends with a newline, and every value is
 * validated first (keys, CIDRs, endpoints, no control characters), so no input can inject a line.
 * The result contains the private key: write it with mode 0600.
 */
import { isIP } from 'node:net';
import { isWireGuardKey } from './keys.ts';
import { checkPeer, isCidr } from './wg.ts';

export interface WgQuickInterface {
  privateKey: string;
  /** Tunnel addresses with prefix, e.g. 10.99.0.2/32. */
  addresses: string[];
  listenPort?: number;
  mtu?: number;
  dns?: string[];
}

export interface WgQuickPeer {
  /** One-line comment above the peer (e.g. "hub: Relais Guadeloupe"). */
  comment?: string;
  publicKey: string;
  presharedKey?: string;
  allowedIps: string[];
  endpoint?: string;
  persistentKeepalive?: number;
}

export interface WgQuickConfig {
  /** One-line comment at the top of the file. */
  comment?: string;
  interface: WgQuickInterface;
  peers: WgQuickPeer[];
}

function oneLine(s: string, what: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) throw new TypeError(`${what} must be one line without control characters`);
  return s;
}

function check(cfg: WgQuickConfig): void {
  const i = cfg.interface;
  if (!isWireGuardKey(i.privateKey)) throw new TypeError('interface private key is not a WireGuard key');
  for (const a of i.addresses) if (!isCidr(a)) throw new TypeError(`address "${a}" is not a CIDR`);
  if (i.listenPort !== undefined && !(Number.isInteger(i.listenPort) && i.listenPort >= 0 && i.listenPort <= 65535)) throw new TypeError('bad listen port');
  if (i.mtu !== undefined && !(Number.isInteger(i.mtu) && i.mtu >= 1280 && i.mtu <= 65535)) throw new TypeError('bad MTU');
  for (const d of i.dns ?? []) if (!isIP(d)) throw new TypeError(`DNS "${d}" is not an IP address`);
  if (cfg.comment !== undefined) oneLine(cfg.comment, 'comment');
  for (const p of cfg.peers) {
    checkPeer(p);
    if (p.comment !== undefined) oneLine(p.comment, 'peer comment');
  }
}

function render(cfg: WgQuickConfig, quick: boolean): string {
  check(cfg);
  const out: string[] = [];
  if (cfg.comment) out.push(`# ${cfg.comment}`);
  const i = cfg.interface;
  out.push('[Interface]', `PrivateKey = ${i.privateKey}`);
  if (quick && i.addresses.length) out.push(`Address = ${i.addresses.join(', ')}`);
  if (i.listenPort !== undefined) out.push(`ListenPort = ${i.listenPort}`);
  if (quick && i.mtu !== undefined) out.push(`MTU = ${i.mtu}`);
  if (quick && i.dns?.length) out.push(`DNS = ${i.dns.join(', ')}`);
  for (const p of cfg.peers) {
    out.push('');
    if (p.comment) out.push(`# ${p.comment}`);
    out.push('[Peer]', `PublicKey = ${p.publicKey}`);
    if (p.presharedKey !== undefined) out.push(`PresharedKey = ${p.presharedKey}`);
    out.push(`AllowedIPs = ${p.allowedIps.join(', ')}`);
    if (p.endpoint !== undefined) out.push(`Endpoint = ${p.endpoint}`);
    if (p.persistentKeepalive !== undefined) out.push(`PersistentKeepalive = ${p.persistentKeepalive}`);
  }
  return `${out.join('\n')}\n`;
}

export function renderWgQuickConfig(cfg: WgQuickConfig): string {
  return render(cfg, true);
}

export function renderWgConfig(cfg: WgQuickConfig): string {
  return render(cfg, false);
}
