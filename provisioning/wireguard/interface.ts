/**
 * Creating and deleting a WireGuard interface with iproute2, kernel or userspace (wireguard-go),
 * in whatever namespace the runner executes in. The interface gets its addresses, MTU and routes
 * and comes up with no key and no peer (configure it next with `WireGuard`).
 * Contract: `implementation: 'auto'` tries the kernel module first and falls back to
 * wireguard-go, as wg-quick does. wireguard-go daemonises: when `createInterface` resolves the
 * interface and its control socket exist. wireguard-go's control sockets live in one directory
 * for all namespaces, keyed by interface name: names must be unique on the machine.
 * `deleteInterface` removes the link; wireguard-go then exits on its own.
 */
import type { CommandRunner } from './command-runner.ts';
import { assertInterfaceName, isCidr } from './wg.ts';

export interface InterfaceSpec {
  name: string;
  /** Addresses with prefix length, e.g. 10.99.0.1/24, fd00::1/64. */
  addresses: string[];
  mtu?: number;
  /** Extra routes through the interface (CIDR), beyond the addresses' own prefixes. */
  routes?: string[];
  implementation?: 'auto' | 'kernel' | 'userspace';
}

export interface CreatedInterface {
  name: string;
  implementation: 'kernel' | 'userspace';
}

/** Environment for wireguard-go: without LOG_LEVEL its daemon closes our stdout/stderr. */
function wireguardGoEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'TMPDIR']) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}

export async function createInterface(run: CommandRunner, spec: InterfaceSpec): Promise<CreatedInterface> {
  assertInterfaceName(spec.name);
  for (const a of [...spec.addresses, ...(spec.routes ?? [])]) if (!isCidr(a)) throw new TypeError(`"${a}" is not a CIDR`);
  if (spec.mtu !== undefined && !(Number.isInteger(spec.mtu) && spec.mtu >= 1280 && spec.mtu <= 65535)) throw new TypeError('MTU must be 1280..65535');
  const want = spec.implementation ?? 'auto';
  let implementation: 'kernel' | 'userspace' = 'userspace';
  if (want !== 'userspace') {
    try {
      await run.run('ip', ['link', 'add', 'dev', spec.name, 'type', 'wireguard']);
      implementation = 'kernel';
    } catch (err) {
      if (want === 'kernel') throw err;
    }
  }
  if (implementation === 'userspace') await run.run('wireguard-go', [spec.name], { env: wireguardGoEnv() });
  try {
    if (spec.mtu !== undefined) await run.run('ip', ['link', 'set', 'dev', spec.name, 'mtu', String(spec.mtu)]);
    for (const a of spec.addresses) {
      const v6 = a.includes(':');
      await run.run('ip', [v6 ? '-6' : '-4', 'address', 'add', a, 'dev', spec.name, ...(v6 ? ['nodad'] : [])]);
    }
    await run.run('ip', ['link', 'set', 'dev', spec.name, 'up']);
    for (const r of spec.routes ?? []) {
      await run.run('ip', [r.includes(':') ? '-6' : '-4', 'route', 'add', r, 'dev', spec.name]);
    }
  } catch (err) {
    await deleteInterface(run, spec.name).catch(() => {});
    throw err;
  }
  return { name: spec.name, implementation };
}

/** Deletes the interface; a missing one counts as deleted. */
export async function deleteInterface(run: CommandRunner, name: string): Promise<void> {
  assertInterfaceName(name);
  try {
    await run.run('ip', ['link', 'del', 'dev', name]);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    if (!/Cannot find device|does not exist/i.test(stderr)) throw err;
  }
}
