/**
 * Store-and-forward through the real test bed (wireguard-go in namespaces, the link relay): the
 * relais hub and agent as processes, DCMTK storescu as the modality. What a user cares about:
 * - the shared CT crosses a `flapping` link (its 30 s outage falls in the middle of the transfer)
 *   and every instance arrives with the modality's bytes;
 * - kill -9 of the agent, then of the hub, during a transfer loses nothing and duplicates
 *   nothing, and the link carries little more than the study (resumes, not restarts);
 * - an emergency sent behind a deferred backlog is at the hub long before the backlog.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_CT } from '../data.ts';
import { waitFor } from '../fakes/wait.ts';
import { startTestbed } from '../../simulators/testbed/testbed.ts';
import { namedProfile } from '../../simulators/link/profiles.ts';
import { makeStudy, studyFromDir } from '../../simulators/testbed/anchors/study.ts';
import { startRelaisPair, type RelaisPair } from '../../simulators/testbed/anchors/relais.ts';
import { parseFileMeta } from '../../lib/dicom/part10.ts';
import { parseDicomHeader } from '../../lib/dicom/header.ts';
import { requireRoot, uniqueName, assertNothingLeft } from './netbed-leftovers.ts';

const STREAMS = 4;
const LONG = { timeoutMs: 150_000, intervalMs: 200 };

interface IndexLine {
  sopInstanceUid: string;
  sha256: string;
  version: number;
}

async function indexLines(hubDir: string): Promise<IndexLine[]> {
  const out: IndexLine[] = [];
  const root = join(hubDir, 'studies');
  for (const a of await readdir(root).catch(() => [] as string[])) {
    for (const b of await readdir(join(root, a)).catch(() => [] as string[])) {
      const text = await readFile(join(root, a, b, 'instances.jsonl'), 'utf8').catch(() => '');
      for (const line of text.split('\n')) {
        try {
          if (line.trim()) out.push(JSON.parse(line) as IndexLine);
        } catch {
          // torn line after kill -9 (repaired by the hub at start)
        }
      }
    }
  }
  return out;
}

const dataset = (bytes: Buffer) => bytes.subarray(parseFileMeta(bytes).datasetOffset);

/** Every file of the study is at the hub once, with the modality's dataset bytes. */
async function assertArrivedOnce(pair: RelaisPair, files: readonly string[]): Promise<void> {
  const lines = await indexLines(pair.hubDir);
  for (const f of files) {
    const bytes = await readFile(f);
    const sop = parseDicomHeader(bytes).sopInstanceUid;
    const entries = lines.filter((l) => l.sopInstanceUid === sop);
    assert.equal(entries.length, 1, `instance ${sop} stored exactly once`);
    assert.equal(entries[0]!.version, 1);
    const stored = await readFile(join(pair.hubDir, 'objects', entries[0]!.sha256.slice(0, 2), `${entries[0]!.sha256}.dcm`));
    assert.ok(dataset(stored).equals(dataset(bytes)), `instance ${sop} arrived byte for byte`);
  }
}

async function storedOf(pair: RelaisPair, files: readonly string[]): Promise<number> {
  const sops = new Set((await indexLines(pair.hubDir)).map((l) => l.sopInstanceUid));
  let n = 0;
  for (const f of files) if (sops.has(parseDicomHeader(await readFile(f)).sopInstanceUid)) n++;
  return n;
}

