/** Runs one `relais` subcommand as a child process (argument array, no shell); resolves its stdout. */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = join(resolve(fileURLToPath(new URL('../..', import.meta.url))), 'bin', 'relais.js');

export interface RunOptions {
  passthrough?: boolean;
  /** Wait until this TCP port accepts connections before running. */
  waitForPort?: { host: string; port: number; timeoutMs: number };
}

export async function runRelais(args: string[], opts: RunOptions = {}): Promise<string> {
  if (opts.waitForPort) await waitForPort(opts.waitForPort.host, opts.waitForPort.port, opts.waitForPort.timeoutMs);
  return new Promise((resolveRun, reject) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`relais ${args[0]} ${args[1] ?? ''} failed: ${stderr.trim() || err.message}`));
      else resolveRun(stdout);
    });
  });
}

export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host, port }, () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
