/**
 * Helpers for agent system tests: the agent as a real process (the `relais agent` command or
 * the esbuild bundle), DCMTK storescu / echoscu as independent peers (with TCP_NODELAY=1), and
 * a free-port finder. Every process started here is tracked and killed by `killAll`.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { once } from 'node:events';
import net from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from '../data.ts';
import { waitFor } from '../fakes/wait.ts';

const children = new Set<ChildProcess>();

export interface AgentProcess {
  child: ChildProcess;
  port: number;
  logs: string[];
  /** Resolves with the exit code or signal once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Builds the bundle once and returns its path. */
export async function buildBundle(): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'agent', 'build.ts')], { cwd: REPO_ROOT });
  return (JSON.parse(stdout.trim().split('\n').at(-1)!) as { bundle: string }).bundle;
}

/**
 * Starts an agent process and waits for its "agent ready" log line.
 * `bundle` runs dist/agent/relais-agent.cjs; otherwise the `relais agent` command (bin/relais.js).
 */
export async function startAgentProcess(args: string[], opts: { bundle?: string; timeoutMs?: number } = {}): Promise<AgentProcess> {
  const argv = opts.bundle ? [opts.bundle, ...args] : [join(REPO_ROOT, 'bin', 'relais.js'), 'agent', ...args];
  const child = spawn(process.execPath, argv, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const logs: string[] = [];
  let partial = '';
  child.stdout!.on('data', (c: Buffer) => {
    const text = partial + c.toString();
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    logs.push(...lines);
  });
  child.stderr!.on('data', (c: Buffer) => logs.push(...c.toString().split('\n').filter(Boolean)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  let dead = false;
  void exited.then(() => (dead = true));
  const port = await waitFor(
    () => {
      if (dead) throw new Error(`agent exited before it was ready:\n${logs.slice(-20).join('\n')}`);
      const line = logs.find((l) => l.includes('"agent ready"'));
      return line ? (JSON.parse(line) as { dicomPort: number }).dicomPort : undefined;
    },
    'the agent to be ready',
    { timeoutMs: opts.timeoutMs ?? 60_000, intervalMs: 20 },
  );
  return { child, port, logs, exited };
}

export function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

export interface StorescuResult {
  code: number | null;
  /** Files for which storescu received a success status. */
  acked: string[];
  /** Files with a failure status, with storescu's description of it. */
  refused: Map<string, string>;
  output: string;
}

/**
 * Runs DCMTK storescu on `files` (one association) and reads which files were acknowledged.
 * `noHalt` keeps storescu going after a failed store (by default it stops at the first one).
 */
export async function storescu(port: number, files: string[], opts: { calledAe?: string; noHalt?: boolean } = {}): Promise<StorescuResult> {
  const args = ['-v', '-aet', 'CT_ROOM', '-aec', opts.calledAe ?? 'RELAIS', ...(opts.noHalt ? ['-nh'] : []), '127.0.0.1', String(port), ...files];
  const child = spawn('storescu', args, {
    env: { ...process.env, TCP_NODELAY: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  children.delete(child);
  const acked: string[] = [];
  const refused = new Map<string, string>();
  let current: string | undefined;
  for (const line of output.split('\n')) {
    const sending = /Sending file: (.+)$/.exec(line);
    if (sending) current = sending[1]!.trim();
    const response = /Received Store Response \((.+)\)/.exec(line);
    if (response && current) {
      if (response[1] === 'Success' || response[1]!.startsWith('Warning')) acked.push(current);
      else refused.set(current, response[1]!);
      current = undefined;
    }
  }
  return { code, acked, refused, output };
}

/** DCMTK echoscu: true when the C-ECHO succeeded. */
export async function echoscu(port: number, calledAe = 'RELAIS'): Promise<boolean> {
  try {
    await promisify(execFile)('echoscu', ['-aet', 'CT_ROOM', '-aec', calledAe, '127.0.0.1', String(port)], { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}
