/**
 * The hub's tunnel registry on disk (DATA/tunnel/): sites, enrolment tokens, workstations, the
 * address pool (`pool.json`, provisioning/wireguard/address-pool.ts) and the hub's public tunnel
 * description (`hub.json`). One file per record, mode 0600 in 0700 directories, written durably.
 *
 * Contract:
 * - every change is a read-modify-write under the registry lock (registry-lock.ts), so `relais
 *   provision` and the running hub never lose each other's changes (a revocation racing an
 *   enrolment stays revoked);
 * - `redeem` is the enrolment: it accepts a token once (token-lifecycle in token.ts), marks it
 *   used before anything else, binds the site to the presented public key (never to a key another
 *   peer holds), gives the site a fresh preshared key and a new API credential (IdentityStore:
 *   the previous credential of the site's agent stops working at once);
 * - a site keeps its tunnel addresses while it is not revoked; revoking releases them (the pool
 *   hands them out again only after every other free address) and revokes the site's agent
 *   credential and its unused tokens;
 * - readers (the hub's directory refresh) need no lock: each file changes by an atomic rename.
 */
import { readFile, readdir, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../lib/clock.ts';
import { ensureDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { check } from '../../protocol/validate.ts';
import type { EnrolRequest } from '../../protocol/enrolment.ts';
import type { ErrorCode } from '../../protocol/errors.ts';
import type { Urgency } from '../../protocol/common.ts';
import { AddressPool, PoolState, type PoolConfig } from '../wireguard/address-pool.ts';
import { generateKeyPair, generatePresharedKey, isWireGuardKey } from '../wireguard/keys.ts';
import { slugify, type IdentityStore } from '../identity-store.ts';
import { HubTunnelInfo, SiteRecord, TokenRecord, WorkstationRecord, type TunnelAddresses } from './records.ts';
import { decodeToken, encodeToken, hashTokenSecret, judgeToken, newTokenId, newTokenSecret, DEFAULT_TOKEN_TTL_MS, MAX_TOKEN_TTL_MS, type TokenRefusal } from './token.ts';
import { directoryLock, type RegistryLock } from './registry-lock.ts';

/** A refused enrolment or registry operation: a protocol error code and, for tokens, when. */
export class EnrolmentRefusal extends Error {
  readonly code: ErrorCode;
  readonly at: string | undefined;
  constructor(code: ErrorCode, message: string, at?: string) {
    super(message);
    this.name = 'EnrolmentRefusal';
    this.code = code;
    this.at = at;
  }
}

/** An operator mistake in a provisioning command (unknown site, bad value...). */
export class RegistryError extends Error {
  readonly problem: string;
  /** The id or value the problem is about (for the operator's message). */
  readonly subject: string;
  constructor(problem: string, message: string, subject = '') {
    super(message);
    this.name = 'RegistryError';
    this.problem = problem;
    this.subject = subject;
  }
}

const REFUSAL_CODES: Record<TokenRefusal, ErrorCode> = {
  unknown: 'RELAIS_ENROL_TOKEN_INVALID',
  revoked: 'RELAIS_ENROL_TOKEN_REVOKED',
  used: 'RELAIS_ENROL_TOKEN_USED',
  expired: 'RELAIS_ENROL_TOKEN_EXPIRED',
  'other-site': 'RELAIS_ENROL_OTHER_SITE',
};

export interface NewSite {
  name: string;
  id?: string;
  finess?: string;
  siret?: string;
  contact?: { name?: string; phone?: string; email?: string };
  zone?: string;
  defaultUrgency?: Urgency;
}

export interface Redeemed {
  site: SiteRecord;
  agentId: string;
  credential: string;
  replacedKey: boolean;
}

export interface NewWorkstation {
  name: string;
  id?: string;
  userId?: string;
  /** The workstation's own public key (preferred: its private key then never exists at the hub). */
  publicKey?: string;
}

export interface AddedWorkstation {
  record: WorkstationRecord;
  /** Only when the hub generated the key pair (no --public-key): shown once, never stored. */
  privateKey?: string;
}

const ID_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const TOKEN_ID_RE = /^[A-Za-z0-9_-]{16}$/;

export function isValidZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export class TunnelRegistry {
  readonly root: string;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #identities: IdentityStore;
  readonly #lock: RegistryLock;

  constructor(dataDir: string, deps: { clock: Pick<Clock, 'now'>; identities: IdentityStore; lock?: RegistryLock }) {
    this.root = join(dataDir, 'tunnel');
    this.#clock = deps.clock;
    this.#identities = deps.identities;
    this.#lock = deps.lock ?? directoryLock(this.root);
  }

  get identities(): IdentityStore {
    return this.#identities;
  }

  get poolFile(): string {
    return join(this.root, 'pool.json');
  }

  get hubInfoFile(): string {
    return join(this.root, 'hub.json');
  }

  /** Creates DATA/tunnel and its folders (0700). */
  async prepare(): Promise<void> {
    for (const d of [this.root, join(this.root, 'sites'), join(this.root, 'tokens'), join(this.root, 'workstations')]) {
      await ensureDir(d);
      await chmod(d, 0o700);
    }
  }

  #nowIso(): string {
    return new Date(this.#clock.now()).toISOString();
  }

  async #locked<T>(fn: () => Promise<T>): Promise<T> {
    await this.prepare();
    return this.#lock(fn);
  }

  // ---- generic record files ----

  async #read<T>(dir: string, id: string, schema: Parameters<typeof check>[0]): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.root, dir, `${id}.json`), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const v: unknown = JSON.parse(text);
    if (!check(schema, v)) throw new Error(`tunnel registry: ${dir}/${id}.json is invalid`);
    return v as T;
  }

  async #list<T>(dir: string, get: (id: string) => Promise<T | undefined>): Promise<T[]> {
    let names: string[];
    try {
      names = await readdir(join(this.root, dir));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: T[] = [];
    for (const n of names.sort()) {
      if (!n.endsWith('.json') || n.startsWith('.')) continue;
      const v = await get(n.slice(0, -5));
      if (v) out.push(v);
    }
    return out;
  }

  async #write(dir: string, id: string, record: unknown): Promise<void> {
    await writeFileDurable(join(this.root, dir, `${id}.json`), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  }

  // ---- hub description and pool ----

  async hubInfo(): Promise<HubTunnelInfo | undefined> {
    let text: string;
    try {
      text = await readFile(this.hubInfoFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const v: unknown = JSON.parse(text);
    if (!check(HubTunnelInfo, v)) throw new Error(`${this.hubInfoFile} is invalid`);
    return v;
  }

  async writeHubInfo(info: HubTunnelInfo): Promise<void> {
    await this.prepare();
    if (!check(HubTunnelInfo, info)) throw new TypeError('invalid hub tunnel description');
    await writeFileDurable(this.hubInfoFile, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o644 });
  }

  /** The pool as configured on disk (by the hub's first start with a tunnel), if any. */
  async openPool(): Promise<AddressPool | undefined> {
    let text: string;
    try {
      text = await readFile(this.poolFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const state: unknown = JSON.parse(text);
    if (!check(PoolState, state)) throw new Error(`${this.poolFile} is invalid`);
    const cfg: PoolConfig = { ipv4: state.ipv4, ipv6: state.ipv6 };
    return AddressPool.open(this.poolFile, cfg, { now: () => this.#clock.now(), setTimeout: () => ({ id: 0 }), clearTimeout: () => {} });
  }

  // ---- sites ----

  getSite(id: string): Promise<SiteRecord | undefined> {
    if (!ID_RE.test(id)) return Promise.resolve(undefined);
    return this.#read<SiteRecord>('sites', id, SiteRecord);
  }

  listSites(): Promise<SiteRecord[]> {
    return this.#list('sites', (id) => this.getSite(id));
  }

  async siteOfAgent(agentId: string): Promise<SiteRecord | undefined> {
    return (await this.listSites()).find((s) => s.agentId === agentId && !s.revokedAt);
  }

  async #allocate(owner: string): Promise<TunnelAddresses | null> {
    const pool = await this.openPool();
    if (!pool) return null;
    const a = await pool.allocate(owner);
    return { ipv4: a.ipv4, ipv6: a.ipv6 };
  }

  async createSite(input: NewSite): Promise<SiteRecord> {
    const name = input.name.trim();
    if (!name || name.length > 200) throw new RegistryError('bad-name', 'the site name must be 1 to 200 characters');
    const zone = input.zone ?? 'Europe/Paris';
    if (!isValidZone(zone)) throw new RegistryError('bad-zone', `unknown time zone "${zone}"`, zone);
    const candidate: Omit<SiteRecord, 'id' | 'createdAt' | 'tunnel'> = {
      version: 1,
      name,
      establishment: {
        ...(input.finess ? { finess: input.finess.toUpperCase() } : {}),
        ...(input.siret ? { siret: input.siret } : {}),
      },
      contact: Object.fromEntries(Object.entries(input.contact ?? {}).filter(([, v]) => v !== undefined && v !== '')),
      zone,
      defaultUrgency: input.defaultUrgency ?? 'scheduled',
      previousPublicKeys: [],
    };
    return this.#locked(async () => {
      const id = input.id ?? slugify(name, 'site');
      if (!ID_RE.test(id)) throw new RegistryError('bad-id', `"${id}" is not a site id (lower case letters, digits, dashes)`);
      if (await this.getSite(id)) throw new RegistryError('exists', `a site with id \"${id}\" already exists`, id);
      const record: SiteRecord = { ...candidate, id, createdAt: this.#nowIso(), tunnel: null };
      if (!check(SiteRecord, record)) throw new RegistryError('bad-value', 'invalid site (FINESS: 9 characters, SIRET: 14 digits)');
      record.tunnel = await this.#allocate(`site:${id}`);
      await this.#write('sites', id, record);
      return record;
    });
  }

  /** Revokes a site: unused tokens, agent credential, tunnel addresses. Idempotent. */
  async revokeSite(id: string): Promise<{ site: SiteRecord; tokensRevoked: number }> {
    return this.#locked(async () => {
      const site = await this.getSite(id);
      if (!site) throw new RegistryError('unknown-site', `no site \"${id}\"`, id);
      const now = this.#nowIso();
      let tokensRevoked = 0;
      for (const t of await this.listTokens(id)) {
        if (!t.usedAt && !t.revokedAt) {
          await this.#write('tokens', t.id, { ...t, revokedAt: now });
          tokensRevoked++;
        }
      }
      if (site.revokedAt) return { site, tokensRevoked };
      const revoked: SiteRecord = { ...site, revokedAt: now };
      delete revoked.rotationRequestedAt;
      await this.#write('sites', id, revoked);
      if (site.agentId) await this.#identities.revoke('agent', site.agentId);
      const pool = await this.openPool();
      await pool?.release(`site:${id}`);
      return { site: revoked, tokensRevoked };
    });
  }

  /** `site rotate`: asks the site's agent for a new tunnel key (it is told in its next heartbeat). */
  async requestRotation(id: string): Promise<SiteRecord> {
    return this.#locked(async () => {
      const site = await this.getSite(id);
      if (!site) throw new RegistryError('unknown-site', `no site \"${id}\"`, id);
      if (site.revokedAt) throw new RegistryError('revoked', `site \"${id}\" is revoked`, id);
      if (!site.publicKey) throw new RegistryError('not-enrolled', `site "${id}" has not enrolled yet: nothing to rotate`, id);
      const next: SiteRecord = { ...site, rotationRequestedAt: this.#nowIso() };
      await this.#write('sites', id, next);
      return next;
    });
  }

  /** Key rotation asked by the site's own agent (authenticated, through its tunnel). */
  async rotateKey(agentId: string, publicKey: string): Promise<{ site: SiteRecord; previousKey: string }> {
    if (!isWireGuardKey(publicKey)) throw new EnrolmentRefusal('RELAIS_PROTOCOL_INVALID_MESSAGE', 'not a WireGuard public key');
    return this.#locked(async () => {
      const site = await this.siteOfAgent(agentId);
      if (!site?.publicKey) throw new EnrolmentRefusal('RELAIS_AUTH_FORBIDDEN', 'this agent holds no enrolled site');
      if (site.publicKey === publicKey) return { site, previousKey: publicKey };
      const owner = await this.#keyOwner(publicKey);
      if (owner) throw new EnrolmentRefusal('RELAIS_ENROL_KEY_IN_USE', 'this public key already belongs to another peer');
      const now = this.#nowIso();
      const next: SiteRecord = {
        ...site,
        publicKey,
        keyRotatedAt: now,
        previousPublicKeys: [...site.previousPublicKeys, { publicKey: site.publicKey, until: now }].slice(-50),
      };
      delete next.rotationRequestedAt;
      await this.#write('sites', site.id, next);
      return { site: next, previousKey: site.publicKey };
    });
  }

  /** Which peer (site or workstation, current keys only) holds a public key. */
  async #keyOwner(publicKey: string): Promise<string | undefined> {
    for (const s of await this.listSites()) if (!s.revokedAt && s.publicKey === publicKey) return `site:${s.id}`;
    for (const w of await this.listWorkstations()) if (!w.revokedAt && w.publicKey === publicKey) return `workstation:${w.id}`;
    const hub = await this.hubInfo();
    if (hub?.publicKey === publicKey) return 'hub';
    return undefined;
  }

  // ---- tokens ----

  getToken(id: string): Promise<TokenRecord | undefined> {
    if (!TOKEN_ID_RE.test(id)) return Promise.resolve(undefined);
    return this.#read<TokenRecord>('tokens', id, TokenRecord);
  }

  async listTokens(siteId?: string): Promise<TokenRecord[]> {
    const all = await this.#list('tokens', (id) => this.getToken(id));
    return (siteId ? all.filter((t) => t.siteId === siteId) : all).sort((a, b) => a.issuedAt.localeCompare(b.issuedAt));
  }

  /** Issues a one-time enrolment token for a site (allocating its addresses if not done yet). */
  async issueToken(siteId: string, opts: { ttlMs?: number } = {}): Promise<{ token: string; record: TokenRecord; site: SiteRecord }> {
    const ttlMs = opts.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
    if (!(ttlMs > 0 && ttlMs <= MAX_TOKEN_TTL_MS)) throw new RegistryError('bad-ttl', `a token lives at most ${MAX_TOKEN_TTL_MS / 3600_000} h`);
    return this.#locked(async () => {
      let site = await this.getSite(siteId);
      if (!site) throw new RegistryError('unknown-site', `no site \"${siteId}\"`, siteId);
      if (site.revokedAt) throw new RegistryError('revoked', `site \"${siteId}\" is revoked`, siteId);
      const hub = await this.hubInfo();
      if (!hub) throw new RegistryError('no-hub-tunnel', 'the hub has not started with its WireGuard tunnel yet');
      if (!site.tunnel) {
        site = { ...site, tunnel: await this.#allocate(`site:${site.id}`) };
        if (!site.tunnel) throw new RegistryError('no-pool', 'the hub has no tunnel address pool yet');
        await this.#write('sites', site.id, site);
      }
      const now = this.#clock.now();
      const secret = newTokenSecret();
      const record: TokenRecord = {
        version: 1,
        id: newTokenId(),
        siteId: site.id,
        secretSha256: hashTokenSecret(secret),
        issuedAt: new Date(now).toISOString(),
        expiresAt: new Date(now + ttlMs).toISOString(),
      };
      await this.#write('tokens', record.id, record);
      const token = encodeToken({
        id: record.id,
        secret,
        site: site.id,
        enrolUrl: hub.enrolUrl,
        pin: hub.certSha256,
        hubKey: hub.publicKey,
        endpoint: hub.endpoint,
        expiresAt: record.expiresAt,
      });
      return { token, record, site };
    });
  }

  async revokeToken(id: string): Promise<TokenRecord> {
    return this.#locked(async () => {
      const t = await this.getToken(id);
      if (!t) throw new RegistryError('unknown-token', `no token "${id}"`, id);
      if (t.revokedAt) return t;
      const next = { ...t, revokedAt: this.#nowIso() };
      await this.#write('tokens', id, next);
      return next;
    });
  }

  /**
   * Enrolment: checks the token (once, unexpired, this site, not revoked), binds the site to the
   * presented key, issues the agent's credential. Throws EnrolmentRefusal.
   */
  async redeem(req: EnrolRequest): Promise<Redeemed> {
    const payload = decodeToken(req.token);
    if (!payload) throw new EnrolmentRefusal('RELAIS_ENROL_TOKEN_INVALID', 'malformed enrolment token');
    if (!isWireGuardKey(req.publicKey)) throw new EnrolmentRefusal('RELAIS_PROTOCOL_INVALID_MESSAGE', 'not a WireGuard public key');
    return this.#locked(async () => {
      const record = await this.getToken(payload.id);
      const verdict = judgeToken(record, { secret: payload.secret, site: payload.site, claimedSite: req.site }, this.#clock.now());
      if (!verdict.ok) throw new EnrolmentRefusal(REFUSAL_CODES[verdict.refusal], `enrolment token refused: ${verdict.refusal}`, verdict.at);
      const site = await this.getSite(record!.siteId);
      if (!site) throw new EnrolmentRefusal('RELAIS_ENROL_TOKEN_INVALID', 'the site of this token no longer exists');
      if (site.revokedAt) throw new EnrolmentRefusal('RELAIS_ENROL_SITE_REVOKED', 'this site is revoked', site.revokedAt);
      const owner = await this.#keyOwner(req.publicKey);
      if (owner && owner !== `site:${site.id}`) throw new EnrolmentRefusal('RELAIS_ENROL_KEY_IN_USE', 'this public key already belongs to another peer');
      const now = this.#nowIso();
      // The token is spent before anything else: a crash after this point never allows a replay.
      await this.#write('tokens', record!.id, { ...record!, usedAt: now, usedBy: req.publicKey });
      const tunnel = site.tunnel ?? (await this.#allocate(`site:${site.id}`));
      if (!tunnel) throw new EnrolmentRefusal('RELAIS_TUNNEL_UNAVAILABLE', 'the hub has no tunnel address pool');
      // One agent identity per site, named after it: enrolling again rotates its credential.
      const issued = await this.#identities.issueAgent(site.name, { siteId: site.id });
      const replacedKey = site.publicKey !== undefined && site.publicKey !== req.publicKey;
      const next: SiteRecord = {
        ...site,
        tunnel,
        agentId: issued.identity.id,
        publicKey: req.publicKey,
        presharedKey: generatePresharedKey(),
        enrolledAt: now,
        previousPublicKeys: replacedKey ? [...site.previousPublicKeys, { publicKey: site.publicKey!, until: now }].slice(-50) : site.previousPublicKeys,
      };
      delete next.rotationRequestedAt;
      await this.#write('sites', site.id, next);
      return { site: next, agentId: issued.identity.id, credential: issued.credential, replacedKey };
    });
  }

  // ---- workstations ----

  getWorkstation(id: string): Promise<WorkstationRecord | undefined> {
    if (!ID_RE.test(id)) return Promise.resolve(undefined);
    return this.#read<WorkstationRecord>('workstations', id, WorkstationRecord);
  }

  listWorkstations(): Promise<WorkstationRecord[]> {
    return this.#list('workstations', (id) => this.getWorkstation(id));
  }

  async addWorkstation(input: NewWorkstation): Promise<AddedWorkstation> {
    const name = input.name.trim();
    if (!name || name.length > 200) throw new RegistryError('bad-name', 'the workstation name must be 1 to 200 characters');
    if (input.publicKey !== undefined && !isWireGuardKey(input.publicKey)) throw new RegistryError('bad-key', 'not a WireGuard public key (44 characters of base64, from `wg pubkey`)');
    if (input.userId !== undefined && !ID_RE.test(input.userId)) throw new RegistryError('bad-user', `"${input.userId}" is not a user id`);
    return this.#locked(async () => {
      const id = input.id ?? slugify(name, 'workstation');
      if (!ID_RE.test(id)) throw new RegistryError('bad-id', `"${id}" is not a workstation id`);
      const existing = await this.getWorkstation(id);
      if (existing && !existing.revokedAt) throw new RegistryError('exists', `a workstation with id \"${id}\" already exists`, id);
      if (!(await this.hubInfo())) throw new RegistryError('no-hub-tunnel', 'the hub has not started with its WireGuard tunnel yet');
      const keys = input.publicKey ? { publicKey: input.publicKey, privateKey: undefined } : generateKeyPair();
      if (await this.#keyOwner(keys.publicKey)) throw new RegistryError('key-in-use', 'this public key already belongs to another peer');
      const tunnel = await this.#allocate(`ws:${id}`);
      if (!tunnel) throw new RegistryError('no-pool', 'the hub has no tunnel address pool yet');
      const record: WorkstationRecord = {
        version: 1,
        id,
        name,
        ...(input.userId ? { userId: input.userId } : {}),
        tunnel,
        publicKey: keys.publicKey,
        presharedKey: generatePresharedKey(),
        createdAt: this.#nowIso(),
      };
      await this.#write('workstations', id, record);
      return keys.privateKey ? { record, privateKey: keys.privateKey } : { record };
    });
  }

  async revokeWorkstation(id: string): Promise<WorkstationRecord> {
    return this.#locked(async () => {
      const w = await this.getWorkstation(id);
      if (!w) throw new RegistryError('unknown-workstation', `no workstation "${id}"`, id);
      if (w.revokedAt) return w;
      const next = { ...w, revokedAt: this.#nowIso() };
      await this.#write('workstations', id, next);
      const pool = await this.openPool();
      await pool?.release(`ws:${id}`);
      return next;
    });
  }
}
