/**
 * The live fleet channel (socket.io namespace /fleet, protocol/fleet.ts): the handshake must
 * carry a signed-in user allowed to read the fleet (session cookie, or `auth.token` bearer);
 * others are refused. On connect the client gets a snapshot; afterwards every agent or study
 * change is pushed as a whole view. `snapshot:get` answers a fresh snapshot (reconnects).
 * Every `recheckMs` each socket's credentials are checked again: signing out, a revoked user
 * or a rotated token disconnects the page.
 */
import type { Server, Socket } from 'socket.io';
import { FLEET_NAMESPACE, type FleetClientToServer, type FleetServerToClient } from '../../protocol/fleet.ts';
import type { Authenticator, Principal } from '../auth/authenticator.ts';
import { SESSION_COOKIE } from '../auth/sessions.ts';
import { roleMay } from '../auth/roles.ts';
import type { FleetState } from './fleet-state.ts';
import type { Clock, TimerHandle } from '../../lib/clock.ts';

interface Creds {
  bearer?: string;
  sessionId?: string;
}
type FleetSocket = Socket<FleetClientToServer, FleetServerToClient, Record<string, never>, { principal: Principal; creds: Creds }>;

export function attachFleetSocket(
  io: Server,
  fleet: FleetState,
  auth: Authenticator,
  parseCookie: (header: string) => Record<string, string | undefined>,
  recheck: { clock: Clock; recheckMs: number },
): () => void {
  const nsp = io.of(FLEET_NAMESPACE);
  nsp.use((socket, next) => {
    const s = socket as FleetSocket;
    const token = (s.handshake.auth as { token?: unknown } | undefined)?.token;
    const cookieHeader = s.handshake.headers.cookie;
    const creds: Creds = {};
    if (typeof token === 'string') creds.bearer = token;
    const sid = cookieHeader ? parseCookie(cookieHeader)[SESSION_COOKIE] : undefined;
    if (sid) creds.sessionId = sid;
    auth.user(creds).then(
      (id) => {
        if (!id.ok) return next(new Error(id.reason === 'missing' ? 'RELAIS_AUTH_MISSING' : 'RELAIS_AUTH_INVALID'));
        if (id.principal.kind !== 'user' || !roleMay(id.principal.role, 'fleet:read')) return next(new Error('RELAIS_AUTH_FORBIDDEN'));
        s.data.principal = id.principal;
        s.data.creds = creds;
        next();
      },
      (err: Error) => next(err),
    );
  });
  nsp.on('connection', (socket) => {
    const s = socket as FleetSocket;
    s.on('snapshot:get', (ack) => {
      if (typeof ack !== 'function') return;
      fleet.snapshot().then(ack, () => {});
    });
    fleet.snapshot().then((snap) => s.emit('snapshot', snap), () => {});
  });
  const offAgent = fleet.on('agent', (a) => nsp.emit('agent:update', a));
  const offStudy = fleet.on('study', (st) => nsp.emit('study:update', st));
  let timer: TimerHandle | undefined;
  let stopped = false;
  const sweep = async () => {
    for (const socket of nsp.sockets.values()) {
      const s = socket as FleetSocket;
      const id = await auth.user(s.data.creds ?? {}).catch(() => undefined);
      if (!id?.ok || id.principal.kind !== 'user' || !roleMay(id.principal.role, 'fleet:read')) s.disconnect(true);
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = recheck.clock.setTimeout(() => void sweep().finally(schedule), recheck.recheckMs);
  };
  schedule();
  return () => {
    stopped = true;
    recheck.clock.clearTimeout(timer);
    offAgent();
    offStudy();
  };
}
