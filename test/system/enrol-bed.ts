/**
 * For the enrolment system tests: a hub namespace and site namespaces joined by veth pairs — the
 * hub's "public" address 198.51.100.1 (on its loopback) routed from every site — with nothing
 * WireGuard-related made here: the real `relais hub` makes its interface, the real `relais agent`
 * its own, from enrolment. Processes run inside the namespaces (`ip netns exec`); requests to the
 * hub's API (which listens on its tunnel address, inside its namespace) go through a short-lived
 * Node in that namespace. Everything started is tracked; `stop` kills it and deletes the
 * namespaces (which ends wireguard-go too). Names: `rbe` + 5 hex (per run) + role suffix.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { REPO_ROOT } from '../data.ts';
import { waitFor } from '../fakes/wait.ts';
import { execFileRunner } from '../../provisioning/wireguard/command-runner.ts';
import { addNamespace, deleteNamespace, listNamespaces } from '../../simulators/testbed/netns.ts';

const run = execFileRunner();
const exec = promisify(execFile);
export const CLI = join(REPO_ROOT, 'bin', 'relais.js');
export const HUB_PUBLIC = '198.51.100.1';

export interface Proc {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  /** Resolves with the first line matching, rejects if the process exits first. */
  waitLine(re: RegExp, timeoutMs?: number): Promise<string>;
}

export class EnrolBed {
  readonly name = `rbe${randomBytes(3).toString('hex').slice(0, 5)}`;
  readonly hubNs = `${this.name}-hub`;
  readonly #procs = new Set<ChildProcess>();
  readonly sites: Array<{ ns: string; underlay: string; wg: string }> = [];

  wgName(role: string): string {
    return `${this.name}-${role}`;
  }

  async start(siteCount: number): Promise<void> {
    const left = (await listNamespaces(run)).filter((n) => n.startsWith(`${this.name}-`));
    if (left.length) throw new Error(`namespaces already exist: ${left.join(', ')}`);
    await addNamespace(run, this.hubNs);
    await run.run('ip', ['-n', this.hubNs, 'address', 'add', `${HUB_PUBLIC}/32`, 'dev', 'lo']);
    for (let i = 0; i < siteCount; i++) {
      const ns = `${this.name}-s${i}`;
      const vs = `${this.name}-v${i}`;
      const vh = `${this.name}-h${i}`;
      await addNamespace(run, ns);
      await run.run('ip', ['link', 'add', vs, 'netns', ns, 'type', 'veth', 'peer', 'name', vh, 'netns', this.hubNs]);
      const site = `192.0.2.${4 * i + 1}`;
      const hub = `192.0.2.${4 * i + 2}`;
      await run.run('ip', ['-n', ns, 'address', 'add', `${site}/30`, 'dev', vs]);
      await run.run('ip', ['-n', ns, 'link', 'set', vs, 'up']);
      await run.run('ip', ['-n', this.hubNs, 'address', 'add', `${hub}/30`, 'dev', vh]);
      await run.run('ip', ['-n', this.hubNs, 'link', 'set', vh, 'up']);
      await run.run('ip', ['-n', ns, 'route', 'add', `${HUB_PUBLIC}/32`, 'via', hub]);
      this.sites.push({ ns, underlay: site, wg: this.wgName(`w${i}`) });
    }
  }

