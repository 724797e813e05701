/**
 * The pages' connection to the /dispatch socket.io namespace (the session cookie authenticates
 * it): the live indicator follows it, `onConnect` runs at each (re)connection so the page
 * catches up with what it missed, and a refused sign-in goes back to the sign-in page.
 */
import { io, type Socket } from 'socket.io-client';
import type { Frame } from './frame.ts';

export function connectDispatch(frame: Frame, onConnect: () => void): Socket {
  const socket: Socket = io('/dispatch', { withCredentials: true, transports: ['websocket', 'polling'] });
  socket.on('connect', () => {
    frame.setLive(true);
    onConnect();
  });
  socket.on('disconnect', () => frame.setLive(false));
  socket.on('connect_error', (err) => {
    frame.setLive(false);
    if (/RELAIS_AUTH_(MISSING|INVALID)/.test(err.message)) location.replace('/login');
  });
  return socket;
}
