/**
 * SMS gateway simulator: the HTTP contract of hub/notify/channels/sms.ts, recording every
 * message instead of sending it. `POST /messages` (bearer token) with `{ to, text, sender,
 * reference }` → 202 `{ id }`; a repeated `idempotency-key` → 200 with the first id and no new
 * record (as real gateways dedupe). `GET /messages` lists what was recorded. Faults for tests:
 * `failNext(n, status)` answers the next n sends with that status (default 503).
 * Optionally appends each message as a JSON line to `recordFile`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { appendFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';

export interface RecordedSms {
  id: string;
  to: string;
  text: string;
  sender?: string;
  reference?: string;
  idempotencyKey?: string;
  receivedAt: string;
}

export interface SmsGatewayOptions {
  port?: number;
  host?: string;
  token: string;
  recordFile?: string;
}

export interface SmsGateway {
  url: string;
  app: FastifyInstance;
  messages(): RecordedSms[];
  /** Requests seen, duplicates and failures included. */
  requests(): number;
  failNext(n: number, status?: number): void;
  close(): Promise<void>;
}

export async function startSmsGateway(o: SmsGatewayOptions): Promise<SmsGateway> {
  const app = Fastify({ logger: false, bodyLimit: 16_384 });
  const messages: RecordedSms[] = [];
  const byKey = new Map<string, RecordedSms>();
  let requests = 0;
  let failures: { n: number; status: number } = { n: 0, status: 503 };

  app.addHook('onRequest', async (req, reply) => {
    if (req.headers.authorization !== `Bearer ${o.token}`) return reply.code(401).send({ error: 'unauthorized' });
  });

  app.post<{ Body: { to?: unknown; text?: unknown; sender?: unknown; reference?: unknown } }>('/messages', async (req, reply) => {
    requests++;
    if (failures.n > 0) {
      failures.n--;
      return reply.code(failures.status).send({ error: 'injected failure' });
    }
    const { to, text, sender, reference } = req.body ?? {};
    if (typeof to !== 'string' || !/^\+[1-9][0-9]{6,14}$/.test(to)) return reply.code(400).send({ error: 'to must be E.164' });
    if (typeof text !== 'string' || text.length === 0 || text.length > 612) return reply.code(400).send({ error: 'text must be 1..612 characters' });
    const key = req.headers['idempotency-key'];
    const idempotencyKey = typeof key === 'string' ? key : undefined;
    const seen = idempotencyKey ? byKey.get(idempotencyKey) : undefined;
    if (seen) return reply.code(200).send({ id: seen.id, duplicate: true });
    const m: RecordedSms = {
      id: randomUUID(), to, text, receivedAt: new Date().toISOString(),
      ...(typeof sender === 'string' ? { sender } : {}),
      ...(typeof reference === 'string' ? { reference } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
    };
    messages.push(m);
    if (idempotencyKey) byKey.set(idempotencyKey, m);
    if (o.recordFile) await appendFile(o.recordFile, `${JSON.stringify(m)}\n`);
    return reply.code(202).send({ id: m.id });
  });

  app.get('/messages', async () => ({ messages }));

  const address = await app.listen({ port: o.port ?? 0, host: o.host ?? '127.0.0.1' });
  return {
    url: `${address}/messages`,
    app,
    messages: () => messages.map((m) => ({ ...m })),
    requests: () => requests,
    failNext(n, status = 503) {
      failures = { n, status };
    },
    close: () => app.close(),
  };
}
