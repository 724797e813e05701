/**
 * For the netbed system tests: a unique test-bed name per test file, and a check that a stopped
 * test bed left nothing behind (namespace, interface in the initial namespace, wireguard-go
 * control socket, state directory, relay process).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execFileRunner } from '../../provisioning/wireguard/command-runner.ts';
import { listNamespaces, isAlive } from '../../simulators/testbed/netns.ts';
import { DEFAULT_STATE_ROOT } from '../../simulators/testbed/state.ts';

/** "rb" + a letter for the test file + 5 random hex digits (fits the 9-character limit). */
export function uniqueName(letter: string): string {
  return `rb${letter}${randomBytes(3).toString('hex').slice(0, 5)}`;
}

export async function assertNothingLeft(name: string, relayPid?: number): Promise<void> {
  const run = execFileRunner();
  const namespaces = (await listNamespaces(run)).filter((ns) => ns.startsWith(`${name}-`));
  assert.deepEqual(namespaces, [], 'no namespace left');
  const { stdout } = await run.run('ip', ['-br', 'link']);
  assert.ok(!stdout.includes(`${name}-`), `no interface left in the initial namespace:\n${stdout}`);
  const sockets = existsSync('/var/run/wireguard') ? readdirSync('/var/run/wireguard').filter((f) => f.startsWith(`${name}-`)) : [];
  assert.deepEqual(sockets, [], 'no wireguard-go control socket left');
  assert.equal(existsSync(`${DEFAULT_STATE_ROOT}/${name}`), false, 'no state directory left');
  if (relayPid !== undefined) assert.equal(isAlive(relayPid), false, 'relay process stopped');
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('netbed system tests need root (network namespaces, WireGuard)');
}
