/**
 * Network namespaces through iproute2: create, list, find and stop the processes inside, delete,
 * and spawn programs inside one. Contract: `deleteNamespace` stops every process still in the
 * namespace (SIGTERM, then SIGKILL after a grace period) before removing it, so nothing outlives
 * a test bed; a missing namespace counts as deleted.
 */
import { readFileSync } from 'node:fs';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { CommandRunner } from '../../provisioning/wireguard/command-runner.ts';

export async function addNamespace(run: CommandRunner, ns: string): Promise<void> {
  await run.run('ip', ['netns', 'add', ns]);
  await run.run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
}

export async function listNamespaces(run: CommandRunner): Promise<string[]> {
  const { stdout } = await run.run('ip', ['netns', 'list']);
  return stdout.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n.length > 0);
}

export async function namespacePids(run: CommandRunner, ns: string): Promise<number[]> {
  try {
    const { stdout } = await run.run('ip', ['netns', 'pids', ns]);
    return stdout.split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number);
  } catch {
    return [];
  }
}

/** Whether `pid` still runs; a zombie (exited, not yet reaped by its parent or init) does not. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Sends SIGTERM to each pid, waits up to `graceMs` for them to exit, then SIGKILLs survivors. */
export async function stopProcesses(pids: number[], graceMs = 3000): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch { /* already gone */ }
  }
  const deadline = Date.now() + graceMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    alive = alive.filter(isAlive);
  }
  for (const pid of alive) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch { /* already gone */ }
  }
}

export async function deleteNamespace(run: CommandRunner, ns: string): Promise<void> {
  await stopProcesses(await namespacePids(run, ns));
  try {
    await run.run('ip', ['netns', 'del', ns]);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    if (!/No such file|not exist/i.test(stderr)) throw err;
  }
}

/** Starts `file args` inside namespace `ns` (the child's pid is the program's own). */
export function spawnInNamespace(ns: string, file: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, file, ...args], opts);
}
