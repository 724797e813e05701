/**
 * Web sessions: an unguessable id (256 bits) in an httpOnly, SameSite=Strict cookie, mapped
 * in memory to the user who signed in. Sessions end after `idleMs` without use, `maxMs` after
 * sign-in, on sign-out, and when the user's token is rotated or revoked (checked on each use
 * by the caller against the identity store). A hub restart signs everyone out (by design:
 * nothing secret on disk).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.ts';

export const SESSION_COOKIE = 'relais_session';

export interface Session {
  id: string;
  userId: string;
  /** The user's credentialIssuedAt when signing in: a rotated token ends the session. */
  credentialIssuedAt: string;
  createdAt: number;
  lastUsedAt: number;
}

export class SessionStore {
  readonly #clock: Clock;
  readonly #idleMs: number;
  readonly #maxMs: number;
  readonly #sessions = new Map<string, Session>();

  constructor(clock: Clock, idleMs: number, maxMs: number) {
    this.#clock = clock;
    this.#idleMs = idleMs;
    this.#maxMs = maxMs;
  }

  create(userId: string, credentialIssuedAt: string): Session {
    const now = this.#clock.now();
    this.#sweep(now);
    const s: Session = { id: randomBytes(32).toString('base64url'), userId, credentialIssuedAt, createdAt: now, lastUsedAt: now };
    this.#sessions.set(s.id, s);
    return s;
  }

  /** The live session with this id (touching it), or undefined. */
  use(id: string | undefined): Session | undefined {
    if (!id || id.length > 64) return undefined;
    const s = this.#sessions.get(id);
    if (!s) return undefined;
    const now = this.#clock.now();
    if (now - s.lastUsedAt > this.#idleMs || now - s.createdAt > this.#maxMs) {
      this.#sessions.delete(id);
      return undefined;
    }
    s.lastUsedAt = now;
    return s;
  }

  destroy(id: string | undefined): void {
    if (id) this.#sessions.delete(id);
  }

  get size(): number {
    return this.#sessions.size;
  }

  #sweep(now: number): void {
    for (const [id, s] of this.#sessions) {
      if (now - s.lastUsedAt > this.#idleMs || now - s.createdAt > this.#maxMs) this.#sessions.delete(id);
    }
  }
}
