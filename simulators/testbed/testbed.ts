/**
 * The network test bed: a hub namespace and one or more site namespaces joined by veth pairs,
 * a wireguard-go interface in each, and the link relay (simulators/link) in the hub namespace
 * between them. Each site's WireGuard endpoint is the relay; nftables rules drop any other
 * underlay traffic, so everything between a site and the hub crosses the tunnel and the relay.
 *
 *   site<i> ns: N-ws<i> (tunnel 10.99.0.x) ─ N-vs<i> 192.0.2.(4i+1)
 *        │ veth
 *   hub ns:     N-vh<i> 192.0.2.(4i+2) → relay :51900 → 127.0.0.1:51820 N-wh (tunnel 10.99.0.1)
 *
 * Contract: `startTestbed` resolves once every site has completed a WireGuard handshake through
 * the relay, or tears down whatever it built and rejects. `stop()` / `stopTestbed(name)` leave no
 * namespace, interface, control socket, process or state directory behind, and work from any
 * process (the state is on disk). Private keys are generated here and given to `wg` on stdin.
 */
import { mkdir, rm, writeFile, readFile, chmod, access, open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { execFileRunner, inNetns, type CommandResult, type CommandRunner, type RunOptions } from '../../provisioning/wireguard/command-runner.ts';
import { WireGuard } from '../../provisioning/wireguard/wg.ts';
import type { WgStatus } from '../../provisioning/wireguard/dump.ts';
import { createInterface } from '../../provisioning/wireguard/interface.ts';
import { generateKeyPair, generatePresharedKey } from '../../provisioning/wireguard/keys.ts';
import { AddressPool, generateUlaPrefix } from '../../provisioning/wireguard/address-pool.ts';
import { renderWgQuickConfig } from '../../provisioning/wireguard/config-render.ts';
import { createSystemClock } from '../../lib/clock.ts';
import { RelayControl } from '../link/control-client.ts';
import { namedProfile, resolveProfile, type LinkProfileSpec } from '../link/profiles.ts';
import { randomSeed } from '../link/prng.ts';
import { testbedNames, type TestbedNames } from './names.ts';
import { hubRuleset, siteRuleset } from './firewall.ts';
import { addNamespace, deleteNamespace, isAlive, listNamespaces, spawnInNamespace, stopProcesses } from './netns.ts';
import { allowCongestionControl, setNamespaceCongestionControl, type CongestionControl } from './congestion.ts';
import { pollUntil } from './poll.ts';
import { DEFAULT_STATE_ROOT, readState, writeState, type SiteState, type TestbedState } from './state.ts';

const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const RELAIS_BIN = join(REPO_ROOT, 'bin', 'relais.js');

export const TUNNEL_IPV4 = '10.99.0.0/24';
export const WIREGUARD_PORT = 51820;
export const RELAY_PORT = 51900;
export const TUNNEL_MTU = 1420;

export interface StartOptions {
  /** 1–9 characters [a-z0-9]; prefixes every namespace and interface. */
  name: string;
  /** A named profile (simulators/link/profiles.ts) or a full spec. */
  profile: string | LinkProfileSpec;
  /** Seed of the relay's random streams (default: random, recorded in the state). */
  seed?: number;
  /** Number of sites at start (default 1); more can be added live with `addSite`. */
  sites?: number;
  /** Default TCP congestion control in every namespace (default: the kernel's). */
  congestionControl?: CongestionControl;
  /** Where state directories live (default /run/relais-testbed). */
  stateRoot?: string;
  /** Wait for each site's first handshake before resolving (default true). */
  waitForHandshake?: boolean;
  /** The relay's UDP port in the hub namespace (default 51900). */
  relayPort?: number;
  runner?: CommandRunner;
}

export type Side = 'hub' | 'site' | number;

export interface Site extends SiteState {}

export interface Testbed {
  readonly name: string;
  readonly stateDir: string;
  readonly hubNs: string;
  /** The hub's tunnel address (IPv4); `hubAddr6` its ULA IPv6 one. */
  readonly hubAddr: string;
  readonly hubAddr6: string;
  /** Site 0's namespace and tunnel addresses. */
  readonly siteNs: string;
  readonly siteAddr: string;
  readonly siteAddr6: string;
  readonly sites: readonly Site[];
  readonly hubInterface: string;
  readonly hubPublicKey: string;
  readonly relay: RelayControl;
  readonly relayPid: number;
  readonly profile: string;
  readonly seed: number;
  /** Runs a program in a namespace; rejects on a non-zero exit (CommandError). */
  exec(side: Side, file: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult>;
  /** Starts a long-running program in a namespace; the caller owns the child. */
  spawn(side: Side, file: string, args: readonly string[], opts?: SpawnOptions): ChildProcess;
  /** The WireGuard binding, running in that side's namespace. */
  wg(side: Side): WireGuard;
  hubStatus(): Promise<WgStatus>;
  namespaceOf(side: Side): string;
  /** Default congestion control for new TCP sockets in every namespace of the bed. */
  setCongestionControl(cc: CongestionControl): Promise<void>;
  /** Forgets cached TCP metrics in every namespace (between benchmark runs). */
  flushTcpMetrics(): Promise<void>;
  /** Adds a site live: new namespace and tunnel, a new peer on the hub (others undisturbed). */
  addSite(opts?: { waitForHandshake?: boolean }): Promise<Site>;
  /** Removes a site live: its peer leaves the hub, its namespace is deleted. */
  removeSite(index: number): Promise<void>;
  stop(): Promise<void>;
}

/** JSON summary printed by `relais sim testbed up`. */
export function describeTestbed(bed: Testbed): Record<string, unknown> {
  return {
    name: bed.name,
    profile: bed.profile,
    seed: bed.seed,
    stateDir: bed.stateDir,
    hub: { ns: bed.hubNs, interface: bed.hubInterface, ipv4: bed.hubAddr, ipv6: bed.hubAddr6, publicKey: bed.hubPublicKey },
    sites: bed.sites.map((s) => ({ index: s.index, ns: s.ns, interface: s.wg, ipv4: s.tunnelIpv4, ipv6: s.tunnelIpv6, underlay: s.underlaySite, publicKey: s.publicKey })),
    relay: { pid: bed.relayPid, control: 'path' in bed.relay.address ? bed.relay.address.path : bed.relay.address },
  };
}

function stateDirOf(name: string, stateRoot = DEFAULT_STATE_ROOT): string {
  return join(stateRoot, name);
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(() => true, () => false);
}

class RunningTestbed implements Testbed {
  readonly #state: TestbedState;
  readonly #run: CommandRunner;
  readonly #names: TestbedNames;
  readonly relay: RelayControl;

  constructor(state: TestbedState, run: CommandRunner) {
    this.#state = state;
    this.#run = run;
    this.#names = testbedNames(state.name);
    this.relay = new RelayControl({ path: state.relay.control });
  }

  get state(): TestbedState {
    return this.#state;
  }
  get name() { return this.#state.name; }
  get stateDir() { return this.#state.stateDir; }
  get hubNs() { return this.#state.hub.ns; }
  get hubAddr() { return this.#state.hub.tunnelIpv4; }
  get hubAddr6() { return this.#state.hub.tunnelIpv6; }
  get hubInterface() { return this.#state.hub.wg; }
  get hubPublicKey() { return this.#state.hub.publicKey; }
  get relayPid() { return this.#state.relay.pid; }
  get profile() { return this.#state.profile; }
  get seed() { return this.#state.seed; }
  get sites(): readonly Site[] { return this.#state.sites; }
  get siteNs() { return this.#site0().ns; }
  get siteAddr() { return this.#site0().tunnelIpv4; }
  get siteAddr6() { return this.#site0().tunnelIpv6; }

  #site0(): Site {
    const s = this.#state.sites[0];
    if (!s) throw new Error(`test bed ${this.name} has no site 0`);
    return s;
  }

  namespaceOf(side: Side): string {
    if (side === 'hub') return this.hubNs;
    const index = side === 'site' ? 0 : side;
    const s = this.#state.sites.find((x) => x.index === index);
    if (!s) throw new Error(`test bed ${this.name} has no site ${index}`);
    return s.ns;
  }

  exec(side: Side, file: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult> {
    return inNetns(this.namespaceOf(side), this.#run).run(file, args, opts);
  }

  spawn(side: Side, file: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    return spawnInNamespace(this.namespaceOf(side), file, args, opts);
  }

  wg(side: Side): WireGuard {
    return wgIn(this.#run, this.namespaceOf(side), this.stateDir);
  }

  hubStatus(): Promise<WgStatus> {
    return this.wg('hub').status(this.hubInterface);
  }

  async setCongestionControl(cc: CongestionControl): Promise<void> {
    await allowCongestionControl(cc);
    for (const ns of this.#namespaces()) await setNamespaceCongestionControl(inNetns(ns, this.#run), cc);
    this.#state.congestionControl = cc;
    await writeState(this.#state);
  }

  async flushTcpMetrics(): Promise<void> {
    for (const ns of this.#namespaces()) await this.#run.run('ip', ['-n', ns, 'tcp_metrics', 'flush', 'all']).catch(() => {});
  }

  async addSite(opts: { waitForHandshake?: boolean } = {}): Promise<Site> {
    const used = new Set(this.#state.sites.map((s) => s.index));
    let index = 0;
    while (used.has(index)) index++;
    const site = await buildSite(this.#run, this.#state, index);
    this.#state.sites.push(site);
    await writeState(this.#state);
    if (opts.waitForHandshake ?? true) await waitForHandshake(this, site);
    return site;
  }

  async removeSite(index: number): Promise<void> {
    const site = this.#state.sites.find((s) => s.index === index);
    if (!site) throw new Error(`test bed ${this.name} has no site ${index}`);
    await this.wg('hub').removePeer(this.hubInterface, site.publicKey);
    await deleteNamespace(this.#run, site.ns);
    const pool = await AddressPool.open(join(this.stateDir, 'pool.json'), await poolConfig(this.stateDir), createSystemClock());
    await pool.release(`site${index}`);
    this.#state.sites = this.#state.sites.filter((s) => s !== site);
    await writeState(this.#state);
  }

  stop(): Promise<void> {
    return teardown(this.#run, this.#names, this.#state.stateDir, this.#state.relay.pid);
  }

  #namespaces(): string[] {
    return [this.hubNs, ...this.#state.sites.map((s) => s.ns)];
  }
}

/** The wg binding in a namespace; its fleeting secret files go to the bed's 0700 state dir (tmpfs under /run). */
function wgIn(run: CommandRunner, ns: string, stateDir: string): WireGuard {
  return new WireGuard(inNetns(ns, run), { secretDir: stateDir });
}

async function applyRules(run: CommandRunner, ns: string, ruleset: string): Promise<void> {
  await inNetns(ns, run).run('nft', ['-f', '-'], { stdin: ruleset });
}

async function prepareNamespace(run: CommandRunner, ns: string, cc: CongestionControl | null): Promise<void> {
  await addNamespace(run, ns);
  const inNs = inNetns(ns, run);
  // Benchmarks compare runs: no TCP metrics carried from one connection to the next.
  await inNs.run('sysctl', ['-q', '-w', 'net.ipv4.tcp_no_metrics_save=1']);
  if (cc) await setNamespaceCongestionControl(inNs, cc);
}

/** Creates site `index`: namespace, veth to the hub, tunnel interface, peers on both sides. */
async function buildSite(run: CommandRunner, state: TestbedState, index: number): Promise<Site> {
  const names = testbedNames(state.name);
  const n = names.site(index);
  const pool = await AddressPool.open(join(state.stateDir, 'pool.json'), await poolConfig(state.stateDir), createSystemClock());
  const addr = await pool.allocate(`site${index}`);
  await prepareNamespace(run, n.ns, (state.congestionControl as CongestionControl | null) ?? null);
  await run.run('ip', ['link', 'add', n.vethSite, 'netns', n.ns, 'type', 'veth', 'peer', 'name', n.vethHub, 'netns', state.hub.ns]);
  await run.run('ip', ['-n', n.ns, 'address', 'add', `${n.underlaySite}/30`, 'dev', n.vethSite]);
  await run.run('ip', ['-n', n.ns, 'link', 'set', n.vethSite, 'up']);
  await run.run('ip', ['-n', state.hub.ns, 'address', 'add', `${n.underlayHub}/30`, 'dev', n.vethHub]);
  await run.run('ip', ['-n', state.hub.ns, 'link', 'set', n.vethHub, 'up']);
  await applyRules(run, n.ns, siteRuleset({ table: names.nftTable, vethPattern: `${state.name}-vs*`, relayPort: state.relay.port }));

  const keys = generateKeyPair();
  const psk = generatePresharedKey();
  const siteRun = inNetns(n.ns, run);
  const site4 = addr.ipv4!;
  const site6 = addr.ipv6!;
  await createInterface(siteRun, {
    name: n.wg,
    addresses: [`${site4}/32`, `${site6}/128`],
    routes: [`${state.hub.tunnelIpv4}/32`, `${state.hub.tunnelIpv6}/128`],
    mtu: state.mtu,
    implementation: 'userspace',
  });
  const siteWg = wgIn(run, n.ns, state.stateDir);
  await siteWg.setPrivateKey(n.wg, keys.privateKey);
  const hubPeer = {
    publicKey: state.hub.publicKey,
    presharedKey: psk,
    allowedIps: [`${state.hub.tunnelIpv4}/32`, `${state.hub.tunnelIpv6}/128`],
    endpoint: `${n.underlayHub}:${state.relay.port}`,
    persistentKeepalive: 25,
  };
  await siteWg.setPeer(n.wg, hubPeer);
  await wgIn(run, state.hub.ns, state.stateDir).setPeer(state.hub.wg, {
    publicKey: keys.publicKey,
    presharedKey: psk,
    allowedIps: [`${site4}/32`, `${site6}/128`],
  });
  // The same tunnel as a wg-quick file, as an agent box would hold it (mode 0600).
  const conf = renderWgQuickConfig({
    comment: `Relais test bed ${state.name}, site ${index} (generated)`,
    interface: { privateKey: keys.privateKey, addresses: [`${site4}/32`, `${site6}/128`], mtu: state.mtu },
    peers: [{ comment: 'hub (through the link relay)', ...hubPeer }],
  });
  const confPath = join(state.stateDir, `site${index}.conf`);
  const fh = await open(confPath, 'w', 0o600);
  try {
    await fh.writeFile(conf);
  } finally {
    await fh.close();
  }
  return { ...n, tunnelIpv4: site4, tunnelIpv6: site6, publicKey: keys.publicKey };
}

async function poolConfig(stateDir: string): Promise<{ ipv4: string; ipv6: string }> {
  const file = join(stateDir, 'pool-config.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as { ipv4: string; ipv6: string };
  } catch {
    const cfg = { ipv4: TUNNEL_IPV4, ipv6: generateUlaPrefix() };
    await writeFile(file, JSON.stringify(cfg));
    return cfg;
  }
}

async function waitForHandshake(bed: Testbed, site: Site): Promise<void> {
  // A ping from the site makes wireguard-go initiate at once (keepalive alone may wait).
  void bed.exec(site.index, 'ping', ['-c', '1', '-W', '1', bed.hubAddr]).catch(() => {});
  await pollUntil(
    async () => (await bed.hubStatus()).peers.find((p) => p.publicKey === site.publicKey)?.latestHandshakeMs,
    `WireGuard handshake of ${site.ns} with the hub through the relay`,
    { timeoutMs: 20_000, intervalMs: 100 },
  );
}

async function startRelay(names: TestbedNames, stateDir: string, profile: string | LinkProfileSpec, seed: number, port: number): Promise<{ pid: number; control: string; log: string; profileName: string }> {
  const control = join(stateDir, 'link.sock');
  const log = join(stateDir, 'link.log');
  const args = [RELAIS_BIN, 'sim', 'link', '--listen', `0.0.0.0:${port}`, '--forward', `127.0.0.1:${WIREGUARD_PORT}`, '--seed', String(seed), '--control', control];
  let profileName: string;
  if (typeof profile === 'string') {
    profileName = namedProfile(profile).name;
    args.push('--profile', profile);
  } else {
    profileName = resolveProfile(profile).name;
    const file = join(stateDir, 'profile.json');
    await writeFile(file, JSON.stringify(profile));
    args.push('--profile-file', file);
  }
  const fd = await open(log, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawnInNamespace(names.hubNs, process.execPath, args, { cwd: REPO_ROOT, detached: true, stdio: ['ignore', fd.fd, fd.fd] });
  } finally {
    await fd.close();
  }
  child.unref();
  let onExit: (() => void) | undefined;
  const exited = new Promise<never>((_, reject) => {
    onExit = () => void readFile(log, 'utf8').catch(() => '').then((text) => reject(new Error(`relay exited: ${text.slice(-2000)}`)));
    child.once('exit', onExit);
    child.once('error', (err) => reject(err));
  });
  exited.catch(() => {});
  const relay = new RelayControl({ path: control });
  try {
    await Promise.race([pollUntil(() => relay.stats(), 'the link relay control socket', { timeoutMs: 20_000, intervalMs: 50 }), exited]);
  } catch (err) {
    if (child.pid) await stopProcesses([child.pid]);
    throw new Error(`the link relay did not start: ${(err as Error).message}`);
  } finally {
    if (onExit) child.off('exit', onExit);
  }
  return { pid: child.pid!, control, log, profileName };
}

/** Builds a test bed; on any failure removes what was built and rethrows. */
export async function startTestbed(o: StartOptions): Promise<Testbed> {
  const run = o.runner ?? execFileRunner();
  const names = testbedNames(o.name);
  const stateDir = stateDirOf(o.name, o.stateRoot);
  if (await exists(stateDir)) throw new Error(`test bed "${o.name}" already exists (${stateDir}); run \`relais sim testbed down --name ${o.name}\` first`);
  const leftovers = (await listNamespaces(run)).filter((ns) => names.ownsNamespace(ns));
  if (leftovers.length) throw new Error(`namespaces of test bed "${o.name}" already exist (${leftovers.join(', ')}); run \`relais sim testbed down --name ${o.name}\``);
  const seed = o.seed ?? randomSeed();
  const relayPort = o.relayPort ?? RELAY_PORT;
  if (!(Number.isInteger(relayPort) && relayPort > 0 && relayPort < 65536)) throw new RangeError('relayPort must be 1..65535');
  const cc = o.congestionControl ?? null;
  let relayPid: number | undefined;
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await chmod(stateDir, 0o700);
    if (cc) await allowCongestionControl(cc);
    await prepareNamespace(run, names.hubNs, cc);
    await applyRules(run, names.hubNs, hubRuleset({ table: names.nftTable, vethPattern: `${o.name}-vh*`, relayPort, wireguardPort: WIREGUARD_PORT }));

    const pool = await AddressPool.open(join(stateDir, 'pool.json'), await poolConfig(stateDir), createSystemClock());
    const hubAddr = pool.hub();
    const prefixes = pool.prefixes();
    const hubKeys = generateKeyPair();
    const hubRun = inNetns(names.hubNs, run);
    await createInterface(hubRun, {
      name: names.hubWg,
      addresses: [`${hubAddr.ipv4}/${prefixes.ipv4}`, `${hubAddr.ipv6}/${prefixes.ipv6}`],
      mtu: TUNNEL_MTU,
      implementation: 'userspace',
    });
    const hubWg = wgIn(run, names.hubNs, stateDir);
    await hubWg.setPrivateKey(names.hubWg, hubKeys.privateKey);
    await hubWg.setListenPort(names.hubWg, WIREGUARD_PORT);

    const relay = await startRelay(names, stateDir, o.profile, seed, relayPort);
    relayPid = relay.pid;
    const state: TestbedState = {
      version: 1,
      name: o.name,
      stateDir,
      createdAt: new Date().toISOString(),
      profile: relay.profileName,
      seed,
      mtu: TUNNEL_MTU,
      congestionControl: cc,
      relay: { pid: relay.pid, port: relayPort, control: relay.control, log: relay.log },
      hub: { ns: names.hubNs, wg: names.hubWg, tunnelIpv4: hubAddr.ipv4!, tunnelIpv6: hubAddr.ipv6!, publicKey: hubKeys.publicKey, listenPort: WIREGUARD_PORT },
      sites: [],
    };
    await writeState(state);
    const bed = new RunningTestbed(state, run);
    for (let i = 0; i < (o.sites ?? 1); i++) await bed.addSite({ waitForHandshake: false });
    if (o.waitForHandshake ?? true) for (const s of bed.sites) await waitForHandshake(bed, s);
    return bed;
  } catch (err) {
    await teardown(run, names, stateDir, relayPid).catch(() => {});
    throw err;
  }
}

/** Re-opens a running test bed from its state (another process started it). */
export async function openTestbed(name: string, opts: { stateRoot?: string; runner?: CommandRunner } = {}): Promise<Testbed> {
  const state = await readState(stateDirOf(name, opts.stateRoot));
  if (!state) throw new Error(`no test bed named "${name}" (nothing in ${stateDirOf(name, opts.stateRoot)})`);
  return new RunningTestbed(state, opts.runner ?? execFileRunner());
}

/** Stops a test bed by name, from its state if present, otherwise from its names alone. */
export async function stopTestbed(name: string, opts: { stateRoot?: string; runner?: CommandRunner } = {}): Promise<void> {
  const run = opts.runner ?? execFileRunner();
  const stateDir = stateDirOf(name, opts.stateRoot);
  const state = await readState(stateDir).catch(() => undefined);
  await teardown(run, testbedNames(name), stateDir, state?.relay.pid);
}

async function teardown(run: CommandRunner, names: TestbedNames, stateDir: string, relayPid: number | undefined): Promise<void> {
  const errors: unknown[] = [];
  if (relayPid && isAlive(relayPid)) await stopProcesses([relayPid]);
  const namespaces = (await listNamespaces(run).catch(() => [] as string[])).filter((ns) => names.ownsNamespace(ns));
  // Sites first, the hub last; deleting a namespace stops what still runs in it (wireguard-go,
  // sinks, agents) and removes its interfaces.
  namespaces.sort((a, b) => (a === names.hubNs ? 1 : 0) - (b === names.hubNs ? 1 : 0));
  for (const ns of namespaces) {
    try {
      await deleteNamespace(run, ns);
    } catch (err) {
      errors.push(err);
    }
  }
  await rm(stateDir, { recursive: true, force: true }).catch((err) => errors.push(err));
  if (errors.length) throw new AggregateError(errors, `test bed ${names.name}: teardown incomplete`);
}
