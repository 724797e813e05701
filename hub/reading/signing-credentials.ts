/**
 * Signing credentials: per user, the signing password (scrypt, node:crypto) re-entered at each
 * signature, and optionally a TOTP secret (enrolled, then confirmed with a first code). One
 * JSON file per user under DATA/signing/ (mode 0600), validated when read, written durably;
 * the last accepted TOTP step is stored with it so a code is never accepted twice, even after
 * a restart. Passwords and secrets never leave this module except the TOTP secret once, at
 * enrolment, for the user to type into their app.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { ensureDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { check } from '../../protocol/validate.ts';
import { IsoDateTime } from '../../protocol/common.ts';
import { KeyedMutex } from '../storage/keyed-mutex.ts';
import { base32Decode, base32Encode, verifyTotp } from './totp.ts';

const SCRYPT: ScryptOptions = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
export const MIN_PASSWORD_LENGTH = 12;

function scrypt(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password.normalize('NFC'), salt, 32, SCRYPT, (err, key) => (err ? reject(err) : resolve(key))));
}

export const SigningCredential = Type.Object({
  v: Type.Literal(1),
  userId: Type.String({ minLength: 1, maxLength: 128 }),
  password: Type.Optional(Type.Object({ saltHex: Type.String(), hashHex: Type.String(), setAt: IsoDateTime })),
  totp: Type.Optional(Type.Object({ secretBase32: Type.String(), enrolledAt: IsoDateTime, confirmedAt: Type.Optional(IsoDateTime), lastStep: Type.Integer() })),
});
export type SigningCredential = Static<typeof SigningCredential>;

export type ReauthResult = { ok: true } | { ok: false; reason: 'no-password' | 'wrong-password' | 'totp-required' | 'totp-wrong' | 'totp-replayed' };

export class SigningCredentials {
  readonly #dir: string;
  readonly #lock = new KeyedMutex();

  constructor(dir: string) {
    this.#dir = dir;
  }

  #path(userId: string): string {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(userId)) throw new Error('invalid user id');
    return join(this.#dir, `${userId}.json`);
  }

  async get(userId: string): Promise<SigningCredential | undefined> {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(this.#path(userId), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (!check(SigningCredential, raw)) throw new Error('invalid signing credential file');
    return raw;
  }

  async #put(c: SigningCredential): Promise<void> {
    await ensureDir(this.#dir);
    await writeFileDurable(this.#path(c.userId), JSON.stringify(c), { mode: 0o600 });
  }

  /** What the pages show: whether a password is set, whether a TOTP is active. */
  async status(userId: string): Promise<{ password: boolean; totp: 'none' | 'pending' | 'active' }> {
    const c = await this.get(userId);
    return { password: !!c?.password, totp: !c?.totp ? 'none' : c.totp.confirmedAt ? 'active' : 'pending' };
  }

  async checkPassword(userId: string, password: string): Promise<boolean> {
    const c = await this.get(userId);
    if (!c?.password) return false;
    const key = await scrypt(password, Buffer.from(c.password.saltHex, 'hex'));
    return timingSafeEqual(key, Buffer.from(c.password.hashHex, 'hex'));
  }

  async setPassword(userId: string, password: string, at: string): Promise<void> {
    if (password.length < MIN_PASSWORD_LENGTH || password.length > 256) throw new Error('password length');
    const salt = randomBytes(16);
    const hash = await scrypt(password, salt);
    await this.#lock.run(userId, async () => {
      const c = (await this.get(userId)) ?? { v: 1 as const, userId };
      await this.#put({ ...c, password: { saltHex: salt.toString('hex'), hashHex: hash.toString('hex'), setAt: at } });
    });
  }

  /** Starts (or restarts) a TOTP enrolment: returns the secret (Base32) to show once. */
  async enrolTotp(userId: string, at: string): Promise<string> {
    const secret = base32Encode(randomBytes(20));
    await this.#lock.run(userId, async () => {
      const c = (await this.get(userId)) ?? { v: 1 as const, userId };
      if (c.totp?.confirmedAt) throw new Error('a TOTP is already active');
      await this.#put({ ...c, totp: { secretBase32: secret, enrolledAt: at, lastStep: -1 } });
    });
    return secret;
  }

  /** Confirms a pending enrolment with a first code (which is then spent). */
  async confirmTotp(userId: string, code: string, nowMs: number, at: string): Promise<boolean> {
    return this.#lock.run(userId, async () => {
      const c = await this.get(userId);
      if (!c?.totp || c.totp.confirmedAt) return false;
      const r = verifyTotp(base32Decode(c.totp.secretBase32), code, nowMs, c.totp.lastStep);
      if (!r.ok) return false;
      await this.#put({ ...c, totp: { ...c.totp, confirmedAt: at, lastStep: r.step } });
      return true;
    });
  }

  /**
   * Re-authentication at signature: the signing password, then the TOTP code when one is
   * active (its step is spent before this resolves ok). Serialised per user, so two
   * signatures racing with one code cannot both pass.
   */
  async reauthenticate(userId: string, password: string, code: string | undefined, nowMs: number): Promise<ReauthResult> {
    return this.#lock.run(userId, async () => {
      const c = await this.get(userId);
      if (!c?.password) return { ok: false, reason: 'no-password' } as const;
      if (!(await this.checkPassword(userId, password))) return { ok: false, reason: 'wrong-password' } as const;
      if (!c.totp?.confirmedAt) return { ok: true } as const;
      if (!code) return { ok: false, reason: 'totp-required' } as const;
      const r = verifyTotp(base32Decode(c.totp.secretBase32), code, nowMs, c.totp.lastStep);
      if (!r.ok) return { ok: false, reason: r.reason === 'replayed' ? 'totp-replayed' : 'totp-wrong' } as const;
      await this.#put({ ...c, totp: { ...c.totp, lastStep: r.step } });
      return { ok: true } as const;
    });
  }
}
