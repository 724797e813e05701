/**
 * Who is asking: turns a request's credentials (Authorization: Bearer, or the session cookie)
 * into a Principal, checking the identity store on every call (so revocation and rotation
 * take effect at once). Used by HTTP routes and by socket.io handshakes alike.
 * Result: a principal, `missing` (no credential presented) or `invalid` (presented, refused).
 */
import type { IdentityStore } from '../../provisioning/identity-store.ts';
import { agentSiteId, type Role, type UserIdentity } from '../../provisioning/identity-schema.ts';
import type { SessionStore } from './sessions.ts';

/**
 * Agents carry the site they send for; users carry their dispatch links (a radiologist's rota
 * id, a clinician's sites), read from the identity on every request like the role.
 */
export type Principal =
  | { kind: 'agent'; agentId: string; name: string; siteId: string }
  | {
      kind: 'user'; userId: string; name: string; displayName: string; role: Role; via: 'session' | 'bearer'; sessionId?: string;
      radiologistId?: string; siteIds?: string[];
    };

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

export type Identification = { ok: true; principal: Principal } | { ok: false; reason: 'missing' | 'invalid' };

export interface PresentedCredentials {
  bearer?: string;
  sessionId?: string;
}

export function bearerOf(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return m?.[1] ?? '';
}

export class Authenticator {
  readonly #identities: IdentityStore;
  readonly #sessions: SessionStore;

  constructor(identities: IdentityStore, sessions: SessionStore) {
    this.#identities = identities;
    this.#sessions = sessions;
  }

  get sessions(): SessionStore {
    return this.#sessions;
  }

  get identities(): IdentityStore {
    return this.#identities;
  }

  /** Agent routes: only an agent credential is accepted. */
  async agent(c: PresentedCredentials): Promise<Identification> {
    if (c.bearer === undefined) return { ok: false, reason: 'missing' };
    const agent = await this.#identities.verifyAgentCredential(c.bearer);
    if (!agent) return { ok: false, reason: 'invalid' };
    return { ok: true, principal: { kind: 'agent', agentId: agent.id, name: agent.name, siteId: agentSiteId(agent) } };
  }

  /** User routes: a user bearer token, else the session cookie. */
  async user(c: PresentedCredentials): Promise<Identification> {
    if (c.bearer !== undefined) {
      const u = await this.#identities.verifyUserToken(c.bearer);
      if (!u) return { ok: false, reason: 'invalid' };
      return { ok: true, principal: userPrincipal(u, 'bearer') };
    }
    if (c.sessionId === undefined) return { ok: false, reason: 'missing' };
    const s = this.#sessions.use(c.sessionId);
    if (!s) return { ok: false, reason: 'invalid' };
    const u = await this.#identities.getUser(s.userId);
    if (!u || u.revokedAt || u.credentialIssuedAt !== s.credentialIssuedAt) {
      this.#sessions.destroy(s.id);
      return { ok: false, reason: 'invalid' };
    }
    return { ok: true, principal: userPrincipal(u, 'session', s.id) };
  }
}

function userPrincipal(u: UserIdentity, via: 'session' | 'bearer', sessionId?: string): UserPrincipal {
  const p: UserPrincipal = { kind: 'user', userId: u.id, name: u.name, displayName: u.displayName, role: u.role, via };
  if (sessionId) p.sessionId = sessionId;
  if (u.radiologistId) p.radiologistId = u.radiologistId;
  if (u.siteIds) p.siteIds = u.siteIds;
  return p;
}
