/**
 * Modality simulator → agent (intake, spool, assembly, uplink, heartbeat) → recording hub sink,
 * all on loopback in this process. What a user cares about: every instance arrives with the
 * dataset bytes the modality sent (private tags included), the study's manifest is posted, the
 * agent keeps nothing once the hub has it, and nothing is lost when the hub is down.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { SHARED_CT, SHARED_MR, listFiles } from '../data.ts';
import { waitFor } from '../fakes/wait.ts';

/** Deadlines for conditions on a shared, loaded 2-core machine (not sleeps: polls end early). */
const SLOW = { timeoutMs: 120_000 };
import { prepareFiles, prepareSlices } from '../../simulators/modality/prepare.ts';
import { sendStudy } from '../../simulators/modality/run.ts';
import { rewriteTopLevelUids, readTopLevelUids, UID_TAGS } from '../../lib/dicom/uid-rewrite.ts';
import { parseFileMeta } from '../../lib/dicom/part10.ts';
import { sha256Hex } from '../../lib/sha256.ts';
import { echoScu } from '../../lib/dicom/echo-scu.ts';
import { startHarness, datasetOf, spoolEntries } from './agent-helpers.ts';
import { loadCodecs, type Codecs } from '../../lib/codec/frame-codecs.ts';
import { sameInstance } from '../../lib/codec/identical.ts';
import { toNative } from '../../lib/codec/transcode.ts';

let codecs: Codecs;
before(async () => {
  codecs = await loadCodecs();
});

const metaOf = (path: string) => parseFileMeta(readFileSync(path));
const target = (port: number) => ({ host: '127.0.0.1', port, calledAeTitle: 'RELAIS', callingAeTitle: 'CT_SIM' });

test('the shared CT and MR reach the hub compressed and identical (elements, pixels once decoded), manifests are posted, the spool empties', async () => {
  const h = await startHarness();
  try {
    assert.equal(await echoScu({ ...target(h.agent.dicomPort), callingAeTitle: 'ECHO' }), 0x0000, 'C-ECHO answers');
    const files = [...listFiles(SHARED_CT), ...listFiles(SHARED_MR)];
    const result = await sendStudy(target(h.agent.dicomPort), prepareFiles(files), { associations: 3 });
    assert.equal(result.totals.stored, files.length, JSON.stringify(result.errors));

    const studyOf = (f: string) => readTopLevelUids(datasetOf(f), metaOf(f).transferSyntaxUid, [UID_TAGS.studyInstanceUid]).get(UID_TAGS.studyInstanceUid)!;
    const studies = new Set(files.map(studyOf));
    const complete = (study: string) => h.sink.manifests.get(study)?.instances.length === files.filter((f) => studyOf(f) === study).length;
    await waitFor(() => [...studies].every(complete) && h.agent.pendingUploads() === 0, 'complete manifests of both studies', SLOW);

    for (const f of files) {
      const sop = metaOf(f).mediaStorageSopInstanceUid;
      const at = h.sink.instances.get(sop);
      assert.ok(at, `instance of ${f} at the hub`);
      assert.equal(sameInstance(readFileSync(f), at.bytes, codecs), null, `${f} identical (elements, pixels once decoded)`);
      assert.notEqual(parseFileMeta(at.bytes).transferSyntaxUid, metaOf(f).transferSyntaxUid, `${f} compressed by the agent`);
      assert.equal(parseFileMeta(at.bytes).sourceApplicationEntityTitle, 'CT_SIM');
    }
    for (const study of studies) {
      const m = h.sink.manifests.get(study)!;
      for (const i of m.instances) assert.equal(i.sha256, h.sink.instances.get(i.sopInstanceUid)!.sha256);
      assert.equal(m.callingAeTitle, 'CT_SIM');
    }
    await waitFor(() => spoolEntries(h.dataDir, 'studies').length === 0 && spoolEntries(h.dataDir, 'sent').length === 0, 'finished studies purged (retention ≈ 2 s)', SLOW);
    assert.deepEqual(spoolEntries(h.dataDir, 'queue'), []);
    assert.deepEqual(spoolEntries(h.dataDir, 'tmp'), []);
    const [hb] = await once(h.sink.events, 'heartbeat');
    assert.equal(hb.agentId, 'it-agent');
    assert.equal(hb.queue.instances, 0);
    assert.ok(hb.lastUploadAt !== null && hb.disk.totalBytes > 0);
  } finally {
    await h.close();
  }
});

