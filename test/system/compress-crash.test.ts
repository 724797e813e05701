/**
 * kill -9 during compression: the agent (from source, compression on, one worker) receives the
 * shared CT and MR from DCMTK storescu while the hub is down, and is killed with SIGKILL at random
 * moments while it compresses, then restarted, several times. After each kill every queued
 * instance is on disk as the original or the verified compressed file, described by its sidecar
 * once the recovery pass ran (checked at the next start). In the end the hub receives every
 * acknowledged instance once, identical to the source (elements; pixels once decoded).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_CT, SHARED_MR, listFiles } from '../data.ts';
import { HubSink } from '../fakes/hub-sink.ts';
import { waitFor } from '../fakes/wait.ts';
import { parseFileMeta } from '../../lib/dicom/part10.ts';
import { sha256Hex } from '../../lib/sha256.ts';
import { loadCodecs } from '../../lib/codec/frame-codecs.ts';
import { sameInstance } from '../../lib/codec/identical.ts';
import { freePort, startAgentProcess, storescu, killAll } from './agent-process.ts';

after(killAll);

test('kill -9 while compressing: original or verified compressed file, never a mix; everything reaches the hub identical', async (t) => {
  const codecs = await loadCodecs();
  const sink = new HubSink();
  await sink.listen();
  sink.setDown(true);
  const dataDir = mkdtempSync(join(tmpdir(), 'relais-compress-crash-'));
  const port = await freePort();
  const args = ['--data', dataDir, '--hub', sink.url, '--credential', sink.credential, '--dicom-port', String(port), '--no-ui',
    '--quiet-seconds', '1', '--retry-base-ms', '50', '--retry-max-ms', '300', '--min-free-mb', '0', '--compress-workers', '1', '--no-previews',
    '--compress', 'j2k']; // a slower codec: more kills land mid-encode
  const files = [...listFiles(SHARED_CT), ...listFiles(SHARED_MR)];
  const queue = join(dataDir, 'spool', 'queue');
  const midCommit = () => readdirSync(queue).filter((id) => readdirSync(join(queue, id)).some((n) => n !== 'data.dcm' && n !== 'meta.json')).length;
  const compressedCount = () => readdirSync(queue).filter((id) => (JSON.parse(readFileSync(join(queue, id, 'meta.json'), 'utf8')) as { original?: unknown }).original).length;
  try {
    let agent = await startAgentProcess(args);
    const sent = await storescu(port, files);
    assert.equal(sent.acked.length, files.length, sent.output.slice(-1000));
    const kills: Array<{ compressed: number; leftovers: number }> = [];
    for (let round = 0; round < 8; round++) {
      if (round > 0) agent = await startAgentProcess(args);
      // Consistency after the previous kill, once recovery ran: each data.dcm is what its sidecar says.
      for (const id of readdirSync(queue)) {
        const meta = JSON.parse(readFileSync(join(queue, id, 'meta.json'), 'utf8')) as { sha256: string; size: number };
        const data = readFileSync(join(queue, id, 'data.dcm'));
        if (!readdirSync(join(queue, id)).includes('meta.next.json')) assert.equal(sha256Hex(data), meta.sha256, `queue/${id}: data.dcm is what meta.json describes`);
      }
      if (compressedCount() === files.length) break;
      // Kill once this run has compressed something, at a random moment after (fault injection).
      const before = compressedCount();
      await waitFor(() => compressedCount() > before, 'compression progresses after the restart', { timeoutMs: 60_000, intervalMs: 20 });
      await new Promise((r) => setTimeout(r, Math.random() * 400));
      agent.child.kill('SIGKILL');
      await agent.exited;
      kills.push({ compressed: compressedCount(), leftovers: midCommit() });
    }
    t.diagnostic(`kills while compressing: ${JSON.stringify(kills)}`);
    assert.ok(kills.filter((k, i) => k.compressed < files.length && (i === 0 || k.compressed > kills[i - 1]!.compressed)).length >= 2, 'the agent was killed at least twice in the middle of compressing');
    agent = await startAgentProcess(args);
    sink.setDown(false);
    await waitFor(() => sink.instances.size === files.length && existsSync(queue) && readdirSync(queue).length === 0, 'the queue drained to the hub', { timeoutMs: 240_000 });
    let compressed = 0;
    for (const f of files) {
      const bytes = readFileSync(f);
      const at = sink.instances.get(parseFileMeta(bytes).mediaStorageSopInstanceUid);
      assert.ok(at, `${f} at the hub`);
      assert.equal(at.versions, 1, `one version of ${f}`);
      assert.equal(sameInstance(bytes, at.bytes, codecs), null, `${f} identical`);
      if (parseFileMeta(at.bytes).transferSyntaxUid !== parseFileMeta(bytes).transferSyntaxUid) compressed++;
    }
    assert.equal(compressed, files.length, 'every instance was compressed in the end');
    agent.child.kill('SIGTERM');
    await agent.exited;
  } finally {
    killAll();
    await sink.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
