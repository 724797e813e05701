/**
 * A hub-shaped fastify app around the dispatch plugin, for integration tests: socket.io
 * attached directly (as hub/app.ts does), bearer tokens mapped to principals, real channels
 * to real local peers — the SMS gateway simulator, an SMTP sink (smtp-server) reached with
 * nodemailer, and a webhook receiver that verifies signatures. The engine runs on a manual clock.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { Server } from 'socket.io';
import { SMTPServer } from 'smtp-server';
import nodemailer from 'nodemailer';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../fakes/manual-clock.ts';
import { silentLogger } from '../../lib/logger.ts';
import type { Rota } from '../../protocol/dispatch.ts';
import { DispatchEngine } from '../../hub/dispatch/engine.ts';
import { dispatchRoutes, type DispatchPrincipal } from '../../hub/dispatch/routes.ts';
import { dispatchFiles } from '../../hub/dispatch/store/files.ts';
import { WebChannel } from '../../hub/notify/channels/web.ts';
import { SmsChannel } from '../../hub/notify/channels/sms.ts';
import { EmailChannel } from '../../hub/notify/channels/email.ts';
import { WebhookChannel, verifyWebhookSignature, SIGNATURE_HEADER } from '../../hub/notify/channels/webhook.ts';
import { startSmsGateway, type SmsGateway } from '../../simulators/sms-gateway/server.ts';

export interface Mail {
  to: string[];
  raw: string;
}

export interface Hook {
  event: string;
  body: Record<string, unknown>;
  verified: boolean;
}

export interface Harness {
  url: string;
  app: FastifyInstance;
  engine: DispatchEngine;
  clock: ManualClock;
  gateway: SmsGateway;
  mails: Mail[];
  hooks: Hook[];
  webhookUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

export const WEBHOOK_SECRET = 'whsec-test-0123456789abcdef';

export async function startHarness(rota: (webhookUrl: string) => Rota, tokens: Record<string, DispatchPrincipal>, start = '2026-06-02T20:00:00Z'): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'relais-dispatch-'));
  const clock = new ManualClock(start);
  const gateway = await startSmsGateway({ token: 'gw-token' });

  const mails: Mail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  const hooks: Hook[] = [];
  const receiver = Fastify({ logger: false });
  receiver.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  receiver.post('/hook', async (req) => {
    const raw = req.body as string;
    hooks.push({ event: String(req.headers['relais-event']), body: JSON.parse(raw), verified: verifyWebhookSignature(WEBHOOK_SECRET, req.headers[SIGNATURE_HEADER] as string, raw, clock.now()) });
    return { ok: true };
  });
  const webhookUrl = `${await receiver.listen({ port: 0, host: '127.0.0.1' })}/hook`;

  const files = dispatchFiles(dataDir);
  const web = new WebChannel();
  const transporter = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
  const engine = new DispatchEngine({
    clock,
    logger: silentLogger(),
    rotaStore: files.rotaStore,
    caseStore: files.caseStore,
    notify: {
      channels: [
        web,
        new SmsChannel({ url: gateway.url, token: 'gw-token', sender: 'RELAIS' }),
        new EmailChannel({ transporter, from: 'Relais <relais@hub.test>', domain: 'hub.test' }),
        new WebhookChannel({ clock, secretFor: (n) => (n === 'site' ? WEBHOOK_SECRET : undefined) }),
      ],
      store: files.deliveryStore,
      random: () => 0.5,
    },
    initialRota: rota(webhookUrl),
  });

  const app = Fastify({ logger: false });
  const io = new Server(app.server);
  app.addHook('preClose', (done) => {
    io.local.disconnectSockets(true);
    done();
  });
  app.addHook('onClose', (_i, done) => {
    io.close();
    done();
  });
  const bearer = (h: string | undefined) => (h?.startsWith('Bearer ') ? tokens[h.slice(7)] ?? null : null);
  await app.register(dispatchRoutes, {
    engine,
    io,
    webChannel: web,
    authenticate: async (req) => bearer(req.headers.authorization),
    authenticateSocket: async (s) => tokens[String((s.handshake.auth as { token?: string }).token)] ?? null,
  });
  await engine.start();
  const url = await app.listen({ port: 0, host: '127.0.0.1' });

  return {
    url, app, engine, clock, gateway, mails, hooks, webhookUrl, dataDir,
    async close() {
      await engine.stop();
      await app.close();
      await receiver.close();
      await gateway.close();
      transporter.close();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
