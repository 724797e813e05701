/**
 * Resumable uploads between a real agent (this process) and a real `relais hub` process, through
 * a loopback proxy that slows the agent → hub direction and counts its bytes. What a user cares
 * about: a 6 MB radiograph survives a kill -9 of the hub and a restart of the agent in the middle
 * of its upload, arrives byte for byte, and the link carries it about once — the agent resumes at
 * the hub's durable offset (re-sent ≤ one chunk per interruption), it does not start over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, readFile, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_DICOM } from '../data.ts';
import { waitFor } from '../fakes/wait.ts';
import { TcpThrottle } from '../fakes/tcp-throttle.ts';
import { silentLogger, createLogger } from '../../lib/logger.ts';
import { sha256Hex } from '../../lib/sha256.ts';
import { loadAgentConfig } from '../../agent/config.ts';
import { startAgent, type RunningAgent } from '../../agent/main.ts';
import { prepareFiles } from '../../simulators/modality/prepare.ts';
import { sendStudy } from '../../simulators/modality/run.ts';
import { startHubProcess, RELAIS_CLI, type HubProcess } from './hub-process.ts';
import { FAST, datasetOf } from './agent-helpers.ts';
import { startTestHub, prepare, agentHeaders } from './hub-harness.ts';

const run = promisify(execFile);
const CR = join(SHARED_DICOM, 'cr-fuji-wg04-rg3', 'RG3_UNC.dcm');
const CHUNK = 512 * 1024;
const SLOW = { timeoutMs: Number(process.env.TUS_DEBUG ? 15_000 : 120_000) };

async function partialBytes(hubDir: string): Promise<number> {
  const dir = join(hubDir, 'uploads');
  let best = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.endsWith('.json')) continue;
    best = Math.max(best, (await stat(join(dir, name)).catch(() => ({ size: 0 }))).size);
  }
  return best;
}

test('a radiograph survives kill -9 of the hub and a restart of the agent mid-upload; the link carries it about once', async (t) => {
  const hubDir = await mkdtemp(join(tmpdir(), 'relais-tus-hub-'));
  const agentDir = await mkdtemp(join(tmpdir(), 'relais-tus-agent-'));
  const hubs: HubProcess[] = [];
  let agent: RunningAgent | undefined;
  const proxy = new TcpThrottle({ host: '127.0.0.1', port: 1 }, 2_000_000);
  try {
    const credential = (await run(process.execPath, [RELAIS_CLI, 'provision', 'agent', '--data', hubDir, '--name', 'Site A'])).stdout.trim().split('\n').pop()!;
    const startHub = async () => {
      const h = startHubProcess(['--data', hubDir, '--port', '0', '--log-level', 'warn']);
      hubs.push(h);
      const url = new URL(await h.url);
      proxy.retarget({ host: '127.0.0.1', port: Number(url.port) });
      return h;
    };
    const firstHub = await startHub();
    const hubUrl = await proxy.listen();
    const makeAgent = () =>
      startAgent(
        loadAgentConfig({ data: agentDir, hub: hubUrl, credential, dicomPort: '0', agentId: 'tus-agent', lang: 'en', ...FAST, uploadChunkMb: String(CHUNK / 1024 / 1024), uploadConcurrency: '2', compress: 'off', noUi: true, ui: false }, {}),
        { log: process.env.TUS_DEBUG ? createLogger({ name: 'tus-agent', level: 'info' }) : silentLogger() },
      );
    agent = await makeAgent();
    const bytes = await readFile(CR);
    const sent = await sendStudy({ host: '127.0.0.1', port: agent.dicomPort, calledAeTitle: 'RELAIS', callingAeTitle: 'CR_SIM' }, prepareFiles([CR]));
    assert.equal(sent.totals.stored, 1, JSON.stringify(sent.errors));

    // The hub dies (kill -9) with about a third of the instance on its disk.
    await waitFor(async () => (await partialBytes(hubDir)) >= bytes.length / 3, 'a third of the instance at the hub', SLOW);
    firstHub.child.kill('SIGKILL');
    await firstHub.exit;
    const atKill = await partialBytes(hubDir);
    assert.ok(atKill > 0 && atKill < bytes.length, 'the upload was cut in the middle');
    await startHub();

    // The agent restarts (its upload in flight is aborted) past two thirds.
    await waitFor(async () => (await partialBytes(hubDir)) >= (2 * bytes.length) / 3, 'two thirds of the instance at the hub', SLOW);
    await agent.stop();
    agent = await makeAgent();

    await waitFor(() => agent!.pendingUploads() === 0, 'the agent to have nothing left to send', SLOW);
    const objects = (await run('find', [join(hubDir, 'objects'), '-type', 'f', '-name', '*.dcm'])).stdout.trim().split('\n').filter(Boolean);
    assert.equal(objects.length, 1, 'one instance stored');
    const stored = await readFile(objects[0]!);
    assert.ok(datasetOf(stored).equals(datasetOf(bytes)), 'the hub holds the dataset the modality sent, byte for byte');
    assert.deepEqual((await readdir(join(hubDir, 'uploads'))).filter((n) => !n.startsWith('.')), [], 'the finished upload left nothing behind');

    // Two interruptions: at most one chunk re-sent for each, plus HTTP headers.
    const resent = proxy.forwardedBytes - stored.length;
    t.diagnostic(`instance ${stored.length} B, carried ${proxy.forwardedBytes} B, re-sent ${resent} B`);
    assert.ok(resent <= 2 * CHUNK + 64 * 1024, `re-sent ${resent} bytes (≤ 2 chunks of ${CHUNK} expected)`);
  } finally {
    await agent?.stop();
    await proxy.close();
    for (const h of hubs) {
      h.child.kill('SIGTERM');
      await h.exit;
    }
    await rm(hubDir, { recursive: true, force: true });
    await rm(agentDir, { recursive: true, force: true });
  }
});

test('tus on the hub: one agent can never resume, read or commit another agent’s upload; wrong bytes are refused before anything is visible', async () => {
  const t = await startTestHub();
  try {
    const url = await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
    const inst = await prepare(join(SHARED_DICOM, 'ct-philips-ingenuity-phantom', (await readdir(join(SHARED_DICOM, 'ct-philips-ingenuity-phantom')))[0]!));
    const meta = (sha: string) =>
      Object.entries({ sopInstanceUid: inst.sop, studyInstanceUid: inst.study, sha256: sha, urgency: 'emergency' })
        .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
        .join(',');
    const tusHeaders = (cred: string, extra: Record<string, string> = {}) => agentHeaders(cred, { 'tus-resumable': '1.0.0', ...extra });
    const half = Math.floor(inst.bytes.length / 2);
    const created = await fetch(`${url}/api/v1/uploads`, {
      method: 'POST',
      headers: tusHeaders(t.agentA.credential, { 'upload-length': String(inst.bytes.length), 'upload-metadata': meta(inst.sha256), 'content-type': 'application/offset+octet-stream' }),
      body: new Uint8Array(inst.bytes.subarray(0, half)),
    });
    assert.equal(created.status, 201);
    const location = new URL(created.headers.get('location')!, url).toString();
    assert.equal(created.headers.get('upload-offset'), String(half), 'creation carried the first part');

    for (const method of ['HEAD', 'PATCH', 'DELETE'] as const) {
      const r = await fetch(location, {
        method,
        headers: tusHeaders(t.agentB.credential, method === 'PATCH' ? { 'upload-offset': String(half), 'content-type': 'application/offset+octet-stream' } : {}),
        ...(method === 'PATCH' ? { body: new Uint8Array(inst.bytes.subarray(half)) } : {}),
      });
      assert.equal(r.status, 403, `${method} by another agent is refused`);
    }
    const commitB = await fetch(`${location}/commit`, { method: 'POST', headers: agentHeaders(t.agentB.credential, { 'content-type': 'application/json' }), body: JSON.stringify({ sopInstanceUid: inst.sop, sha256: inst.sha256, studyInstanceUid: inst.study }) });
    assert.equal(commitB.status, 403);

    const head = await fetch(location, { method: 'HEAD', headers: tusHeaders(t.agentA.credential) });
    assert.equal(head.headers.get('upload-offset'), String(half), 'the owner resumes where the hub is');
    const done = await fetch(location, {
      method: 'PATCH',
      headers: tusHeaders(t.agentA.credential, { 'upload-offset': String(half), 'content-type': 'application/offset+octet-stream' }),
      body: new Uint8Array(inst.bytes.subarray(half)),
    });
    assert.equal(done.status, 200);
    assert.equal(((await done.json()) as { status: string }).status, 'stored', 'the last PATCH answers the UploadResult');

    // Announced hash of other bytes: refused at the end, nothing stored, the upload dropped.
    const wrong = 'f'.repeat(64);
    const bad = await fetch(`${url}/api/v1/uploads`, {
      method: 'POST',
      headers: tusHeaders(t.agentA.credential, { 'upload-length': String(inst.bytes.length), 'upload-metadata': meta(wrong), 'content-type': 'application/offset+octet-stream' }),
      body: new Uint8Array(inst.bytes),
    });
    assert.equal(bad.status, 422);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'RELAIS_UPLOAD_HASH_MISMATCH');
    const index = await t.stores.indexes.get(inst.study);
    assert.equal(index.findVersion(inst.sop, wrong), undefined);
    assert.deepEqual((await readdir(join(t.dir, 'uploads'))).filter((n) => !n.startsWith('.')), [], 'no upload left behind');
  } finally {
    await t.close();
  }
});
