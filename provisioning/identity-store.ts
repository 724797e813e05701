/**
 * The identities of one hub, on disk: DATA/identities/agents/<id>.json and .../users/<id>.json,
 * one file per identity (so `relais provision` and a running hub never share a file), written
 * durably (temp, fsync, rename, fsync dir), mode 0600 in 0700 directories.
 * Contract: issuing returns the secret once and stores only its hash; issuing again for an
 * existing name rotates the secret (the previous one stops working at once, since the hub
 * reads the file on every check); verify* return the identity only for a valid, unrevoked
 * secret, in constant time with respect to the secret's value. Dispatch links (an agent's site,
 * a radiologist's rota id, a clinician's sites) are kept across rotations unless new ones are
 * given, and are refused (IdentityLinkError) on a role they do not belong to.
 */
import { readFile, readdir, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir, writeFileDurable } from '../lib/durable-fs.ts';
import { check } from '../protocol/validate.ts';
import { SiteId } from '../protocol/common.ts';
import { Id } from '../protocol/dispatch.ts';
import { AgentIdentity, UserIdentity, type Role } from './identity-schema.ts';
import { newSecret, parseSecret, secretMatches, hashSecret } from './secret.ts';

export interface IssuedAgent {
  identity: AgentIdentity;
  credential: string;
  rotated: boolean;
}

export interface IssuedUser {
  identity: UserIdentity;
  token: string;
  rotated: boolean;
}

/** Dispatch links of a user: a radiologist's id in the rota, a clinician's sites. */
export interface UserLinks {
  radiologistId?: string;
  siteIds?: string[];
}

/** A link that does not fit the role or is not a valid id. */
export class IdentityLinkError extends Error {
  constructor(readonly problem: 'radiologist-id-role' | 'site-role' | 'bad-site-id' | 'bad-radiologist-id', message: string) {
    super(message);
    this.name = 'IdentityLinkError';
  }
}

export function isSiteId(v: string): boolean {
  return check(SiteId, v);
}

/** A stable identifier from a human name: "CH Marie-Galante CT" → "ch-marie-galante-ct". */
export function slugify(name: string, fallback: string): string {
  const s = name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 56)
    .replace(/-+$/g, '');
  return s.length > 0 ? s : fallback;
}

export class IdentityStore {
  readonly #root: string;
  readonly #now: () => number;

  constructor(dataDir: string, now: () => number = Date.now) {
    this.#root = join(dataDir, 'identities');
    this.#now = now;
  }

  #dir(kind: 'agents' | 'users'): string {
    return join(this.#root, kind);
  }

