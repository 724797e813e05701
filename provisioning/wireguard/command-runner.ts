/**
 * The process port of the WireGuard binding: runs a program with an argument array (never a
 * shell string), optionally feeding a secret on stdin, and collects its output.
 * Contract: `run` resolves with stdout/stderr when the program exits 0 and rejects with a
 * `CommandError` (program, arguments, exit code, stderr — never stdin) otherwise.
 * `inNetns` wraps a runner so every program runs inside a network namespace (`ip netns exec`).
 */
import { execFile } from 'node:child_process';

export interface RunOptions {
  /** Bytes written to the program's stdin (secrets go here, never in arguments). */
  stdin?: string | Uint8Array;
  timeoutMs?: number;
  /** Full environment for the program (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  run(file: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult>;
}

export class CommandError extends Error {
  readonly file: string;
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;

  constructor(file: string, args: readonly string[], exitCode: number | null, stderr: string, cause?: unknown) {
    super(`${file} ${args.join(' ')} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim().slice(0, 500)}`, { cause });
    this.name = 'CommandError';
    this.file = file;
    this.args = args;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export function execFileRunner(): CommandRunner {
  return {
    run(file, args, opts = {}) {
      return new Promise((resolve, reject) => {
        const child = execFile(
          file,
          [...args],
          { encoding: 'utf8', timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 << 20, env: opts.env ?? process.env },
          (err, stdout, stderr) => {
            if (err) {
              const code = typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
              reject(new CommandError(file, args, code, stderr || err.message, err));
            } else resolve({ stdout, stderr });
          },
        );
        child.stdin?.on('error', () => {}); // a program that exits without reading stdin
        if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
        else child.stdin?.end();
      });
    },
  };
}

/** Runs every program inside network namespace `ns` through `ip netns exec`. */
export function inNetns(ns: string, runner: CommandRunner): CommandRunner {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(ns)) throw new TypeError(`invalid namespace name "${ns}"`);
  return { run: (file, args, opts) => runner.run('ip', ['netns', 'exec', ns, file, ...args], opts) };
}
