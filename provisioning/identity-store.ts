/**
 * The identities of one hub, on disk: DATA/identities/agents/<id>.json and .../users/<id>.json,
 * one file per identity (so `relais provision` and a running hub never share a file), written
 * durably (temp, fsync, rename, fsync dir), mode 0600 in 0700 directories.
 * Contract: issuing returns the secret once and stores only its hash; issuing again for an
 * existing name rotates the secret (the previous one stops working at once, since the hub
 * reads the file on every check); verify* return the identity only for a valid, unrevoked
 * secret, in constant time with respect to the secret's value.
 */
import { readFile, readdir, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir, writeFileDurable } from '../lib/durable-fs.ts';
import { check } from '../protocol/validate.ts';
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

  /** Registers an agent, or rotates the credential of the agent with that exact name. */
  async issueAgent(name: string): Promise<IssuedAgent> {
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
    await writeFileDurable(join(dir, `${id}.json`), `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 });
    return { identity, credential, rotated: Boolean(existing) };
  }

  /** Registers a user, or issues a new token (and sets the role) for the user with that name. */
  async issueUser(name: string, role: Role, displayName?: string): Promise<IssuedUser> {
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