  async #prepare(kind: 'agents' | 'users'): Promise<string> {
    await ensureDir(this.#dir(kind));
    await chmod(this.#root, 0o700);
    await chmod(this.#dir(kind), 0o700);
    return this.#dir(kind);
  }

  async #readJson(kind: 'agents' | 'users', id: string): Promise<unknown> {
    try {
      return JSON.parse(await readFile(join(this.#dir(kind), `${id}.json`), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async getAgent(id: string): Promise<AgentIdentity | undefined> {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) return undefined;
    const v = await this.#readJson('agents', id);
    return check(AgentIdentity, v) ? v : undefined;
  }

  async getUser(id: string): Promise<UserIdentity | undefined> {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) return undefined;
    const v = await this.#readJson('users', id);
    return check(UserIdentity, v) ? v : undefined;
  }

  async listAgents(): Promise<AgentIdentity[]> {
    return this.#list('agents', (id) => this.getAgent(id));
  }

  async listUsers(): Promise<UserIdentity[]> {
    return this.#list('users', (id) => this.getUser(id));
  }

  async #list<T>(kind: 'agents' | 'users', get: (id: string) => Promise<T | undefined>): Promise<T[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir(kind));
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

  /**
   * Registers an agent, or rotates the credential of the agent with that exact name.
   * `siteId`: the site it sends for (kept from the previous record when not given; default its id).
   */
  async issueAgent(name: string, opts: { siteId?: string } = {}): Promise<IssuedAgent> {
    if (opts.siteId !== undefined && !isSiteId(opts.siteId)) throw new IdentityLinkError('bad-site-id', `not a site id: ${opts.siteId}`);
    const dir = await this.#prepare('agents');
    const existing = (await this.listAgents()).find((a) => a.name === name);
    const id = existing?.id ?? (await this.#freeId(slugify(name, 'agent'), (i) => this.getAgent(i)));
    const credential = newSecret('agent', id);
    const now = new Date(this.#now()).toISOString();
    const identity: AgentIdentity = {
      kind: 'agent',
      id,
      name,
      createdAt: existing?.createdAt ?? now,
      secretSha256: hashSecret(credential),
      credentialIssuedAt: now,
    };
    const siteId = opts.siteId ?? existing?.siteId;
    if (siteId !== undefined) identity.siteId = siteId;
    await writeFileDurable(join(dir, `${id}.json`), `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 });
    return { identity, credential, rotated: Boolean(existing) };
  }

  /**
   * Registers a user, or issues a new token (and sets the role) for the user with that name.
   * `links`: a radiologist's rota id, a clinician's sites (kept from the previous record of the
   * same role when not given).
   */
  async issueUser(name: string, role: Role, displayName?: string, links: UserLinks = {}): Promise<IssuedUser> {
    if (links.radiologistId !== undefined) {
      if (role !== 'radiologist') throw new IdentityLinkError('radiologist-id-role', 'only a radiologist can be linked to a rota radiologist');
      if (!check(Id, links.radiologistId)) throw new IdentityLinkError('bad-radiologist-id', `not a radiologist id: ${links.radiologistId}`);
    }
    if (links.siteIds !== undefined) {
      if (role !== 'clinician') throw new IdentityLinkError('site-role', 'only a clinician follows sites');
      const bad = links.siteIds.find((x) => !isSiteId(x));
      if (bad !== undefined) throw new IdentityLinkError('bad-site-id', `not a site id: ${bad}`);
    }
    const dir = await this.#prepare('users');
    const existing = (await this.listUsers()).find((u) => u.name === name);
    const id = existing?.id ?? (await this.#freeId(slugify(name, 'user'), (i) => this.getUser(i)));
    const token = newSecret('user', id);
    const now = new Date(this.#now()).toISOString();
    const identity: UserIdentity = {
      kind: 'user',
      id,
      name,
      displayName: displayName ?? existing?.displayName ?? name,
      role,
      createdAt: existing?.createdAt ?? now,
      secretSha256: hashSecret(token),
      credentialIssuedAt: now,
    };
    const sameRole = existing?.role === role;
    const radiologistId = links.radiologistId ?? (sameRole ? existing?.radiologistId : undefined);
    const siteIds = links.siteIds ?? (sameRole ? existing?.siteIds : undefined);
    if (role === 'radiologist' && radiologistId !== undefined) identity.radiologistId = radiologistId;
    if (role === 'clinician' && siteIds !== undefined) identity.siteIds = [...new Set(siteIds)];
    await writeFileDurable(join(dir, `${id}.json`), `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 });
    return { identity, token, rotated: Boolean(existing) };
  }

  /** Revokes an agent or user by id; true when it existed. */
  async revoke(kind: 'agent' | 'user', id: string): Promise<boolean> {
    const current = kind === 'agent' ? await this.getAgent(id) : await this.getUser(id);
    if (!current) return false;
    const revoked = { ...current, revokedAt: new Date(this.#now()).toISOString() };
    await writeFileDurable(join(this.#dir(kind === 'agent' ? 'agents' : 'users'), `${id}.json`), `${JSON.stringify(revoked, null, 2)}\n`, { mode: 0o600 });
    return true;
  }

  async verifyAgentCredential(presented: string): Promise<AgentIdentity | undefined> {
    const parsed = parseSecret('agent', presented);
    if (!parsed) return undefined;
    const agent = await this.getAgent(parsed.id);
    if (!agent || agent.revokedAt) return undefined;
    return secretMatches(presented, agent.secretSha256) ? agent : undefined;
  }

  async verifyUserToken(presented: string): Promise<UserIdentity | undefined> {
    const parsed = parseSecret('user', presented);
    if (!parsed) return undefined;
    const user = await this.getUser(parsed.id);
    if (!user || user.revokedAt) return undefined;
    return secretMatches(presented, user.secretSha256) ? user : undefined;
  }

  async #freeId(base: string, get: (id: string) => Promise<unknown>): Promise<string> {
    for (let n = 1; ; n++) {
      const id = n === 1 ? base : `${base}-${n}`;
      if (!(await get(id))) return id;
    }
  }
}