test('--slices makes a new study whose instances differ from their source only by the three UIDs', async () => {
  const h = await startHarness();
  try {
    const source = listFiles(SHARED_CT);
    const study = prepareSlices(source, 60);
    const result = await sendStudy(target(h.agent.dicomPort), study, { associations: 2 });
    assert.equal(result.totals.stored, 60);
    await waitFor(() => h.sink.manifests.get(study.studyInstanceUid!)?.instances.length === 60 && h.agent.pendingUploads() === 0, 'manifest of 60 instances', SLOW);
    const sops = new Set(study.instances.map((i) => i.sopInstanceUid));
    assert.equal(sops.size, 60);
    for (const [n, inst] of study.instances.entries()) {
      const at = h.sink.instances.get(inst.sopInstanceUid)!;
      assert.equal(at.studyInstanceUid, study.studyInstanceUid);
      const src = source[n % source.length]!;
      const native = toNative(at.bytes, codecs); // the agent compressed it; the source is Explicit VR LE
      const ts = parseFileMeta(native).transferSyntaxUid;
      const original = readTopLevelUids(datasetOf(src), ts, [UID_TAGS.studyInstanceUid, UID_TAGS.seriesInstanceUid, UID_TAGS.sopInstanceUid]);
      assert.ok(rewriteTopLevelUids(datasetOf(native), ts, original).equals(datasetOf(src)), `slice ${n + 1} equals its source but for UIDs`);
    }
  } finally {
    await h.close();
  }
});

test('while the hub is down studies wait on the agent; they drain when it returns, and survive a restart', async () => {
  const h = await startHarness();
  try {
    h.sink.setDown(true);
    const study = prepareSlices(listFiles(SHARED_CT), 12);
    const result = await sendStudy(target(h.agent.dicomPort), study);
    assert.equal(result.totals.stored, 12, 'acknowledged to the modality although the hub is down');
    assert.equal(h.sink.instances.size, 0);
    assert.equal(spoolEntries(h.dataDir, 'queue').length, 12);
    await waitFor(() => h.agent.alerts.has('RELAIS_NETWORK_UNREACHABLE'), 'hub-unreachable alert', SLOW);
    await h.restart();
    assert.equal(h.agent.pendingUploads(), 12, 'queue recovered after restart');
    h.sink.setDown(false);
    await waitFor(() => h.sink.manifests.get(study.studyInstanceUid!)?.instances.length === 12 && h.agent.pendingUploads() === 0, 'drain after the hub returns', SLOW);
    assert.equal(h.sink.instances.size, 12);
    for (const inst of study.instances) assert.equal(h.sink.instances.get(inst.sopInstanceUid)!.sha256, sha256Hex(h.sink.instances.get(inst.sopInstanceUid)!.bytes));
    assert.equal(h.agent.alerts.has('RELAIS_NETWORK_UNREACHABLE'), false, 'alert cleared');
    assert.deepEqual(spoolEntries(h.dataDir, 'queue'), []);
  } finally {
    await h.close();
  }
});

test('a refused credential raises an alert and keeps the data; a content refusal quarantines one instance', async () => {
  const h = await startHarness();
  try {
    h.sink.credential = 'rotated';
    const study = prepareSlices(listFiles(SHARED_CT), 5);
    await sendStudy(target(h.agent.dicomPort), study);
    await waitFor(() => h.agent.alerts.has('RELAIS_AUTH_INVALID'), 'authentication alert', SLOW);
    assert.equal(h.sink.instances.size, 0);
    assert.equal(spoolEntries(h.dataDir, 'queue').length, 5);
    h.sink.failNext(1, 422, 'RELAIS_UPLOAD_NOT_DICOM', 'instances');
    h.sink.credential = 'test-credential';
    await waitFor(() => h.agent.pendingUploads() === 0, 'queue drained', SLOW);
    assert.equal(h.sink.instances.size, 4);
    assert.equal(spoolEntries(h.dataDir, 'quarantine').length, 1);
    const hb = await waitFor(() => h.sink.heartbeats.at(-1)?.queue.quarantined === 1 && h.sink.heartbeats.at(-1), 'heartbeat reporting the quarantine', SLOW);
    assert.ok(hb.alerts.some((a) => a.code === 'RELAIS_AGENT_QUARANTINE'));
    assert.equal(h.agent.alerts.has('RELAIS_AUTH_INVALID'), false);
  } finally {
    await h.close();
  }
});
