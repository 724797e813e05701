/**
 * The agent's side of the WireGuard tunnel (provisioning/wireguard binding; kernel WireGuard or
 * wireguard-go), from what enrolment stored in DATA/tunnel:
 * - `up()`: creates the interface (or reuses it, so a restart does not cut the tunnel), sets the
 *   box's private key (from its 0600 file, to `wg` through a 0600 file) and the hub as the only
 *   peer, allowed only the hub's own addresses;
 * - `state()`: the TunnelState of the heartbeat (latest handshake age, bytes each way, endpoint);
 * - `rotate(hub)`: the key rotation the hub asked for — a new key pair is made and kept as
 *   `private.key.next`, its public half sent through the tunnel; once the hub has answered, the
 *   interface switches to it and it becomes `private.key`. If the answer is lost, the new key is
 *   tried (a handshake within `confirmMs` proves the hub has it) and the old one restored if not;
 *   the spool is never touched;
 * - `watch()`: every `checkMs`: a tunnel without a handshake for 3 minutes (or none 90 s after
 *   coming up) raises RELAIS_AGENT_TUNNEL_DOWN and reports the box's clock to the hub over the
 *   pinned enrolment channel, which answers its time and resets the peer (WireGuard refuses
 *   handshakes whose timestamp is not newer than the last it saw: a box that booted with a wrong
 *   clock). A clock off by more than 2 minutes raises RELAIS_AGENT_CLOCK_SKEW with the offset and
 *   the recovery, in the log too. A pending key left by an interrupted rotation is tried here.
 */
import type { Clock, TimerHandle } from '../../lib/clock.ts';
import { sleep } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { TunnelState } from '../../protocol/heartbeat.ts';
import { ENROL_ROUTES, TunnelResetResponse, TunnelKeyRotationAck } from '../../protocol/enrolment.ts';
import { check } from '../../protocol/validate.ts';
import type { CommandRunner } from '../../provisioning/wireguard/command-runner.ts';
import { createInterface } from '../../provisioning/wireguard/interface.ts';
import { WireGuard } from '../../provisioning/wireguard/wg.ts';
import { generateKeyPair, publicKeyOf } from '../../provisioning/wireguard/keys.ts';
import type { AlertBook } from '../alerts.ts';
import type { HubClient } from '../uplink/hub-client.ts';
import { pinnedRequest, type PinnedRequest, type PinnedReply } from './pinned-https.ts';
import { commitNextKey, dropNextKey, readNextKey, readPrivateKey, writeNextKey, tunnelDir, type EnrolmentState } from './state.ts';

export const HANDSHAKE_STALE_MS = 180_000;
export const CLOCK_SKEW_ALERT_MS = 120_000;

export interface AgentTunnelDeps {
  dataDir: string;
  interfaceName: string;
  implementation: 'auto' | 'kernel' | 'userspace';
  enrolment: EnrolmentState;
  credential: string;
  runner: CommandRunner;
  clock: Clock;
  log: Logger;
  alerts: AlertBook;
  /** Pinned HTTPS to the enrolment listener (tests replace it). */
  request?: (r: PinnedRequest) => Promise<PinnedReply>;
  /** Watchdog period (default 30 s). */
  checkMs?: number;
  /** How long a switched key may take to handshake before it is judged unknown to the hub. */
  confirmMs?: number;
  /** Least time between two clock reports (default 2 min). */
  reportEveryMs?: number;
}

export class AgentTunnel {
  readonly #d: AgentTunnelDeps;
  readonly #wg: WireGuard;
  #upAt: number | undefined;
  #timer: TimerHandle | undefined;
  #stopped = false;
  #rotating: Promise<boolean> | undefined;
  #lastReportAt: number | undefined;
  #checking: Promise<void> | undefined;

  constructor(deps: AgentTunnelDeps) {
    this.#d = deps;
    this.#wg = new WireGuard(deps.runner, { secretDir: tunnelDir(deps.dataDir) });
  }

  get interfaceName(): string {
    return this.#d.interfaceName;
  }

