/**
 * The link relay: a UDP forwarder between sites' WireGuard endpoints and the hub's WireGuard,
 * imposing a link profile on each direction (simulators/link/direction.ts).
 * Topology: sites send to `listen`; for each site address the relay opens its own socket towards
 * `forward` (the hub's WireGuard), so the hub sees one distinct endpoint per site and answers
 * there; answers go back to the site from `listen`. Each site gets its own link (own queues and
 * random streams); outages (scheduled and forced) apply to every site at once.
 * Contract: never throws on traffic (socket errors are counted); `stats()` is a consistent copy;
 * `close()` releases every socket and timer.
 */
import { createSocket, type Socket, type RemoteInfo } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { createRandom } from './prng.ts';
import { OutageSchedule, type OutageState } from './outage-schedule.ts';
import { ImpairedDirection, addCounters, emptyCounters, type DirectionCounters } from './direction.ts';
import type { LinkProfile } from './profiles.ts';

export interface Endpoint {
  host: string;
  port: number;
}

export interface RelayOptions {
  listen: Endpoint;
  forward: Endpoint;
  profile: LinkProfile;
  seed: number;
  clock: Clock;
  logger: Logger;
  /** Socket buffer size asked for (capped by net.core.[rw]mem_max). */
  socketBufferBytes?: number;
}

export interface OutageStatus {
  down: boolean;
  cause: OutageState['cause'];
  /** Milliseconds until the state changes on its own; null when it never will. */
  changesInMs: number | null;
}

export interface ClientStats {
  site: string;
  up: DirectionCounters;
  down: DirectionCounters;
}

export interface RelayStats {
  profile: string;
  seed: number;
  uptimeMs: number;
  outage: OutageStatus;
  /** Site → hub, all sites. */
  up: DirectionCounters;
  /** Hub → site, all sites. */
  down: DirectionCounters;
  clients: ClientStats[];
  socketErrors: number;
}

interface Client {
  key: string;
  index: number;
  site: RemoteInfo;
  inner: Socket;
  up: ImpairedDirection;
  down: ImpairedDirection;
  /** Counters of directions replaced by a profile change. */
  retired: { up: DirectionCounters; down: DirectionCounters };
  /** Sends towards the hub (queues until the inner socket is connected). */
  sendUp: (d: Uint8Array) => void;
}

function family(host: string): 'udp4' | 'udp6' {
  return isIPv6(host) ? 'udp6' : 'udp4';
}

export class LinkRelay {
  readonly #o: RelayOptions;
  readonly #outer: Socket;
  readonly #clients = new Map<string, Client>();
  readonly #startedAt: number;
  #profile: LinkProfile;
  #outages: OutageSchedule;
  #socketErrors = 0;
  #closed = false;

  private constructor(o: RelayOptions, outer: Socket) {
    this.#o = o;
    this.#outer = outer;
    this.#profile = o.profile;
    this.#startedAt = o.clock.now();
    this.#outages = new OutageSchedule(o.profile.outages ?? undefined, this.#startedAt);
  }

