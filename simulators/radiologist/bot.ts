/**
 * Simulated radiologist: a client of the hub's public dispatch interface only (HTTP + the
 * `/dispatch` socket.io namespace), as a radiologist's page would be. It records what it is
 * told (assignments, escalations, case updates) and takes cases in charge according to its
 * behaviour: at once, never (to provoke escalations), or after a delay (real time: for load
 * and demos, not for tests' synchronisation). Emits 'assignment', 'escalation', 'acknowledged'.
 */
import { EventEmitter } from 'node:events';
import { io, type Socket } from 'socket.io-client';
import { DISPATCH_NAMESPACE, DISPATCH_ROUTES, type AssignmentEvent, type EscalationEvent, type WorklistItem } from '../../protocol/dispatch.ts';

export type AckBehaviour = 'immediately' | 'never' | { afterMs: number };

export interface RadiologistBotOptions {
  hubUrl: string;
  token: string;
  acknowledge: AckBehaviour;
  /** Also take in charge cases escalated to this radiologist (default true). */
  acknowledgeEscalations?: boolean;
}

export class RadiologistBot extends EventEmitter {
  readonly assignments: AssignmentEvent[] = [];
  readonly escalations: EscalationEvent[] = [];
  readonly updates: WorklistItem[] = [];
  readonly acknowledged: string[] = [];
  readonly errors: string[] = [];
  #socket: Socket | undefined;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(private readonly o: RadiologistBotOptions) {
    super();
  }

  async connect(): Promise<void> {
    const socket = io(`${this.o.hubUrl}${DISPATCH_NAMESPACE}`, { auth: { token: this.o.token }, transports: ['websocket'], reconnection: true });
    this.#socket = socket;
    socket.on('assignment', (e: AssignmentEvent) => {
      this.assignments.push(e);
      this.emit('assignment', e);
      this.#maybeAck(e.item.caseId);
    });
    socket.on('escalation', (e: EscalationEvent) => {
      this.escalations.push(e);
      this.emit('escalation', e);
      if (this.o.acknowledgeEscalations !== false) this.#maybeAck(e.caseId);
    });
    socket.on('case:update', (c: WorklistItem) => {
      this.updates.push(c);
      this.emit('case:update', c);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(err));
    });
  }

  #maybeAck(caseId: string): void {
    const b = this.o.acknowledge;
    if (b === 'never') return;
    if (b === 'immediately') return void this.acknowledge(caseId).catch((err) => this.errors.push(String(err)));
    const t = setTimeout(() => {
      this.#timers.delete(t);
      void this.acknowledge(caseId).catch((err) => this.errors.push(String(err)));
    }, b.afterMs);
    this.#timers.add(t);
  }

  async #http(method: string, path: string): Promise<unknown> {
    const res = await fetch(`${this.o.hubUrl}${path}`, { method, headers: { authorization: `Bearer ${this.o.token}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) }, ...(method === 'POST' ? { body: '{}' } : {}) });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(body)}`);
    return body;
  }

  async acknowledge(caseId: string): Promise<WorklistItem> {
    const item = (await this.#http('POST', DISPATCH_ROUTES.acknowledge(caseId))) as WorklistItem;
    this.acknowledged.push(caseId);
    this.emit('acknowledged', item);
    return item;
  }

  async worklist(): Promise<WorklistItem[]> {
    return ((await this.#http('GET', DISPATCH_ROUTES.worklist)) as { items: WorklistItem[] }).items;
  }

  /** The worklist over the socket (what a page asks on reconnect). */
  worklistOverSocket(): Promise<WorklistItem[]> {
    return new Promise((resolve) => this.#socket!.emit('worklist:get', (items: WorklistItem[]) => resolve(items)));
  }

  close(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#socket?.close();
  }
}
