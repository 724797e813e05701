/**
 * Live web channel: emits the alert's event to a socket.io room (`radiologist:<id>`,
 * `operators`, `site:<id>`). The emitter is bound late, once the hub's socket.io server
 * exists; until then deliveries are retried. Socket.io does not store messages: a page that
 * was closed catches up from its worklist on connect, so an emit counts as delivered.
 */
import type { ChannelAdapter, DeliveryRequest, Outcome } from '../types.ts';

export type RoomEmitter = (room: string, event: string, payload: unknown) => void | Promise<void>;

export class WebChannel implements ChannelAdapter {
  readonly name = 'web' as const;
  #emit: RoomEmitter | undefined;

  bind(emit: RoomEmitter): void {
    this.#emit = emit;
  }

  async send(d: DeliveryRequest): Promise<Outcome> {
    if (!this.#emit) return { status: 'retry', detail: 'live channel not bound yet' };
    await this.#emit(d.address, d.message.event, { ...d.message.data, idempotencyKey: d.key });
    return { status: 'ok', detail: `room ${d.address}` };
  }
}
