/**
 * E-mail over SMTP with nodemailer. The transporter is built by the composition root
 * (host, port, TLS, auth); this adapter only maps one delivery to one message and the SMTP
 * answer to an outcome: 4xx replies and connection errors are retried, 5xx replies fail.
 * The idempotency key goes into the Message-ID so a receiving system can drop a duplicate.
 */
import type { Transporter } from 'nodemailer';
import type { ChannelAdapter, DeliveryRequest, Outcome } from '../types.ts';

export interface EmailChannelOptions {
  transporter: Pick<Transporter, 'sendMail'>;
  from: string;
  /** Domain used in Message-IDs. */
  domain: string;
}

export class EmailChannel implements ChannelAdapter {
  readonly name = 'email' as const;
  constructor(private readonly o: EmailChannelOptions) {}

  async send(d: DeliveryRequest): Promise<Outcome> {
    const messageId = `<${d.key.replace(/[^A-Za-z0-9._-]/g, '.')}@${this.o.domain}>`;
    try {
      const info = await this.o.transporter.sendMail({
        from: this.o.from,
        to: d.address,
        subject: d.message.subject,
        text: d.message.body,
        messageId,
        headers: { 'X-Relais-Idempotency-Key': d.key, 'X-Relais-Alert': d.alert },
      });
      const rejected = (info as { rejected?: unknown[] }).rejected ?? [];
      if (rejected.length > 0) return { status: 'fail', detail: 'recipient rejected' };
      return { status: 'ok', detail: String((info as { response?: string }).response ?? '').slice(0, 120) };
    } catch (err) {
      const e = err as { responseCode?: number; code?: string; message: string };
      if (e.responseCode && e.responseCode >= 500) return { status: 'fail', detail: `SMTP ${e.responseCode}: ${e.message}` };
      return { status: 'retry', detail: `SMTP ${e.responseCode ?? e.code ?? ''}: ${e.message}`.trim() };
    }
  }
}
