/**
 * Webhook: `POST <url>` with the alert as JSON, signed with HMAC-SHA256 over
 * `<unix seconds>.<body>` in `relais-signature: t=<seconds>,v1=<hex>` (the scheme Stripe and
 * others use, so receivers can reject replays by age), plus `relais-event` and
 * `relais-idempotency-key`. 2xx is delivered; 408/425/429/5xx and network errors retry.
 * `verifyWebhookSignature` is what a receiver runs (constant-time compare, 5 min tolerance).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../../lib/clock.ts';
import type { ChannelAdapter, DeliveryRequest, Outcome } from '../types.ts';
import { outcomeForStatus } from '../types.ts';

export const SIGNATURE_HEADER = 'relais-signature';

export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export function verifyWebhookSignature(secret: string, header: string | undefined, body: string, nowMs: number, toleranceSeconds = 300): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1 || Math.abs(nowMs / 1000 - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, body, t).split('v1=')[1]!, 'hex');
  const got = Buffer.from(parts.v1, 'hex');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

export interface WebhookChannelOptions {
  clock: Clock;
  secretFor: (name: string) => string | undefined;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export class WebhookChannel implements ChannelAdapter {
  readonly name = 'webhook' as const;
  constructor(private readonly o: WebhookChannelOptions) {}

  async send(d: DeliveryRequest): Promise<Outcome> {
    const secret = d.secretName ? this.o.secretFor(d.secretName) : undefined;
    if (!secret) return { status: 'fail', detail: `no webhook secret named ${d.secretName ?? '(none)'}` };
    const body = JSON.stringify({ event: d.alert, idempotencyKey: d.key, ...d.message.data });
    const f = this.o.fetch ?? fetch;
    try {
      const res = await f(d.address, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signWebhook(secret, body, Math.floor(this.o.clock.now() / 1000)),
          'relais-event': d.alert,
          'relais-idempotency-key': d.key,
        },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      return outcomeForStatus(res.status, '');
    } catch (err) {
      return { status: 'retry', detail: `webhook unreachable: ${(err as Error).message}` };
    }
  }
}