  get #hubKey(): string {
    return this.#d.enrolment.tunnel.hub.publicKey;
  }

  async up(): Promise<void> {
    const { runner, interfaceName: name } = this.#d;
    const t = this.#d.enrolment.tunnel;
    const key = await readPrivateKey(this.#d.dataDir);
    if (!key) throw new Error(`no private key in ${tunnelDir(this.#d.dataDir)} (run relais agent enrol)`);
    const exists = await runner.run('ip', ['link', 'show', 'dev', name]).then(() => true, () => false);
    if (!exists) {
      await createInterface(runner, { name, addresses: t.addresses, mtu: t.mtu, routes: t.hub.allowedIps, implementation: this.#d.implementation });
    } else {
      for (const a of t.addresses) await this.#ignoreExists(['address', 'add', a, 'dev', name, ...(a.includes(':') ? ['nodad'] : [])], a);
      await runner.run('ip', ['link', 'set', 'dev', name, 'mtu', String(t.mtu), 'up']);
      for (const r of t.hub.allowedIps) await this.#ignoreExists(['route', 'add', r, 'dev', name], r);
    }
    await this.#wg.setPrivateKey(name, key);
    await this.#setHubPeer();
    this.#upAt = this.#d.clock.now();
    this.#d.log.info({ interface: name, addresses: t.addresses, endpoint: t.hub.endpoint, reused: exists }, 'tunnel: up');
  }

  async #ignoreExists(args: string[], what: string): Promise<void> {
    await this.#d.runner.run('ip', [what.includes(':') ? '-6' : '-4', ...args]).catch((err: { stderr?: string }) => {
      if (!/exists|already assigned/i.test(err.stderr ?? '')) throw err;
    });
  }

  async #setHubPeer(): Promise<void> {
    const h = this.#d.enrolment.tunnel.hub;
    await this.#wg.setPeer(this.#d.interfaceName, {
      publicKey: h.publicKey,
      allowedIps: h.allowedIps,
      endpoint: h.endpoint,
      persistentKeepalive: h.persistentKeepalive,
      ...(h.presharedKey ? { presharedKey: h.presharedKey } : {}),
    });
  }

  /** The hub peer's state for the heartbeat; undefined when the interface cannot be read. */
  async state(): Promise<TunnelState | undefined> {
    try {
      const peer = await this.#wg.peer(this.#d.interfaceName, this.#hubKey);
      const now = this.#d.clock.now();
      return {
        interface: this.#d.interfaceName,
        latestHandshakeAgeSeconds: peer?.latestHandshakeMs ? Math.max(0, (now - peer.latestHandshakeMs) / 1000) : null,
        rxBytes: peer?.rxBytes ?? 0,
        txBytes: peer?.txBytes ?? 0,
        endpoint: peer?.endpoint ? peer.endpoint.slice(0, 80) : null,
      };
    } catch {
      return undefined;
    }
  }

  async #latestHandshake(): Promise<number | null> {
    const peer = await this.#wg.peer(this.#d.interfaceName, this.#hubKey);
    return peer?.latestHandshakeMs ?? null;
  }

  /** Rotates the tunnel key (single flight). Resolves true when the new key is in use. */
  rotate(hub: HubClient): Promise<boolean> {
    this.#rotating ??= this.#rotate(hub).finally(() => {
      this.#rotating = undefined;
    });
    return this.#rotating;
  }

  async #rotate(hub: HubClient): Promise<boolean> {
    const { dataDir, log } = this.#d;
    let next = await readNextKey(dataDir);
    if (!next) {
      next = generateKeyPair().privateKey;
      await writeNextKey(dataDir, next);
    }
    const publicKey = publicKeyOf(next);
    let acked = false;
    try {
      const reply = await hub.postJson(ENROL_ROUTES.tunnelKey, { publicKey });
      acked = reply.status === 200 && check(TunnelKeyRotationAck, reply.body) && reply.body.publicKey === publicKey;
      if (!acked) log.warn({ status: reply.status, code: (reply.body as { error?: { code?: string } } | undefined)?.error?.code }, 'tunnel: the hub did not take the new key');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'tunnel: no answer to the key rotation; trying the new key');
    }
    if (acked) {
      // The hub switches its peer half a second after its answer: switch now, the handshake follows.
      await this.#wg.setPrivateKey(this.#d.interfaceName, next);
      await commitNextKey(dataDir);
      this.#d.alerts.clear('RELAIS_AGENT_TUNNEL_KEY');
      log.info({ publicKey: `${publicKey.slice(0, 8)}…` }, 'tunnel: key rotated');
      return true;
    }
    return this.#tryNextKey(next);
  }

  /** Switches to the pending key; keeps it if a handshake follows within confirmMs, else goes back. */
  async #tryNextKey(next: string): Promise<boolean> {
    const { dataDir, log, clock } = this.#d;
    const old = await readPrivateKey(dataDir);
    const switchedAt = clock.now();
    await this.#wg.setPrivateKey(this.#d.interfaceName, next);
    const deadline = switchedAt + (this.#d.confirmMs ?? 20_000);
    while (clock.now() < deadline && !this.#stopped) {
      const hs = await this.#latestHandshake().catch(() => null);
      if (hs !== null && hs >= switchedAt - 1000) {
        await commitNextKey(dataDir);
        this.#d.alerts.clear('RELAIS_AGENT_TUNNEL_KEY');
        log.info('tunnel: the hub knows the new key (handshake); key rotated');
        return true;
      }
      await sleep(clock, 1000);
    }
    if (old) await this.#wg.setPrivateKey(this.#d.interfaceName, old);
    this.#d.alerts.raise('RELAIS_AGENT_TUNNEL_KEY');
    log.warn('tunnel: the hub does not know the new key yet; the old key is back, the rotation will be retried');
    return false;
  }

  /** Starts the watchdog. */
  watch(): void {
    this.#schedule(this.#d.checkMs ?? 30_000);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = this.#d.clock.setTimeout(() => {
      this.#checking = this.check()
        .catch((err: Error) => this.#d.log.error({ err: err.message }, 'tunnel: watchdog failed'))
        .finally(() => this.#schedule(this.#d.checkMs ?? 30_000));
    }, ms);
  }

  /** One watchdog pass (exposed for tests). */
  async check(): Promise<void> {
    const { clock, alerts, log } = this.#d;
    const now = clock.now();
    if (this.#upAt === undefined) {
      try {
        await this.up();
      } catch (err) {
        alerts.raise('RELAIS_AGENT_TUNNEL_DOWN', (err as Error).message.slice(0, 200));
        return;
      }
    }
    const hs = await this.#latestHandshake().catch(() => null);
    const stale = hs === null ? now - (this.#upAt ?? now) > 90_000 : now - hs > HANDSHAKE_STALE_MS;
    if (!stale) {
      alerts.clear('RELAIS_AGENT_TUNNEL_DOWN');
      return;
    }
    alerts.raise('RELAIS_AGENT_TUNNEL_DOWN', hs === null ? undefined : `${Math.round((now - hs) / 60_000)} min`);
    const pending = await readNextKey(this.#d.dataDir).catch(() => undefined);
    if (pending && !this.#rotating) {
      log.warn('tunnel: handshakes fail and a rotated key is pending: trying it');
      if (await this.#tryNextKey(pending)) return;
    }
    if (this.#lastReportAt !== undefined && now - this.#lastReportAt < (this.#d.reportEveryMs ?? 120_000)) return;
    this.#lastReportAt = now;
    await this.#reportClock(hs === null ? null : (now - hs) / 1000);
  }

  async #reportClock(handshakeAgeSeconds: number | null): Promise<void> {
    const { clock, alerts, log, enrolment } = this.#d;
    let reply: PinnedReply;
    try {
      reply = await (this.#d.request ?? pinnedRequest)({
        baseUrl: enrolment.enrolUrl,
        pin: enrolment.pin,
        method: 'POST',
        path: ENROL_ROUTES.tunnelReset,
        headers: { authorization: `Bearer ${this.#d.credential}` },
        body: { agentTime: new Date(clock.now()).toISOString(), latestHandshakeAgeSeconds: handshakeAgeSeconds },
        timeoutMs: 15_000,
      });
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'tunnel: down, and the hub cannot be reached outside the tunnel either (link down?)');
      return;
    }
    if (reply.status !== 200 || !check(TunnelResetResponse, reply.body)) {
      log.warn({ status: reply.status }, 'tunnel: the hub refused the clock report');
      return;
    }
    const offset = reply.body.clockOffsetMs;
    if (Math.abs(offset) > CLOCK_SKEW_ALERT_MS) {
      const detail = `${Math.round(offset / 1000)} s`;
      alerts.raise('RELAIS_AGENT_CLOCK_SKEW', detail);
      log.error(
        { clockOffsetMs: offset, hubTime: reply.body.hubTime, peerReset: reply.body.peerReset },
        'clock: this box is off by more than 2 minutes from the hub; WireGuard refuses handshakes from the past. Recovery: set the clock (NTP, e.g. `timedatectl set-ntp true`, or `date -s` with the hub time); the hub has reset this peer, the tunnel comes back at the next handshake',
      );
    } else {
      log.warn({ clockOffsetMs: offset, peerReset: reply.body.peerReset }, 'tunnel: down with a correct clock; the hub reset the peer (handshake timestamp from an earlier clock jump forgotten)');
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#d.clock.clearTimeout(this.#timer);
    await this.#checking;
    await this.#rotating?.catch(() => {});
  }

  /** Drops a pending key (after a re-enrolment replaced everything). */
  async dropPendingKey(): Promise<void> {
    await dropNextKey(this.#d.dataDir);
  }
}
