/**
 * TCP congestion control per test-bed run. A network namespace other than the initial one may
 * only pick an algorithm the host *allows* (net.ipv4.tcp_allowed_congestion_control, "reno bbr"
 * by default here); picking cubic otherwise fails with EPERM. `allowCongestionControl` adds the
 * algorithm to the host's allowed list from the initial namespace (needs root; idempotent; the
 * change is host-wide and only widens what unprivileged sockets may choose).
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { CommandRunner } from '../../provisioning/wireguard/command-runner.ts';

export type CongestionControl = 'reno' | 'cubic' | 'bbr';
export const CONGESTION_CONTROLS: readonly CongestionControl[] = ['reno', 'cubic', 'bbr'];

const SYS = '/proc/sys/net/ipv4';

export async function allowCongestionControl(cc: CongestionControl, sys = SYS): Promise<void> {
  const allowed = (await readFile(`${sys}/tcp_allowed_congestion_control`, 'utf8')).trim().split(/\s+/);
  if (allowed.includes(cc)) return;
  const available = (await readFile(`${sys}/tcp_available_congestion_control`, 'utf8')).trim().split(/\s+/);
  if (!available.includes(cc)) throw new Error(`congestion control "${cc}" is not available in this kernel (available: ${available.join(' ')})`);
  await writeFile(`${sys}/tcp_allowed_congestion_control`, [...allowed, cc].join(' '));
}

/** Makes `cc` the default for new TCP sockets in namespace-bound runner `run`. */
export async function setNamespaceCongestionControl(run: CommandRunner, cc: CongestionControl): Promise<void> {
  await run.run('sysctl', ['-q', '-w', `net.ipv4.tcp_congestion_control=${cc}`]);
}

export async function namespaceCongestionControl(run: CommandRunner): Promise<string> {
  const { stdout } = await run.run('sysctl', ['-n', 'net.ipv4.tcp_congestion_control']);
  return stdout.trim();
}
