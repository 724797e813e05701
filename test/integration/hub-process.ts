/**
 * `relais hub` as a child process, for tests that need the real program (flags, config,
 * signals): resolves the URL it prints, its exit code, and what it wrote on stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../data.ts';

export const RELAIS_CLI = join(REPO_ROOT, 'bin', 'relais.js');

export interface HubProcess {
  child: ChildProcess;
  url: Promise<string>;
  exit: Promise<number | null>;
  stderr(): string;
}

export function startHubProcess(args: string[], env: NodeJS.ProcessEnv = process.env): HubProcess {
  const child = spawn(process.execPath, [RELAIS_CLI, 'hub', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/[0-9.:]+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exit.then((code) => reject(new Error(`hub exited (${code}) before listening: ${err}`)));
  });
  url.catch(() => {}); // callers that expect a refusal await `exit` only
  return { child, url, exit, stderr: () => err };
}
