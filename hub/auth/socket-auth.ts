/**
 * socket.io handshakes for the hub's live namespaces (/fleet, /dispatch): the credentials a
 * socket presents (the session cookie, or `auth.token` as a bearer token), their check by the
 * Authenticator, and a periodic re-check that disconnects sockets whose user signed out, was
 * revoked, had their token rotated or lost the role the namespace needs.
 * Contract: a socket is admitted only with a user principal passing `allowed`; its principal
 * and credentials are kept in `socket.data` (`principal`, `creds`).
 */
import type { Namespace, Socket } from 'socket.io';
import type { Clock, TimerHandle } from '../../lib/clock.ts';
import type { Authenticator, PresentedCredentials, UserPrincipal } from './authenticator.ts';
import { SESSION_COOKIE } from './sessions.ts';

export type CookieParser = (header: string) => Record<string, string | undefined>;

export function socketCredentials(socket: Socket, parseCookie: CookieParser): PresentedCredentials {
  const creds: PresentedCredentials = {};
  const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
  if (typeof token === 'string') creds.bearer = token;
  const header = socket.handshake.headers.cookie;
  const sid = header ? parseCookie(header)[SESSION_COOKIE] : undefined;
  if (sid) creds.sessionId = sid;
  return creds;
}

export type SocketAdmission = { ok: true; principal: UserPrincipal } | { ok: false; code: 'RELAIS_AUTH_MISSING' | 'RELAIS_AUTH_INVALID' | 'RELAIS_AUTH_FORBIDDEN' };

/** Checks a socket's credentials; on success keeps principal and credentials in `socket.data`. */
export async function admitSocket(socket: Socket, auth: Authenticator, parseCookie: CookieParser, allowed: (p: UserPrincipal) => boolean): Promise<SocketAdmission> {
  const creds = socketCredentials(socket, parseCookie);
  const id = await auth.user(creds);
  if (!id.ok) return { ok: false, code: id.reason === 'missing' ? 'RELAIS_AUTH_MISSING' : 'RELAIS_AUTH_INVALID' };
  if (id.principal.kind !== 'user' || !allowed(id.principal)) return { ok: false, code: 'RELAIS_AUTH_FORBIDDEN' };
  socket.data.principal = id.principal;
  socket.data.creds = creds;
  return { ok: true, principal: id.principal };
}

/** Every `everyMs` on the clock, re-checks each socket of `nsp`; returns the stop function. */
export function recheckSockets(nsp: Namespace, auth: Authenticator, allowed: (p: UserPrincipal) => boolean, clock: Clock, everyMs: number): () => void {
  let timer: TimerHandle | undefined;
  let stopped = false;
  const sweep = async () => {
    for (const socket of nsp.sockets.values()) {
      const id = await auth.user((socket.data.creds as PresentedCredentials | undefined) ?? {}).catch(() => undefined);
      if (!id?.ok || id.principal.kind !== 'user' || !allowed(id.principal)) socket.disconnect(true);
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = clock.setTimeout(() => void sweep().finally(schedule), everyMs);
  };
  schedule();
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
}
