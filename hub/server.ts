/**
 * `relais hub`: the hub's composition root. Builds the real adapters (system clock, pino on
 * stderr, the embedded stores of DATA), takes the data-directory lock, listens, and prints
 * the listening URL on stdout (last line). With `--wg-interface` it also runs the hub's
 * WireGuard tunnel and HTTPS enrolment listener (hub/tunnel/start.ts) and, unless `--host` is
 * given, listens on its tunnel address. On SIGTERM/SIGINT: stops accepting connections, lets in-flight
 * uploads finish, closes socket.io, flushes the stores, releases the lock, exits 0.
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
import type { FleetState } from './fleet/fleet-state.ts';
import type { AddressInfo } from 'node:net';
import { tunnelOptionsFromCli, openHubTunnel, publishHubTunnel, TunnelOptionError, type TunnelCliOptions, type PublishedTunnel } from './tunnel/start.ts';

export interface HubCliOptions extends TunnelCliOptions {
  data: string;
  port?: string;
  host?: string;
  logLevel?: string;
  lang?: string;
  maxInstanceMb?: string;
  staleSeconds?: string;
  offlineSeconds?: string;
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
  let tunnelOptions: ReturnType<typeof tunnelOptionsFromCli>;
  try {
    tunnelOptions = tunnelOptionsFromCli(opts);
  } catch (err) {
    if (!(err instanceof TunnelOptionError)) throw err;
    process.stderr.write(`${err.message}\n`);
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
  // The WireGuard tunnel (off by default): interface before listening, enrolment after.
  let fleetRef: FleetState | undefined;
  const opened = tunnelOptions ? await openHubTunnel(dataDir, tunnelOptions, { clock, logger, identities: stores.identities, fleet: () => fleetRef }) : undefined;
  const hub = await buildApp({ clock, logger, ...stores, options, version: await packageVersion(), ...(opened ? { tunnel: opened.tunnel } : {}) });
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
