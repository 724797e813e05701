/**
 * `relais hub`: the hub's composition root. Builds the real adapters (system clock, pino on
 * stderr, the embedded stores of DATA, the alert channels of its configuration — hub/config.ts —
 * and the dispatch engine over DATA/dispatch), takes the data-directory lock, starts dispatch
 * (recovery pass), listens, and prints the listening URL on stdout (last line). With
 * `--wg-interface` it also runs the hub's WireGuard tunnel and HTTPS enrolment listener
 * (hub/tunnel/start.ts) and, unless `--host` is given, listens on its tunnel address. On
 * SIGTERM/SIGINT: stops accepting connections, lets in-flight uploads finish, closes socket.io,
 * stops the dispatch engine (timers cancelled, pending writes and alert sends finished), flushes
 * the stores, releases the lock, exits 0.
 */
import { readFile, chmod } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { createSystemClock } from '../lib/clock.ts';
import { createLogger } from '../lib/logger.ts';
import { ensureDir } from '../lib/durable-fs.ts';
import { buildApp } from './app.ts';
import { openHubStores } from './stores.ts';
import { lockDataDir, DataDirLockedError } from './storage/data-dir-lock.ts';
import { isLang } from './web/i18n.ts';
import type { HubOptions } from './options.ts';
import { parseCorsOrigins } from './dicomweb/cors.ts';
import { HubConfigError, configuredChannels, loadHubConfig, type HubConfig, type HubConfigFlags } from './config.ts';
import { openDispatch } from './dispatch/open-dispatch.ts';
import type { ChannelAdapter } from './notify/types.ts';
import { SmsChannel } from './notify/channels/sms.ts';
import { EmailChannel } from './notify/channels/email.ts';
import { WebhookChannel } from './notify/channels/webhook.ts';
import nodemailer from 'nodemailer';
import type { Clock } from '../lib/clock.ts';
import type { FleetState } from './fleet/fleet-state.ts';
import type { AddressInfo } from 'node:net';
import { tunnelOptionsFromCli, openHubTunnel, publishHubTunnel, TunnelOptionError, type TunnelCliOptions, type PublishedTunnel } from './tunnel/start.ts';

export interface HubCliOptions extends HubConfigFlags, TunnelCliOptions {
  data: string;
  port?: string;
  host?: string;
  logLevel?: string;
  lang?: string;
  maxInstanceMb?: string;
  staleSeconds?: string;
  offlineSeconds?: string;
  dicomwebCorsOrigin?: string;
}

/** The alert channels of a configuration (real adapters: HTTP, SMTP); `close` ends SMTP pooling. */
function alertChannels(config: HubConfig, clock: Clock): { channels: ChannelAdapter[]; close(): void } {
  const channels: ChannelAdapter[] = [];
  const n = config.notify;
  if (n.sms) channels.push(new SmsChannel({ url: n.sms.url, token: n.sms.token, sender: n.sms.sender }));
  let transporter: ReturnType<typeof nodemailer.createTransport> | undefined;
  if (n.email) {
    transporter = nodemailer.createTransport(n.email.smtpUrl);
    channels.push(new EmailChannel({ transporter, from: n.email.from, domain: n.email.domain }));
  }
  const secrets = n.webhookSecrets;
  if (Object.keys(secrets).length > 0) channels.push(new WebhookChannel({ clock, secretFor: (name) => secrets[name] }));
  return { channels, close: () => transporter?.close() };
}

