/**
 * SMS through an HTTP SMS gateway. Request: `POST <url>` with JSON
 * `{ to, text, sender, reference }`, `authorization: Bearer <token>` and `idempotency-key`;
 * any 2xx is accepted (the gateway queues it), 408/425/429/5xx and network errors are
 * retried, other statuses fail. simulators/sms-gateway speaks this contract.
 * Contract: the text is sent as given, cut to `maxChars` (4 concatenated SMS by default);
 * callers build it from case fields only (no patient identifier can reach it).
 */
import type { ChannelAdapter, DeliveryRequest, Outcome } from '../types.ts';
import { outcomeForStatus } from '../types.ts';

export interface SmsChannelOptions {
  url: string;
  token: string;
  sender: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  maxChars?: number;
}

export class SmsChannel implements ChannelAdapter {
  readonly name = 'sms' as const;
  constructor(private readonly o: SmsChannelOptions) {}

  async send(d: DeliveryRequest): Promise<Outcome> {
    const f = this.o.fetch ?? fetch;
    const text = d.message.short.slice(0, this.o.maxChars ?? 612);
    try {
      const res = await f(this.o.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.o.token}`, 'idempotency-key': d.key },
        body: JSON.stringify({ to: d.address, text, sender: this.o.sender, reference: d.key }),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
      });
      const body = (await res.text()).slice(0, 200);
      return outcomeForStatus(res.status, res.ok ? '' : body);
    } catch (err) {
      return { status: 'retry', detail: `gateway unreachable: ${(err as Error).message}` };
    }
  }
}
