/**
 * The local page's users (the site's clinicians and technicians): one file per user under
 * <data>/local-ui/users/<id>.json, mode 0600, holding only an scrypt hash of the password
 * (N=2^15, r=8, p=1, 16-byte salt). Decision: local named users rather than one shared site
 * secret, so every request and every look at a patient's answer is traceable to a person
 * (CSP R6316: authenticated professionals). There is no default user: the page refuses
 * everyone until `relais agent user add` has created one.
 * Contract: `verify` takes the same time whether the user exists or not (a dummy hash is
 * checked for unknown users); passwords are at least 8 characters.
 */
import { readFile, readdir } from 'node:fs/promises';
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { ensureDir, writeFileDurable } from '../../lib/durable-fs.ts';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
const PARAMS = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export interface LocalUser {
  id: string;
  displayName: string;
  role: 'clinician' | 'technician' | 'admin';
  salt: string;
  hash: string;
  createdAt: string;
}

export const USER_ID_RE = /^[a-z0-9][a-z0-9._-]{1,39}$/;

export class LocalUsers {
  readonly #dir: string;
  #dummy: { salt: Buffer; hash: Buffer } | undefined;

  constructor(dataDir: string) {
    this.#dir = join(dataDir, 'local-ui', 'users');
  }

  async add(id: string, displayName: string, role: LocalUser['role'], password: string, now: Date): Promise<void> {
    if (!USER_ID_RE.test(id)) throw new Error('user id: 2–40 lower-case letters, digits, . _ -');
    if (password.length < 8) throw new Error('password: at least 8 characters');
    const salt = randomBytes(16);
    const hash = await scrypt(password.normalize('NFC'), salt, 32, PARAMS);
    await ensureDir(this.#dir);
    const user: LocalUser = { id, displayName: displayName.slice(0, 120), role, salt: salt.toString('base64'), hash: hash.toString('base64'), createdAt: now.toISOString() };
    await writeFileDurable(join(this.#dir, `${id}.json`), JSON.stringify(user), { mode: 0o600 });
  }

  async count(): Promise<number> {
    try {
      return (await readdir(this.#dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).length;
    } catch {
      return 0;
    }
  }

  async get(id: string): Promise<LocalUser | undefined> {
    if (!USER_ID_RE.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(join(this.#dir, `${id}.json`), 'utf8')) as LocalUser;
    } catch {
      return undefined;
    }
  }

  async verify(id: string, password: string): Promise<LocalUser | undefined> {
    const user = await this.get(id.trim().toLowerCase());
    this.#dummy ??= { salt: randomBytes(16), hash: randomBytes(32) };
    const salt = user ? Buffer.from(user.salt, 'base64') : this.#dummy.salt;
    const expected = user ? Buffer.from(user.hash, 'base64') : this.#dummy.hash;
    const actual = await scrypt(password.normalize('NFC'), salt, 32, PARAMS);
    return user && actual.length === expected.length && timingSafeEqual(actual, expected) ? user : undefined;
  }
}