async function packageVersion(): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function positive(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

export async function runHubFromCli(opts: HubCliOptions): Promise<number> {
  const dataDir = resolve(opts.data);
  const port = Number(opts.port ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be 0..65535\n`);
    process.exitCode = 2;
    return 2;
  }
  let config: HubConfig;
  try {
    config = await loadHubConfig(opts, { lang: opts.lang === 'en' ? 'en' : 'fr' });
  } catch (err) {
    if (!(err instanceof HubConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 2;
    return 2;
  }
  let tunnelOptions: ReturnType<typeof tunnelOptionsFromCli>;
  try {
    tunnelOptions = tunnelOptionsFromCli(opts);
  } catch (err) {
    if (!(err instanceof TunnelOptionError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 2;
    return 2;
  }
  let corsOrigins: string[];
  try {
    corsOrigins = parseCorsOrigins(opts.dicomwebCorsOrigin);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 2;
    return 2;
  }
  const logger = createLogger({ name: 'hub', level: opts.logLevel ?? 'info', destination: pino.destination({ dest: 2, sync: true }) });
  const clock = createSystemClock();
  await ensureDir(dataDir);
  await chmod(dataDir, 0o700); // patient data and secrets inside: owner only
  let lock: Awaited<ReturnType<typeof lockDataDir>>;
  try {
    lock = await lockDataDir(dataDir);
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
    return 1;
  }
  const stores = await openHubStores(dataDir, clock);
  if (stores.recoveredTempFiles > 0) logger.info({ removed: stores.recoveredTempFiles }, 'recovery: unacknowledged upload temp files removed');
  if (stores.catalog.rejected > 0) logger.warn({ rejected: stores.catalog.rejected }, 'recovery: invalid catalog records skipped');
  const options: Partial<HubOptions> = {};
  if (isLang(opts.lang)) options.defaultLang = opts.lang;
  const maxMb = positive(opts.maxInstanceMb, 'max-instance-mb');
  if (maxMb) options.maxInstanceBytes = Math.floor(maxMb * 1024 * 1024);
  const stale = positive(opts.staleSeconds, 'stale-seconds');
  if (stale) options.staleAfterMs = stale * 1000;
  const offline = positive(opts.offlineSeconds, 'offline-seconds');
  if (offline) options.offlineAfterMs = offline * 1000;
  options.dicomwebCorsOrigins = corsOrigins;
  const alerts = alertChannels(config, clock);
  let dispatch: Awaited<ReturnType<typeof openDispatch>>;
  try {
    dispatch = await openDispatch(dataDir, { clock, logger, channels: alerts.channels, hubZone: config.zone });
  } catch (err) {
    // A rota or case file that does not validate: refuse to run blind, say which and why.
    process.stderr.write(`dispatch: ${(err as Error).message}\n`);
    alerts.close();
    await stores.close();
    await lock.release();
    process.exitCode = 1;
    return 1;
  }
  logger.info({ channels: configuredChannels(config), zone: config.zone }, 'dispatch started');
  // The WireGuard tunnel (off by default): interface before listening, enrolment after.
  let fleetRef: FleetState | undefined;
  const opened = tunnelOptions ? await openHubTunnel(dataDir, tunnelOptions, { clock, logger, identities: stores.identities, fleet: () => fleetRef }) : undefined;
  const hub = await buildApp({
    clock, logger, ...stores, dispatch, options, version: await packageVersion(), clinical: { dataDir },
    ...(opened ? { tunnel: opened.tunnel } : {}),
  });
  fleetRef = hub.context.fleet;
  const host = opts.host ?? opened?.tunnel.hubAddresses.ipv4 ?? opened?.tunnel.hubAddresses.ipv6 ?? '127.0.0.1';
  const address = await hub.app.listen({ port, host });
  let published: PublishedTunnel | undefined;
  if (opened) {
    const apiPort = (hub.app.server.address() as AddressInfo).port;
    published = await publishHubTunnel(opened, apiPort, { clock, logger, identities: stores.identities, audit: stores.audit, fleet: hub.context.fleet });
  }
  await stores.audit.record({ event: 'application-activity', action: 'hub-start', actor: { kind: 'system', id: 'hub' }, outcome: 'success' });
  process.stdout.write(`${[...(published?.banner ?? []), `Relais hub: ${address}`].join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    (async () => {
      await published?.close();
      await hub.close();
      await dispatch.engine.stop();
      alerts.close();
      await stores.audit.record({ event: 'application-activity', action: 'hub-stop', actor: { kind: 'system', id: 'hub' }, outcome: 'success' }).catch(() => {});
      await stores.close();
      await lock.release();
      logger.info('hub stopped');
      process.exit(0);
    })().catch((err: Error) => {
      logger.error({ err: err.message }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return 0;
}