  static async start(o: RelayOptions): Promise<LinkRelay> {
    const buf = o.socketBufferBytes ?? 4 << 20;
    const outer = createSocket({ type: family(o.listen.host), recvBufferSize: buf, sendBufferSize: buf });
    await new Promise<void>((resolve, reject) => {
      outer.once('error', reject);
      outer.bind(o.listen.port, o.listen.host, () => {
        outer.off('error', reject);
        resolve();
      });
    });
    const relay = new LinkRelay(o, outer);
    outer.on('message', (msg, rinfo) => relay.#fromSite(msg, rinfo));
    outer.on('error', (err) => relay.#socketError('listen', err));
    return relay;
  }

  address(): Endpoint {
    const a = this.#outer.address();
    return { host: a.address, port: a.port };
  }

  get profile(): LinkProfile {
    return this.#profile;
  }

  /** Cuts every site's link now, for `ms` (Infinity: until `restore`). */
  cut(ms: number): OutageStatus {
    this.#outages.cut(this.#o.clock.now(), ms);
    return this.outage();
  }

  /** Ends a forced cut (scheduled outages keep their course). */
  restore(): OutageStatus {
    this.#outages.restore();
    return this.outage();
  }

  outage(): OutageStatus {
    const now = this.#o.clock.now();
    const s = this.#outages.state(now);
    return { down: s.down, cause: s.cause, changesInMs: Number.isFinite(s.until) ? Math.max(0, s.until - now) : null };
  }

  /**
   * Switches to another profile: datagrams in flight are dropped, queues start empty, the
   * periodic outage schedule restarts from now; a forced cut still running is kept.
   */
  setProfile(profile: LinkProfile): void {
    const now = this.#o.clock.now();
    const before = this.#outages.state(now);
    this.#profile = profile;
    this.#outages = new OutageSchedule(profile.outages ?? undefined, now);
    if (before.cause === 'forced') this.#outages.cut(now, before.until - now);
    for (const c of this.#clients.values()) {
      c.retired.up = addCounters(c.retired.up, c.up.counters());
      c.retired.down = addCounters(c.retired.down, c.down.counters());
      c.up.close();
      c.down.close();
      c.retired.up.inFlight = 0;
      c.retired.down.inFlight = 0;
      Object.assign(c, this.#directions(c.index, c.site, (d) => c.sendUp(d)));
    }
    this.#o.logger.info({ profile: profile.name }, 'link profile changed');
  }

  stats(): RelayStats {
    let up = emptyCounters();
    let down = emptyCounters();
    const clients: ClientStats[] = [];
    for (const c of this.#clients.values()) {
      const cu = addCounters(c.retired.up, c.up.counters());
      const cd = addCounters(c.retired.down, c.down.counters());
      clients.push({ site: c.key, up: cu, down: cd });
      up = addCounters(up, cu);
      down = addCounters(down, cd);
    }
    return {
      profile: this.#profile.name,
      seed: this.#o.seed,
      uptimeMs: this.#o.clock.now() - this.#startedAt,
      outage: this.outage(),
      up,
      down,
      clients,
      socketErrors: this.#socketErrors,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closing: Promise<void>[] = [];
    for (const c of this.#clients.values()) {
      c.up.close();
      c.down.close();
      closing.push(new Promise((r) => c.inner.close(() => r())));
    }
    closing.push(new Promise((r) => this.#outer.close(() => r())));
    await Promise.all(closing);
  }

  #fromSite(msg: Buffer, rinfo: RemoteInfo): void {
    const key = `${rinfo.address}:${rinfo.port}`;
    let c = this.#clients.get(key);
    if (!c) c = this.#newClient(key, rinfo);
    c.up.push(msg);
  }

  #newClient(key: string, site: RemoteInfo): Client {
    const buf = this.#o.socketBufferBytes ?? 4 << 20;
    const inner = createSocket({ type: family(this.#o.forward.host), recvBufferSize: buf, sendBufferSize: buf });
    const index = this.#clients.size;
    const pending: Uint8Array[] = [];
    const dirs = this.#directions(index, site, (d) => client.sendUp(d));
    const client: Client = {
      key, index, site, inner, ...dirs,
      retired: { up: emptyCounters(), down: emptyCounters() },
      sendUp: (d) => pending.push(d),
    };
    this.#clients.set(key, client);
    inner.on('message', (msg) => client.down.push(msg));
    inner.on('error', (err) => this.#socketError('forward', err));
    // Connected: sends need no per-datagram address lookup, and only the hub's answers come in.
    inner.connect(this.#o.forward.port, this.#o.forward.host, () => {
      client.sendUp = (d) => inner.send(d);
      for (const d of pending.splice(0)) inner.send(d);
    });
    this.#o.logger.info({ site: key, client: index }, 'new site endpoint');
    return client;
  }

  #directions(index: number, site: RemoteInfo, sendUp: (d: Uint8Array) => void): { up: ImpairedDirection; down: ImpairedDirection } {
    const { clock, seed } = this.#o;
    const profile = this.#profile;
    const stream = (label: string) => createRandom(seed, `${index}/${label}`);
    const up = new ImpairedDirection({
      profile: profile.up,
      clock,
      random: { loss: stream('up/loss'), jitter: stream('up/jitter') },
      outages: this.#outages,
      send: sendUp,
    });
    const down = new ImpairedDirection({
      profile: profile.down,
      clock,
      random: { loss: stream('down/loss'), jitter: stream('down/jitter') },
      outages: this.#outages,
      send: (d) => this.#outer.send(d, site.port, site.address),
    });
    return { up, down };
  }

  #socketError(where: string, err: Error): void {
    this.#socketErrors++;
    if (this.#socketErrors <= 10 || this.#socketErrors % 1000 === 0) {
      this.#o.logger.warn({ where, err: err.message, count: this.#socketErrors }, 'relay socket error');
    }
  }
}
