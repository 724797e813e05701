/**
 * The project's typed binding over `wg` (wireguard-tools): configure an interface and its peers
 * live, read their state. Works the same with kernel WireGuard and wireguard-go (wg finds the
 * userspace control socket by interface name), inside a namespace when given an `inNetns` runner.
 * Contract: secrets (private and preshared keys) reach `wg` through a file of mode 0600 in a
 * fresh private directory (0700) that is removed as soon as `wg` exits, never through arguments
 * (`/dev/stdin` does not work: Node's stdio pipes are sockets, which wg cannot fopen); every input
 * is checked before a command runs; `setPeer` adds or updates one peer
 * without touching the others; `removePeer` removes one; `status` never exposes secrets.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandRunner } from './command-runner.ts';
import { isWireGuardKey } from './keys.ts';
import { parseWgDump, type WgPeerStatus, type WgStatus } from './dump.ts';

export interface PeerSpec {
  publicKey: string;
  /** Replaces the peer's allowed IPs (CIDR list). */
  allowedIps: string[];
  presharedKey?: string;
  /** host:port (IPv6 as [addr]:port). */
  endpoint?: string;
  /** Seconds; 0 turns it off. */
  persistentKeepalive?: number;
}

/** Placeholder in an argument list for the path of the secret file. */
const SECRET_PATH = '\u0000secret';

const IFNAME_RE = /^[A-Za-z0-9_=+.-]{1,15}$/;

export function assertInterfaceName(name: string): void {
  if (!IFNAME_RE.test(name)) throw new TypeError(`invalid interface name "${name}"`);
}

export function isCidr(s: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return false;
  const bits = Number(m[2]);
  if (isIPv4(m[1]!)) return bits <= 32;
  if (isIPv6(m[1]!)) return bits <= 128;
  return false;
}

export function isEndpoint(s: string): boolean {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(s);
  if (!m || Number(m[3]) > 65535) return false;
  return m[1] ? isIPv6(m[1]) : true;
}

/** Throws a TypeError naming the first invalid field of a peer. */
export function checkPeer(p: PeerSpec): void {
  if (!isWireGuardKey(p.publicKey)) throw new TypeError('peer public key is not a WireGuard key');
  if (p.presharedKey !== undefined && !isWireGuardKey(p.presharedKey)) throw new TypeError('preshared key is not a WireGuard key');
  for (const a of p.allowedIps) if (!isCidr(a)) throw new TypeError(`allowed IP "${a}" is not a CIDR`);
  if (p.endpoint !== undefined && !isEndpoint(p.endpoint)) throw new TypeError(`endpoint "${p.endpoint}" is not host:port`);
  const k = p.persistentKeepalive;
  if (k !== undefined && !(Number.isInteger(k) && k >= 0 && k <= 65535)) throw new TypeError('persistent keepalive must be 0..65535 s');
}

export interface WireGuardOptions {
  wgPath?: string;
  /** Where secret files are made for an instant (prefer a tmpfs); default the OS temp dir. */
  secretDir?: string;
}

export class WireGuard {
  readonly #run: CommandRunner;
  readonly #wg: string;
  readonly #secretDir: string;

  /** `runner` decides where `wg` runs (e.g. `inNetns(ns, execFileRunner())`). */
  constructor(runner: CommandRunner, opts: WireGuardOptions = {}) {
    this.#run = runner;
    this.#wg = opts.wgPath ?? 'wg';
    this.#secretDir = opts.secretDir ?? tmpdir();
  }

  /** Runs `wg` with `secret` in a 0600 file whose path replaces SECRET_PATH in `args`. */
  async #withSecret(secret: string, args: string[]): Promise<void> {
    const dir = await mkdtemp(join(this.#secretDir, 'relais-wg-'));
    try {
      const path = join(dir, 'key');
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.writeFile(`${secret}\n`);
      } finally {
        await fh.close();
      }
      await this.#run.run(this.#wg, args.map((a) => (a === SECRET_PATH ? path : a)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async setPrivateKey(iface: string, privateKey: string): Promise<void> {
    assertInterfaceName(iface);
    if (!isWireGuardKey(privateKey)) throw new TypeError('private key is not a WireGuard key');
    await this.#withSecret(privateKey, ['set', iface, 'private-key', SECRET_PATH]);
  }

  async setListenPort(iface: string, port: number): Promise<void> {
    assertInterfaceName(iface);
    if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new TypeError('listen port must be 0..65535');
    await this.#run.run(this.#wg, ['set', iface, 'listen-port', String(port)]);
  }

  /** Adds the peer, or updates it if present; other peers are not touched. */
  async setPeer(iface: string, peer: PeerSpec): Promise<void> {
    assertInterfaceName(iface);
    checkPeer(peer);
    const args = ['set', iface, 'peer', peer.publicKey];
    if (peer.presharedKey !== undefined) args.push('preshared-key', SECRET_PATH);
    if (peer.endpoint !== undefined) args.push('endpoint', peer.endpoint);
    if (peer.persistentKeepalive !== undefined) args.push('persistent-keepalive', peer.persistentKeepalive === 0 ? 'off' : String(peer.persistentKeepalive));
    args.push('allowed-ips', peer.allowedIps.join(','));
    if (peer.presharedKey !== undefined) await this.#withSecret(peer.presharedKey, args);
    else await this.#run.run(this.#wg, args);
  }

  /** Removes one peer (its sessions end at once); absent peers are not an error. */
  async removePeer(iface: string, publicKey: string): Promise<void> {
    assertInterfaceName(iface);
    if (!isWireGuardKey(publicKey)) throw new TypeError('peer public key is not a WireGuard key');
    await this.#run.run(this.#wg, ['set', iface, 'peer', publicKey, 'remove']);
  }

  /** The interface's public state and each peer's handshake, traffic and endpoint. */
  async status(iface: string): Promise<WgStatus> {
    assertInterfaceName(iface);
    const { stdout } = await this.#run.run(this.#wg, ['show', iface, 'dump']);
    return parseWgDump(stdout);
  }

  async peer(iface: string, publicKey: string): Promise<WgPeerStatus | undefined> {
    return (await this.status(iface)).peers.find((p) => p.publicKey === publicKey);
  }
}
