/**
 * The hub's tunnel address pool: one IPv4 and/or one ULA IPv6 address per peer (site, agent,
 * radiologist workstation), the same host number in both families; host number 1 is the hub.
 * Contract:
 * - an address is never given to two owners at once; asking again for the same owner returns its
 *   assignment; a released address comes back only after every other free one has been handed
 *   out (the cursor moves on), so a revoked peer's address is not reused at once;
 * - `allocate`/`release` resolve only once the new state is durable on disk (lib/durable-fs.ts);
 *   calls are serialised; the file is validated when read.
 * The pure functions (`allocateIn`, `releaseIn`, `addressesAt`) do the arithmetic; `AddressPool`
 * adds persistence.
 */
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { Type, type Static } from '@sinclair/typebox';
import { assertValid } from '../../protocol/validate.ts';
import type { Clock } from '../../lib/clock.ts';
import { writeFileDurable } from '../../lib/durable-fs.ts';

export interface PoolConfig {
  /** IPv4 network, e.g. 10.99.0.0/24 (prefix ≤ 30). */
  ipv4?: string | null;
  /** ULA IPv6 prefix (fc00::/7), e.g. fd5e:1c2b:77a0::/64 (prefix ≤ 120). */
  ipv6?: string | null;
}

const Assignment = Type.Object({
  owner: Type.String({ pattern: '^[A-Za-z0-9._:@-]{1,128}$' }),
  index: Type.Integer({ minimum: 2 }),
  ipv4: Type.Union([Type.String(), Type.Null()]),
  ipv6: Type.Union([Type.String(), Type.Null()]),
  assignedAt: Type.String({ format: 'date-time' }),
});
export type Assignment = Static<typeof Assignment>;

export const PoolState = Type.Object({
  version: Type.Literal(1),
  ipv4: Type.Union([Type.String(), Type.Null()]),
  ipv6: Type.Union([Type.String(), Type.Null()]),
  nextIndex: Type.Integer({ minimum: 2 }),
  assignments: Type.Array(Assignment),
});
export type PoolState = Static<typeof PoolState>;

export class PoolExhaustedError extends Error {
  constructor() {
    super('the tunnel address pool is exhausted');
    this.name = 'PoolExhaustedError';
  }
}

interface Family {
  base: number[];
  prefix: number;
  /** Largest usable host number. */
  last: number;
}

function family(cidr: string, kind: 'ipv4' | 'ipv6'): Family {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  let prefix: number;
  try {
    [addr, prefix] = ipaddr.parseCIDR(cidr);
  } catch {
    throw new TypeError(`"${cidr}" is not a CIDR`);
  }
  if (addr.kind() !== kind) throw new TypeError(`"${cidr}" is not an ${kind} network`);
  const bytes = addr.toByteArray();
  const bits = bytes.length * 8;
  const hostBits = bits - prefix;
  for (let b = prefix; b < bits; b++) {
    if ((bytes[b >> 3]! >> (7 - (b & 7))) & 1) throw new TypeError(`"${cidr}" has host bits set`);
  }
  if (kind === 'ipv4' && hostBits < 2) throw new TypeError(`"${cidr}" is too small (prefix must be ≤ 30)`);
  if (kind === 'ipv6') {
    if (hostBits < 8) throw new TypeError(`"${cidr}" is too small (prefix must be ≤ 120)`);
    if ((addr as ipaddr.IPv6).range() !== 'uniqueLocal') throw new TypeError(`"${cidr}" is not a unique local (fc00::/7) prefix`);
  }
  const hostSpace = 2 ** Math.min(hostBits, 32);
  // IPv4: the all-ones host is the broadcast address.
  return { base: bytes, prefix, last: kind === 'ipv4' ? hostSpace - 2 : hostSpace - 1 };
}

function withHost(f: Family, index: number): string {
  const bytes = [...f.base];
  let rest = index;
  for (let i = bytes.length - 1; i >= 0 && rest > 0; i--) {
    bytes[i] = bytes[i]! | (rest & 0xff);
    rest = Math.floor(rest / 256);
  }
  return ipaddr.fromByteArray(bytes).toString();
}

interface Families {
  v4: Family | null;
  v6: Family | null;
  last: number;
}

function families(cfg: { ipv4: string | null; ipv6: string | null }): Families {
  const v4 = cfg.ipv4 ? family(cfg.ipv4, 'ipv4') : null;
  const v6 = cfg.ipv6 ? family(cfg.ipv6, 'ipv6') : null;
  if (!v4 && !v6) throw new TypeError('an address pool needs an IPv4 network, an IPv6 prefix, or both');
  return { v4, v6, last: Math.min(v4?.last ?? Infinity, v6?.last ?? Infinity) };
}

/** The addresses of host number `index` (1 = the hub). */
export function addressesAt(cfg: { ipv4: string | null; ipv6: string | null }, index: number): { ipv4: string | null; ipv6: string | null } {
  const f = families(cfg);
  if (!(Number.isInteger(index) && index >= 1 && index <= f.last)) throw new RangeError(`host number ${index} is outside the pool`);
  return { ipv4: f.v4 ? withHost(f.v4, index) : null, ipv6: f.v6 ? withHost(f.v6, index) : null };
}