test('store-and-forward through WireGuard and the link relay', { timeout: 420_000 }, async (t) => {
  requireRoot();
  const name = uniqueName('t');
  const work = await mkdtemp(join(tmpdir(), 'relais-transport-bed-'));
  const bed = await startTestbed({ name, profile: 'lan', seed: 7 });
  const pair = await startRelaisPair(bed, work, { defaultUrgency: 'deferred', agentArgs: ['--upload-concurrency', String(STREAMS), '--compress', 'off'] }); // the wire alone: bytes as sent
  t.after(async () => {
    await pair.stop();
    await bed.stop();
    await assertNothingLeft(name, bed.relayPid);
    await rm(work, { recursive: true, force: true });
  });
  const fresh = async (label: string, slices: number) => {
    const dir = join(work, label);
    await mkdir(dir);
    return makeStudy(SHARED_CT, slices, dir);
  };

  // Link overhead of a clean transfer (WireGuard, IP, TCP, HTTP), to tell re-sent bytes later.
  const clean = await fresh('clean', 20);
  let before = (await bed.relay.stats()).up.bytesOut;
  assert.equal(await pair.send(clean.files), 0);
  await waitFor(async () => (await storedOf(pair, clean.files)) === clean.files.length, 'the clean study at the hub', LONG);
  const overhead = ((await bed.relay.stats()).up.bytesOut - before) / clean.bytes;
  t.diagnostic(`link bytes per study byte, clean: ${overhead.toFixed(3)}`);

  await t.test('the shared CT crosses a flapping link (30 s outage mid-transfer) and arrives byte for byte', async () => {
    const ct = await studyFromDir(SHARED_CT, 'ct-54');
    const flapping = namedProfile('flapping');
    // The named profile, its phase moved so that the outage starts 4 s into the transfer.
    await bed.relay.setProfile({
      name: 'flapping',
      up: { rateBitsPerSecond: flapping.up.rateBitsPerSecond, delayMs: flapping.up.delayMs },
      down: { rateBitsPerSecond: flapping.down.rateBitsPerSecond, delayMs: flapping.down.delayMs },
      outages: { everyMs: 120_000, durationMs: 30_000, offsetMs: 4_000 },
    });
    const drops = (await bed.relay.stats()).up.drops.outage;
    assert.equal(await pair.send(ct.files), 0);
    await waitFor(async () => (await storedOf(pair, ct.files)) === ct.files.length, 'the CT at the hub', LONG);
    assert.ok((await bed.relay.stats()).up.drops.outage > drops, 'the outage cut the transfer');
    await assertArrivedOnce(pair, ct.files);
    await bed.relay.setProfile('lan');
  });

  await t.test('kill -9 of the agent, then of the hub, mid-transfer: nothing lost, nothing duplicated, little re-sent', async () => {
    await bed.relay.setProfile({ name: '10mbit', up: { rateBitsPerSecond: 10e6, delayMs: 40 }, down: { rateBitsPerSecond: 10e6, delayMs: 40 } });
    const study = await fresh('killed', 54);
    before = (await bed.relay.stats()).up.bytesOut;
    assert.equal(await pair.send(study.files), 0);
    await waitFor(async () => (await storedOf(pair, study.files)) >= 12, 'a quarter at the hub', LONG);
    pair.agent.child.kill('SIGKILL');
    await pair.agent.exitCode(10_000);
    pair.agent = await pair.startAgent();
    await waitFor(async () => (await storedOf(pair, study.files)) >= 30, 'more than half at the hub', LONG);
    pair.hub.child.kill('SIGKILL');
    await pair.hub.exitCode(10_000);
    pair.hub = await pair.startHub();
    await waitFor(async () => (await storedOf(pair, study.files)) === study.files.length, 'the whole study at the hub', LONG);
    await assertArrivedOnce(pair, study.files);
    const carried = (await bed.relay.stats()).up.bytesOut - before;
    const resent = carried - overhead * study.bytes;
    const instance = study.bytes / study.files.length;
    t.diagnostic(`study ${study.bytes} B, link carried ${carried} B, re-sent ≈ ${Math.round(resent)} B (${STREAMS} streams × 2 kills; one instance ≈ ${Math.round(instance)} B)`);
    // At most one chunk (here: one instance, smaller than a chunk) per stream and per kill.
    assert.ok(resent <= 2 * STREAMS * instance * overhead + 0.02 * study.bytes, `re-sent ${Math.round(resent)} B`);
  });

  await t.test('an emergency sent behind a deferred backlog reaches the hub first', async () => {
    await bed.relay.setProfile('island-vsat');
    const backlog = await fresh('backlog', 54);
    const urgent = await fresh('urgent', 4);
    assert.equal(await pair.send(backlog.files, 'CT_SITE'), 0);
    await waitFor(async () => (await storedOf(pair, backlog.files)) >= 2, 'the backlog under way', LONG);
    const t0 = Date.now();
    assert.equal(await pair.send(urgent.files, 'EMERGENCY'), 0);
    await waitFor(async () => (await storedOf(pair, urgent.files)) === urgent.files.length, 'the emergency at the hub', LONG);
    const seconds = (Date.now() - t0) / 1000;
    const backlogDone = await storedOf(pair, backlog.files);
    // Alone on a 4 Mbit/s link, 4 slices (~2.1 MB) take ~4.5 s; the backlog needs about a minute.
    const alone = (urgent.bytes * 8 * overhead) / 4e6;
    t.diagnostic(`emergency: ${seconds.toFixed(1)} s (alone ≈ ${alone.toFixed(1)} s); backlog: ${backlogDone}/${backlog.files.length} at that time`);
    assert.ok(backlogDone < backlog.files.length / 2, 'most of the backlog still waits');
    assert.ok(seconds < alone * 3 + 5, `the emergency took ${seconds.toFixed(1)} s`);
    await assertArrivedOnce(pair, urgent.files);
  });
});
