/**
 * `relais sim link`: composition root of the link relay (real sockets, real clock).
 * Prints one JSON line `{"event":"ready",…}` on stdout once listening; on SIGUSR2 prints
 * `{"event":"stats",…}`; on SIGTERM/SIGINT prints the final stats line and exits 0.
 * Logs (pino) go to stderr.
 */
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { createSystemClock, type Clock } from '../../lib/clock.ts';
import { createLogger } from '../../lib/logger.ts';
import { LinkRelay, type Endpoint } from './relay.ts';
import { namedProfile, resolveProfile, type LinkProfile } from './profiles.ts';
import { parseControlAddress, startControl } from './control.ts';
import { randomSeed } from './prng.ts';

export interface LinkCliOptions {
  listen: string;
  forward: string;
  profile?: string;
  profileFile?: string;
  seed?: string;
  control?: string;
  logLevel?: string;
}

export function parseEndpoint(s: string): Endpoint {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new Error(`expected host:port, got "${s}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** A clock with sub-millisecond `now()` (the bottleneck works in fractions of a millisecond). */
export function createPreciseClock(): Clock {
  const base = createSystemClock();
  return { ...base, now: () => performance.timeOrigin + performance.now() };
}

async function loadProfile(opts: LinkCliOptions): Promise<LinkProfile> {
  if (opts.profileFile) return resolveProfile(JSON.parse(await readFile(opts.profileFile, 'utf8')));
  return namedProfile(opts.profile ?? 'lan');
}

export async function runLinkFromCli(opts: LinkCliOptions): Promise<void> {
  const logger = createLogger({ name: 'link', level: opts.logLevel ?? 'info', destination: pino.destination(2) });
  const profile = await loadProfile(opts);
  const seed = opts.seed !== undefined ? Number(opts.seed) >>> 0 : randomSeed();
  const clock = createPreciseClock();
  const relay = await LinkRelay.start({
    listen: parseEndpoint(opts.listen),
    forward: parseEndpoint(opts.forward),
    profile,
    seed,
    clock,
    logger,
  });
  const control = opts.control ? await startControl(relay, parseControlAddress(opts.control)) : undefined;
  const line = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  line({ event: 'ready', pid: process.pid, listen: relay.address(), forward: opts.forward, control: control?.address ?? null, profile: profile.name, seed });
  process.on('SIGUSR2', () => line({ event: 'stats', ...relay.stats() }));
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    line({ event: 'stopped', ...relay.stats() });
    await control?.app.close();
    await relay.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
