/**
 * The agent (`relais agent`, a real process) against DCMTK, a peer nobody here wrote:
 * storescu sends the shared CT and MR series and every instance reaches the hub with the
 * dataset bytes of the source file; every file of ../shared/data/dicom/malformed is refused or
 * stored (and then byte-identical at the hub) without the agent dying.
 */
import { loadCodecs } from '../../lib/codec/frame-codecs.ts';
import { sameInstance } from '../../lib/codec/identical.ts';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { SHARED_CT, SHARED_MR, SHARED_MALFORMED, listFiles } from '../data.ts';
import { HubSink } from '../fakes/hub-sink.ts';
import { waitFor } from '../fakes/wait.ts';
import { parseFileMeta } from '../../lib/dicom/part10.ts';
import { storeRawInstances, rawInstanceFromFile } from '../../lib/dicom/raw-scu.ts';
import { startAgentProcess, storescu, echoscu, killAll } from './agent-process.ts';

const SLOW = { timeoutMs: 180_000 };
after(killAll);

function datasetOf(bytes: Buffer): Buffer {
  return bytes.subarray(parseFileMeta(bytes).datasetOffset);
}

async function withAgent(fn: (ctx: { sink: HubSink; port: number; dataDir: string; agent: Awaited<ReturnType<typeof startAgentProcess>> }) => Promise<void>): Promise<void> {
  const sink = new HubSink();
  await sink.listen();
  const dataDir = mkdtempSync(join(tmpdir(), 'relais-agent-sys-'));
  const agent = await startAgentProcess([
    '--data', dataDir, '--hub', sink.url, '--credential', sink.credential, '--dicom-port', '0', '--ae-title', 'RELAIS',
    '--quiet-seconds', '1', '--retry-base-ms', '50', '--retry-max-ms', '1000', '--heartbeat-seconds', '1', '--min-free-mb', '0',
  ]);
  try {
    await fn({ sink, port: agent.port, dataDir, agent });
  } finally {
    agent.child.kill('SIGTERM');
    const { code } = await agent.exited;
    assert.equal(code, 0, 'the agent stops cleanly on SIGTERM');
    await sink.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

test('DCMTK storescu → agent → hub: the shared CT and MR arrive with their dataset bytes intact', async (t) => {
  await withAgent(async ({ sink, port, dataDir }) => {
    assert.ok(await echoscu(port), 'echoscu succeeds');
    const files = [...listFiles(SHARED_CT), ...listFiles(SHARED_MR)];
    const started = performance.now();
    const sent = await storescu(port, files);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(sent.code, 0, sent.output.slice(-2000));
    assert.equal(sent.acked.length, files.length);
    await waitFor(() => files.every((f) => sink.instances.has(parseFileMeta(readFileSync(f)).mediaStorageSopInstanceUid)), 'every instance at the hub', SLOW);
    for (const f of files) {
      const bytes = readFileSync(f);
      const at = sink.instances.get(parseFileMeta(bytes).mediaStorageSopInstanceUid)!;
      assert.equal(sameInstance(bytes, at.bytes, await loadCodecs()), null, `${relative(SHARED_CT, f)} identical (elements; pixels once decoded)`);
      assert.equal(at.versions, 1);
    }
    await waitFor(() => readdirSync(join(dataDir, 'spool', 'queue')).length === 0, 'the agent queue empty', SLOW);
    t.diagnostic(`storescu → agent: ${files.length} instances in ${seconds.toFixed(2)} s (${(files.length / seconds).toFixed(1)} inst/s, fsync before each response)`);
  });
});

test('every malformed file is refused or stored byte-identical, and the agent keeps serving', async (t) => {
  await withAgent(async ({ sink, port, dataDir, agent }) => {
    const files = listFiles(SHARED_MALFORMED);
    assert.ok(files.length >= 20);
    const outcomes: string[] = [];
    for (const f of files) {
      const name = relative(SHARED_MALFORMED, f);
      const started = performance.now();
      // 1. As DCMTK would send it (storescu may itself refuse to read the file).
      const viaDcmtk = await storescu(port, [f]);
      // 2. As raw bytes, bypassing DCMTK's parser, when the file has a readable meta header.
      let raw = 'no meta';
      try {
        const out = await storeRawInstances({ host: '127.0.0.1', port, callingAeTitle: 'RAW', calledAeTitle: 'RELAIS' }, [rawInstanceFromFile(f)]);
        const status = out.results[0]!.status;
        raw = status === undefined ? `no status${out.error ? ` (${out.error})` : ''}` : status.toString(16).padStart(4, '0');
      } catch (err) {
        raw = `not sent: ${(err as Error).message.slice(0, 60)}`;
      }
      assert.ok(await echoscu(port), `agent alive after ${name}`);
      const dcmtk = viaDcmtk.acked.length ? 'stored' : viaDcmtk.refused.size ? [...viaDcmtk.refused.values()][0] : `not sent (exit ${viaDcmtk.code})`;
      outcomes.push(`${name}: storescu ${dcmtk}; raw ${raw} (${Math.round(performance.now() - started)} ms)`);
    }
    for (const o of outcomes) t.diagnostic(o);
    assert.equal(agent.child.exitCode, null, 'the agent process is still running');
    await waitFor(() => readdirSync(join(dataDir, 'spool', 'queue')).length === 0, 'stored ones uploaded', SLOW);
    assert.deepEqual(readdirSync(join(dataDir, 'spool', 'tmp')), [], 'nothing half-written left');
    // What was stored is what was sent: the raw send of each file (its exact bytes) is at the hub.
    for (const f of files) {
      let sop: string;
      try {
        sop = parseFileMeta(readFileSync(f)).mediaStorageSopInstanceUid;
      } catch {
        continue;
      }
      const at = sink.instances.get(sop);
      const codecs = await loadCodecs();
      if (at) assert.ok(at.history.some((b) => sameInstance(readFileSync(f), b, codecs) === null), `${relative(SHARED_MALFORMED, f)} identical at the hub`);
    }
  });
});