  /** Starts a program in a namespace, its output kept line by line. */
  spawn(ns: string, file: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
    const child = spawn('ip', ['netns', 'exec', ns, file, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#procs.add(child);
    const lines: string[] = [];
    const waiters = new Set<() => void>();
    const wake = () => { for (const w of waiters) w(); };
    for (const s of [child.stdout!, child.stderr!]) createInterface({ input: s }).on('line', (l) => { lines.push(l); wake(); });
    let done = false;
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => { done = true; this.#procs.delete(child); wake(); res(code); }));
    const waitLine = (re: RegExp, timeoutMs = 60_000) => new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`timed out waiting for ${re} in:\n${lines.slice(-30).join('\n')}`)); }, timeoutMs);
      const check = () => {
        const hit = lines.find((l) => re.test(l));
        if (hit) { clearTimeout(timer); waiters.delete(check); resolve(hit); }
        else if (done) { clearTimeout(timer); waiters.delete(check); reject(new Error(`process exited before ${re}:\n${lines.slice(-30).join('\n')}`)); }
      };
      waiters.add(check);
      check();
    });
    return { child, lines, exited, waitLine };
  }

  /** `relais …` in a namespace (or in the test's own, ns undefined), to completion. */
  async relais(ns: string | undefined, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const [file, argv] = ns ? ['ip', ['netns', 'exec', ns, process.execPath, CLI, ...args]] : [process.execPath, [CLI, ...args]];
    try {
      const r = await exec(file as string, argv as string[], { cwd: REPO_ROOT, timeout: 120_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  exec(ns: string, file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
    return exec('ip', ['netns', 'exec', ns, file, ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
  }

  /** Whether a command in a namespace succeeds. */
  async ok(ns: string, file: string, args: string[]): Promise<boolean> {
    return this.exec(ns, file, args).then(() => true, () => false);
  }

  /**
   * An HTTP request from inside a namespace (bearer passed through the environment, never argv);
   * `localAddress` picks the source address. Resolves {status: 0} when nothing answered.
   */
  async fetchIn(ns: string, url: string, o: { method?: string; bearer?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number; localAddress?: string } = {}): Promise<{ status: number; body: any }> {
    const script = `
      import http from 'node:http';
      const o = JSON.parse(process.env.REQ);
      const u = new URL(o.url);
      const headers = { ...o.headers, ...(process.env.BEARER ? { authorization: 'Bearer ' + process.env.BEARER } : {}) };
      const body = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
      if (body) { headers['content-type'] = 'application/json'; headers['content-length'] = String(body.length); }
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: o.method, headers, localAddress: o.localAddress, timeout: o.timeoutMs }, (res) => {
        let t = ''; res.on('data', (d) => t += d); res.on('end', () => { process.stdout.write(JSON.stringify({ status: res.statusCode, text: t })); });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => process.stdout.write(JSON.stringify({ status: 0, text: e.message })));
      req.end(body);`;
    const req = { url, method: o.method ?? 'GET', body: o.body, headers: o.headers ?? {}, timeoutMs: o.timeoutMs ?? 10_000, localAddress: o.localAddress };
    const { stdout } = await this.exec(ns, process.execPath, ['--input-type=module', '-e', script], { REQ: JSON.stringify(req), BEARER: o.bearer ?? '' });
    const r = JSON.parse(stdout) as { status: number; text: string };
    let body: unknown = r.text;
    try { body = JSON.parse(r.text); } catch { /* not JSON */ }
    return { status: r.status, body };
  }

  /** The hub interface's peers: public key → allowed IPs and latest handshake. */
  async hubPeers(iface: string): Promise<Map<string, { allowedIps: string[]; handshake: number }>> {
    const { stdout } = await this.exec(this.hubNs, 'wg', ['show', iface, 'dump']);
    const out = new Map<string, { allowedIps: string[]; handshake: number }>();
    for (const line of stdout.trim().split('\n').slice(1)) {
      const f = line.split('\t');
      if (f.length === 8) out.set(f[0]!, { allowedIps: f[3] === '(none)' ? [] : f[3]!.split(','), handshake: Number(f[4]) });
    }
    return out;
  }

  waitFor = waitFor;

  /** Namespaces, interfaces (initial namespace) and wireguard-go sockets of this bed still present. */
  async leftovers(): Promise<string[]> {
    const ns = (await listNamespaces(run)).filter((n) => n.startsWith(`${this.name}-`));
    const { stdout } = await run.run('ip', ['-br', 'link']);
    const links = stdout.split('\n').map((l) => l.split(/\s+/)[0]!).filter((l) => l.startsWith(`${this.name}-`));
    const sockets = existsSync('/var/run/wireguard') ? readdirSync('/var/run/wireguard').filter((f) => f.startsWith(`${this.name}-`)) : [];
    return [...ns, ...links, ...sockets];
  }

  async stop(): Promise<void> {
    for (const c of this.#procs) c.kill('SIGKILL');
    this.#procs.clear();
    for (const ns of (await listNamespaces(run).catch(() => [] as string[])).filter((n) => n.startsWith(`${this.name}-`))) {
      await deleteNamespace(run, ns).catch(() => {});
    }
  }
}
