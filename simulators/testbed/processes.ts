/**
 * Helper processes of the test bed and benches, started inside a namespace: our own Node tools
 * (simulators/testbed/tools/*.ts, run with tsx) and third-party programs, with their stdout read
 * as JSON lines. Contract: `nextEvent` resolves with the next JSON line matching a predicate or
 * rejects at its deadline or when the process exits first; `stop` ends the process (SIGTERM,
 * then SIGKILL) and resolves when it is gone.
 */
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { Side, Testbed } from './testbed.ts';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const TOOLS_DIR = join(REPO_ROOT, 'simulators', 'testbed', 'tools');

export type JsonEvent = Record<string, unknown> & { event?: string };

export class ToolProcess {
  readonly child: ChildProcess;
  readonly #events: JsonEvent[] = [];
  readonly #waiters = new Set<() => void>();
  #exit: string | undefined;
  stderr = '';

  constructor(child: ChildProcess) {
    this.child = child;
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (l) => {
        try {
          this.#events.push(JSON.parse(l) as JsonEvent);
        } catch {
          this.#events.push({ event: 'text', text: l });
        }
        this.#wake();
      });
    }
    child.stderr?.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-8000); });
    child.on('exit', (code, signal) => {
      this.#exit = `exited (${code ?? signal})`;
      this.#wake();
    });
    child.on('error', (err) => {
      this.#exit = `failed to start: ${err.message}`;
      this.#wake();
    });
  }

  get exited(): boolean {
    return this.#exit !== undefined;
  }

  /** Resolves when the process has exited (with its exit code, null if killed by a signal). */
  async exitCode(timeoutMs = 600_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error('process did not exit in time')), timeoutMs);
      this.child.once('exit', (code) => {
        clearTimeout(t);
        res(code);
      });
    });
  }

  /** The next event (consumed) for which `match` is true. */
  async nextEvent(match: (e: JsonEvent) => boolean, timeoutMs = 30_000): Promise<JsonEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#events.findIndex(match);
      if (i >= 0) return this.#events.splice(i, 1)[0]!;
      if (this.#exit) throw new Error(`tool ${this.#exit} before the expected event; stderr: ${this.stderr.slice(-1000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for an event; stderr: ${this.stderr.slice(-1000)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(done, left);
        const self = this;
        function done() {
          clearTimeout(t);
          self.#waiters.delete(done);
          r();
        }
        this.#waiters.add(done);
      });
    }
  }

  async stop(graceMs = 3000): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(t);
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }
}

/** Runs one of our Node tools inside a namespace of the test bed. */
export function startTool(bed: Testbed, side: Side, tool: string, args: readonly string[], env?: NodeJS.ProcessEnv): ToolProcess {
  return new ToolProcess(
    bed.spawn(side, process.execPath, ['--import', 'tsx', join(TOOLS_DIR, tool), ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(env ? { env } : {}),
    }),
  );
}

/** Runs any program inside a namespace of the test bed, output collected. */
export function startProgram(bed: Testbed, side: Side, file: string, args: readonly string[], env?: NodeJS.ProcessEnv): ToolProcess {
  return new ToolProcess(bed.spawn(side, file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) }));
}
