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
import type { Authenticator, UserPrincipal } from '../auth/authenticator.ts';
import { roleMay } from '../auth/roles.ts';
import { admitSocket, recheckSockets, type CookieParser } from '../auth/socket-auth.ts';
import type { FleetState } from './fleet-state.ts';
import type { Clock } from '../../lib/clock.ts';

type FleetSocket = Socket<FleetClientToServer, FleetServerToClient>;

const mayReadFleet = (p: UserPrincipal) => roleMay(p.role, 'fleet:read');

export function attachFleetSocket(
  io: Server,
  fleet: FleetState,
  auth: Authenticator,
  parseCookie: CookieParser,
  recheck: { clock: Clock; recheckMs: number },
): () => void {
  const nsp = io.of(FLEET_NAMESPACE);
  nsp.use((socket, next) => {
    admitSocket(socket, auth, parseCookie, mayReadFleet).then(
      (a) => next(a.ok ? undefined : new Error(a.code)),
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
  const stopRecheck = recheckSockets(nsp, auth, mayReadFleet, recheck.clock, recheck.recheckMs);
  return () => {
    stopRecheck();
    offAgent();
    offStudy();
  };
}
