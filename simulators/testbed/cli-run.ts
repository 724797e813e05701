/**
 * Actions of `relais sim testbed up|down|exec|stats|cut` (composition root for the CLI).
 * `up` prints the test bed as JSON and leaves it running (state in /run/relais-testbed/<name>);
 * `exec` runs a program in a namespace with the terminal attached and exits with its status.
 */
import { spawn } from 'node:child_process';
import { describeTestbed, openTestbed, startTestbed, stopTestbed } from './testbed.ts';
import { CONGESTION_CONTROLS, type CongestionControl } from './congestion.ts';

export interface UpOptions {
  name: string;
  profile: string;
  seed?: string;
  sites?: string;
  cc?: string;
  stateRoot?: string;
}

function print(o: unknown): void {
  process.stdout.write(`${JSON.stringify(o, null, 2)}\n`);
}

export async function testbedUp(o: UpOptions): Promise<void> {
  if (o.cc !== undefined && !CONGESTION_CONTROLS.includes(o.cc as CongestionControl)) {
    throw new Error(`--cc must be one of ${CONGESTION_CONTROLS.join(', ')}`);
  }
  const bed = await startTestbed({
    name: o.name,
    profile: o.profile,
    ...(o.seed !== undefined ? { seed: Number(o.seed) >>> 0 } : {}),
    ...(o.sites !== undefined ? { sites: Number(o.sites) } : {}),
    ...(o.cc !== undefined ? { congestionControl: o.cc as CongestionControl } : {}),
    ...(o.stateRoot !== undefined ? { stateRoot: o.stateRoot } : {}),
  });
  print(describeTestbed(bed));
}

export async function testbedDown(o: { name: string; stateRoot?: string }): Promise<void> {
  await stopTestbed(o.name, o.stateRoot !== undefined ? { stateRoot: o.stateRoot } : {});
}

export async function testbedExec(o: { name: string; side: string; stateRoot?: string }, command: string[]): Promise<void> {
  const bed = await openTestbed(o.name, o.stateRoot !== undefined ? { stateRoot: o.stateRoot } : {});
  const side = o.side === 'hub' || o.side === 'site' ? o.side : Number(o.side.replace(/^site/, ''));
  if (typeof side === 'number' && !Number.isInteger(side)) throw new Error('--side must be hub, site or site<N>');
  const [file, ...args] = command;
  if (!file) throw new Error('nothing to run: relais sim testbed exec --name X --side site -- cmd args');
  const child = spawn('ip', ['netns', 'exec', bed.namespaceOf(side), file, ...args], { stdio: 'inherit' });
  const code = await new Promise<number>((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1))));
  process.exitCode = code;
}

export async function testbedStats(o: { name: string; stateRoot?: string }): Promise<void> {
  const bed = await openTestbed(o.name, o.stateRoot !== undefined ? { stateRoot: o.stateRoot } : {});
  print({ relay: await bed.relay.stats(), wireguard: await bed.hubStatus() });
}

export async function testbedCut(o: { name: string; seconds?: string; restore?: boolean; stateRoot?: string }): Promise<void> {
  const bed = await openTestbed(o.name, o.stateRoot !== undefined ? { stateRoot: o.stateRoot } : {});
  if (o.restore) return print(await bed.relay.restore());
  print(await bed.relay.cut(o.seconds !== undefined ? Number(o.seconds) * 1000 : undefined));
}

export async function testbedProfile(o: { name: string; profile: string; stateRoot?: string }): Promise<void> {
  const bed = await openTestbed(o.name, o.stateRoot !== undefined ? { stateRoot: o.stateRoot } : {});
  print(await bed.relay.setProfile(o.profile));
}
