/**
 * Notifier port: what an alert delivery is, and what a channel adapter must do.
 * A channel sends one message to one address and answers OK, RETRY (transient: timeout, 5xx,
 * 429, connection refused) or FAIL (permanent: refused address, 4xx), like an export stage.
 * Contract: a delivery is identified by its idempotency key (case + alert + recipient +
 * channel); adapters pass the key on (header or message id) so receivers can drop duplicates
 * left by a crash between sending and recording.
 */
import type { ChannelName } from '../../protocol/dispatch.ts';

export type { ChannelName };

export interface AlertMessage {
  /** E-mail subject. */
  subject: string;
  /** SMS text: short, and never any patient identifier. */
  short: string;
  /** E-mail body (plain text). */
  body: string;
  /** socket.io event name and payload, webhook payload. */
  event: string;
  data: Record<string, unknown>;
}

export interface RecipientRef {
  kind: 'radiologist' | 'clinician' | 'operator' | 'site';
  id: string;
  label: string;
}

export interface DeliveryRequest {
  key: string;
  caseId: string;
  alert: string;
  channel: ChannelName;
  recipient: RecipientRef;
  /** Room (web), E.164 number (sms), e-mail address, or URL (webhook). */
  address: string;
  /** Webhook only: name of the shared secret used to sign. */
  secretName?: string;
  message: AlertMessage;
}

export type Outcome = { status: 'ok'; detail?: string } | { status: 'retry'; detail: string } | { status: 'fail'; detail: string };

export interface Attempt {
  at: string;
  outcome: Outcome['status'];
  detail?: string;
  ms: number;
}

/** A delivery on record. Once settled, its message is reduced to the subject (the file stays small). */
export interface Delivery extends DeliveryRequest {
  status: 'pending' | 'sent' | 'failed';
  createdAt: string;
  attempts: Attempt[];
  nextAttemptAt?: string;
}

export interface ChannelAdapter {
  readonly name: ChannelName;
  send(d: DeliveryRequest): Promise<Outcome>;
}

/** Where deliveries are kept (whole list; one owner). */
export interface DeliveryStore {
  load(): Promise<Delivery[]>;
  save(all: Delivery[]): Promise<void>;
}

export function memoryDeliveryStore(initial: Delivery[] = []): DeliveryStore & { saved: number } {
  let text = JSON.stringify(initial);
  const store = {
    saved: 0,
    async load() {
      return JSON.parse(text) as Delivery[];
    },
    async save(all: Delivery[]) {
      text = JSON.stringify(all);
      store.saved++;
    },
  };
  return store;
}

/** Classifies an HTTP status for retry, as the agent's uplink does. */
export function outcomeForStatus(status: number, detail: string): Outcome {
  if (status >= 200 && status < 300) return { status: 'ok', detail };
  if (status === 408 || status === 425 || status === 429 || status >= 500) return { status: 'retry', detail: `HTTP ${status} ${detail}`.trim() };
  return { status: 'fail', detail: `HTTP ${status} ${detail}`.trim() };
}
