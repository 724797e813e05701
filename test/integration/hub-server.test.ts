/**
 * `relais hub` as operators run it (a child process): prints its URL, answers health without
 * auth, refuses a second hub on the same data directory, and on SIGTERM stops accepting new
 * connections but lets an upload in flight finish (2xx) before exiting 0; what it stored is
 * there after a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { request } from 'node:http';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { REPO_ROOT, SHARED_CT, listFiles } from '../data.ts';
import { waitFor } from '../fakes/wait.ts';
import { prepare } from './hub-harness.ts';

const CLI = join(REPO_ROOT, 'bin', 'relais.js');
const run = promisify(execFile);

function startHub(dir: string): { child: ChildProcess; url: Promise<string>; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, 'hub', '--data', dir, '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  return { child, url, exit, stderr: () => err };
}

test('relais hub: URL on stdout, health, single owner of its data, graceful SIGTERM with an upload in flight', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'relais-hub-cli-'));
  const hubs: ChildProcess[] = [];
  try {
    const cred = (await run(process.execPath, [CLI, 'provision', 'agent', '--data', dir, '--name', 'Site A'])).stdout.trim().split('\n').pop()!;
    const token = (await run(process.execPath, [CLI, 'provision', 'user', '--data', dir, '--name', 'op'])).stdout.trim().split('\n').pop()!;
    const first = startHub(dir);
    hubs.push(first.child);
    const url = await first.url;
    const health = await fetch(`${url}/api/v1/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', version: '0.1.0', protocolVersion: PROTOCOL_VERSION });
    assert.equal((await stat(dir)).mode & 0o777, 0o700, 'the data directory is private');

    const second = startHub(dir);
    hubs.push(second.child);
    second.url.catch(() => {});
    assert.equal(await second.exit, 1, 'a second hub on the same data directory refuses to start');
    assert.match(second.stderr(), /another hub/);

    // An upload in flight: send half the body, SIGTERM, then the rest.
    const inst = await prepare(listFiles(SHARED_CT)[0]!);
    const { port } = new URL(url);
    const half = Math.floor(inst.bytes.length / 2);
    let answer: { status: number; body: string } | undefined;
    const req = request({
      host: '127.0.0.1', port: Number(port), method: 'PUT', path: `/api/v1/instances/${inst.sop}`,
      headers: { authorization: `Bearer ${cred}`, 'relais-protocol': '1', 'content-type': 'application/dicom', 'relais-sha256': inst.sha256, 'content-length': inst.bytes.length },
    }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => (answer = { status: res.statusCode ?? 0, body }));
    });
    req.write(inst.bytes.subarray(0, half));
    await waitFor(async () => {
      const parts = (await readdir(join(dir, 'tmp')).catch(() => [] as string[])).filter((f) => f.endsWith('.part'));
      return parts.length === 1 && (await stat(join(dir, 'tmp', parts[0]!))).size > 0;
    }, 'the hub to start receiving the upload');
    first.child.kill('SIGTERM');
    await waitFor(async () => {
      try {
        const r = await fetch(`${url}/api/v1/health`, { headers: { connection: 'close' } });
        return r.status === 503 || (await r.json() as { status: string }).status === 'stopping';
      } catch {
        return true; // connection refused: no longer accepting
      }
    }, 'the hub to stop accepting new requests');
    req.end(inst.bytes.subarray(half));
    assert.equal(await first.exit, 0, `hub exit code (stderr: ${first.stderr()})`);
    assert.equal(answer?.status, 201, `the in-flight upload finished: ${answer?.body}`);

    const again = startHub(dir);
    hubs.push(again.child);
    const url2 = await again.url;
    const qido = await fetch(`${url2}/dicomweb/studies?StudyInstanceUID=${inst.study}`, { headers: { authorization: `Bearer ${token}` } });
    const found = (await qido.json()) as Array<Record<string, { Value?: unknown[] }>>;
    assert.equal(found[0]?.['00201208']?.Value?.[0], 1, 'the instance acknowledged before shutdown is there after restart');
    again.child.kill('SIGTERM');
    assert.equal(await again.exit, 0);
  } finally {
    for (const h of hubs) if (h.exitCode === null && h.signalCode === null) h.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