export function emptyPool(cfg: PoolConfig): PoolState {
  const state: PoolState = { version: 1, ipv4: cfg.ipv4 ?? null, ipv6: cfg.ipv6 ?? null, nextIndex: 2, assignments: [] };
  families(state);
  return state;
}

const OWNER_RE = /^[A-Za-z0-9._:@-]{1,128}$/;

/** Pure: gives `owner` an address (its existing one if it has one). */
export function allocateIn(state: PoolState, owner: string, now: Date): { state: PoolState; assignment: Assignment } {
  if (!OWNER_RE.test(owner)) throw new TypeError(`invalid owner id "${owner}"`);
  const existing = state.assignments.find((a) => a.owner === owner);
  if (existing) return { state, assignment: existing };
  const f = families(state);
  const taken = new Set(state.assignments.map((a) => a.index));
  const count = f.last - 1; // host numbers 2..last
  const start = state.nextIndex > f.last || state.nextIndex < 2 ? 2 : state.nextIndex;
  for (let n = 0; n < count; n++) {
    const index = ((start - 2 + n) % count) + 2;
    if (taken.has(index)) continue;
    const addrs = addressesAt(state, index);
    const assignment: Assignment = { owner, index, ...addrs, assignedAt: now.toISOString() };
    return { state: { ...state, nextIndex: index + 1, assignments: [...state.assignments, assignment] }, assignment };
  }
  throw new PoolExhaustedError();
}

/** Pure: frees `owner`'s address (no-op if it has none). */
export function releaseIn(state: PoolState, owner: string): { state: PoolState; released: Assignment | null } {
  const released = state.assignments.find((a) => a.owner === owner) ?? null;
  if (!released) return { state, released };
  return { state: { ...state, assignments: state.assignments.filter((a) => a !== released) }, released };
}

/** A random ULA /64 (RFC 4193: fd + 40-bit global ID, subnet 0). */
export function generateUlaPrefix(random: (n: number) => Uint8Array = randomBytes): string {
  const g = random(5);
  const bytes = [0xfd, ...g, 0, 0, ...new Array<number>(8).fill(0)];
  return `${ipaddr.fromByteArray(bytes).toString()}/64`;
}

export class AddressPool {
  readonly #file: string;
  readonly #clock: Clock;
  #state: PoolState;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(file: string, clock: Clock, state: PoolState) {
    this.#file = file;
    this.#clock = clock;
    this.#state = state;
  }

  /**
   * Opens the pool stored in `file`, creating it from `config` if absent. An existing file whose
   * networks differ from `config` is refused (renumbering is not something to do by accident).
   */
  static async open(file: string, config: PoolConfig, clock: Clock): Promise<AddressPool> {
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text === undefined) {
      const state = emptyPool(config);
      await writeFileDurable(file, `${JSON.stringify(state, null, 2)}\n`);
      return new AddressPool(file, clock, state);
    }
    const state = assertValid(PoolState, JSON.parse(text));
    families(state);
    const want = emptyPool(config);
    if (want.ipv4 !== state.ipv4 || want.ipv6 !== state.ipv6) {
      throw new Error(`address pool ${file} holds ${state.ipv4 ?? '-'} / ${state.ipv6 ?? '-'}, not the configured ${want.ipv4 ?? '-'} / ${want.ipv6 ?? '-'}`);
    }
    return new AddressPool(file, clock, state);
  }

  /** The hub's own addresses (host number 1). */
  hub(): { ipv4: string | null; ipv6: string | null } {
    return addressesAt(this.#state, 1);
  }

  /** Prefix lengths, for configuring interfaces (e.g. 24 and 64). */
  prefixes(): { ipv4: number | null; ipv6: number | null } {
    const f = families(this.#state);
    return { ipv4: f.v4?.prefix ?? null, ipv6: f.v6?.prefix ?? null };
  }

  /** The pool's networks (CIDR), as configured. */
  networks(): { ipv4: string | null; ipv6: string | null } {
    return { ipv4: this.#state.ipv4, ipv6: this.#state.ipv6 };
  }

  get(owner: string): Assignment | undefined {
    return this.#state.assignments.find((a) => a.owner === owner);
  }

  /** The owner an address is assigned to, if any. */
  ownerOf(address: string): string | undefined {
    let norm: string;
    try {
      norm = ipaddr.process(address).toString();
    } catch {
      return undefined;
    }
    return this.#state.assignments.find((a) => a.ipv4 === norm || a.ipv6 === norm)?.owner;
  }

  list(): Assignment[] {
    return [...this.#state.assignments];
  }

  allocate(owner: string): Promise<Assignment> {
    return this.#serial(async () => {
      const { state, assignment } = allocateIn(this.#state, owner, new Date(this.#clock.now()));
      if (state !== this.#state) await this.#save(state);
      return assignment;
    });
  }

  /** Frees the owner's addresses; resolves with what was released (null if nothing). */
  release(owner: string): Promise<Assignment | null> {
    return this.#serial(async () => {
      const { state, released } = releaseIn(this.#state, owner);
      if (released) await this.#save(state);
      return released;
    });
  }

  async #save(state: PoolState): Promise<void> {
    await writeFileDurable(this.#file, `${JSON.stringify(state, null, 2)}\n`);
    this.#state = state;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }
}
