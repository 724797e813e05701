/**
 * kill -9 at random moments: while DCMTK storescu sends the shared CT and MR and while the agent
 * uploads to a slow hub, the agent process (the esbuild bundle) is killed with SIGKILL 20 times
 * and restarted each time; storescu re-sends what it did not see acknowledged, as a modality
 * would. In the end every instance storescu saw acknowledged is at the hub, exactly one version
 * of each (same bytes), dataset bytes identical to the source — nothing acknowledged was lost.
 */
import { loadCodecs } from '../../lib/codec/frame-codecs.ts';
import { sameInstance } from '../../lib/codec/identical.ts';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_CT, SHARED_MR, listFiles } from '../data.ts';
import { HubSink } from '../fakes/hub-sink.ts';
import { waitFor } from '../fakes/wait.ts';
import { parseFileMeta } from '../../lib/dicom/part10.ts';
import { buildBundle, freePort, startAgentProcess, storescu, killAll, type StorescuResult } from './agent-process.ts';

after(killAll);

/** Small seeded generator (mulberry32) so a failing run can be replayed with its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('20 kill -9 during intake and upload lose nothing that was acknowledged', async (t) => {
  const seed = Number(process.env.RELAIS_CRASH_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed} (set RELAIS_CRASH_SEED to replay)`);
  const random = seeded(seed);
  const bundle = await buildBundle();
  const sink = new HubSink();
  await sink.listen();
  sink.setDelay(40); // a slow hub: uploads lag behind intake, so kills also land mid-upload
  const dataDir = mkdtempSync(join(tmpdir(), 'relais-agent-crash-'));
  const port = await freePort();
  const args = [
    '--data', dataDir, '--hub', sink.url, '--credential', sink.credential, '--dicom-port', String(port),
    '--quiet-seconds', '1', '--retry-base-ms', '50', '--retry-max-ms', '500', '--upload-concurrency', '1', '--min-free-mb', '0',
  ];
  const files = [...listFiles(SHARED_CT), ...listFiles(SHARED_MR)];
  const acked = new Set<string>();
  const pending = () => files.filter((f) => !acked.has(f));
  const moments = { intake: 0, uploadOnly: 0 };
  try {
    for (let round = 0; round < 20; round++) {
      const agent = await startAgentProcess(args, { bundle });
      let sending: Promise<StorescuResult> | undefined;
      if (pending().length > 0) {
        sending = storescu(port, pending());
        moments.intake++;
      } else {
        moments.uploadOnly++;
      }
      await new Promise((r) => setTimeout(r, 100 + random() * 1_100)); // the random moment (fault injection)
      agent.child.kill('SIGKILL');
      const { signal } = await agent.exited;
      assert.equal(signal, 'SIGKILL');
      if (sending) for (const f of (await sending).acked) acked.add(f);
    }
    t.diagnostic(`kills: ${moments.intake} during intake (+upload), ${moments.uploadOnly} during upload only; acknowledged before the last restart: ${acked.size}/${files.length}; at the hub: ${sink.instances.size}`);
    // Last restart: the modality sends what is left; the agent drains its queue.
    const agent = await startAgentProcess(args, { bundle });
    sink.setDelay(0);
    for (let attempt = 0; attempt < 5 && pending().length > 0; attempt++) {
      for (const f of (await storescu(port, pending())).acked) acked.add(f);
    }
    assert.deepEqual(pending(), [], 'every file acknowledged in the end');
    await waitFor(() => readdirSync(join(dataDir, 'spool', 'queue')).length === 0 && sink.instances.size >= files.length, 'the queue drained to the hub', { timeoutMs: 180_000 });
    for (const f of files) {
      const bytes = readFileSync(f);
      const meta = parseFileMeta(bytes);
      const at = sink.instances.get(meta.mediaStorageSopInstanceUid);
      assert.ok(at, `${f} at the hub`);
      assert.equal(at.versions, 1, `one version of ${f}`);
      assert.equal(sameInstance(bytes, at.bytes, await loadCodecs()), null, `${f} identical (elements; pixels once decoded)`);
    }
    assert.deepEqual(readdirSync(join(dataDir, 'spool', 'tmp')), []);
    assert.deepEqual(readdirSync(join(dataDir, 'spool', 'quarantine')), [], 'nothing quarantined by the crashes');
    const puts = [...sink.instances.values()].reduce((n, i) => n + i.puts, 0);
    t.diagnostic(`uploads: ${puts} PUTs for ${files.length} instances (re-sent after kills: ${puts - files.length})`);
    agent.child.kill('SIGTERM');
    assert.equal((await agent.exited).code, 0);
  } finally {
    killAll();
    await sink.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
