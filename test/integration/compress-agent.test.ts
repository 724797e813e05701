/**
 * The compression stage in the running agent: admitted instances are transcoded off the intake
 * path, their spool file and sidecar replaced (original syntax and hash kept in the sidecar),
 * and only then uploaded; the hub receives fewer bytes that decode to exactly what the modality
 * sent. `--compress off` ships as received, `--compress <codec>` forces a codec, and a restart
 * resumes from the spool without compressing twice.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_CT, listFiles } from '../data.ts';
import { waitFor } from '../fakes/wait.ts';
import { prepareFiles } from '../../simulators/modality/prepare.ts';
import { sendStudy } from '../../simulators/modality/run.ts';
import { parseFileMeta } from '../../lib/dicom/part10.ts';
import { sha256Hex } from '../../lib/sha256.ts';
import { TS } from '../../lib/dicom/transfer-syntax.ts';
import { loadCodecs, type Codecs } from '../../lib/codec/frame-codecs.ts';
import { sameInstance } from '../../lib/codec/identical.ts';
import type { InstanceRecord } from '../../agent/spool/record.ts';
import { startHarness, spoolEntries } from './agent-helpers.ts';

const SLOW = { timeoutMs: 120_000 };
const target = (port: number) => ({ host: '127.0.0.1', port, calledAeTitle: 'RELAIS', callingAeTitle: 'CT_SIM' });
const files = listFiles(SHARED_CT).slice(0, 12);
const sopOf = (f: string) => parseFileMeta(readFileSync(f)).mediaStorageSopInstanceUid;

let codecs: Codecs;
before(async () => {
  codecs = await loadCodecs();
});

test('compressed in the spool while the hub is down, original facts in the sidecar; a restart does not compress twice; the hub gets identical instances', async () => {
  const h = await startHarness({ compressWorkers: '1' });
  try {
    h.sink.setDown(true);
    const compressed: InstanceRecord[] = [];
    h.agent.events.on('compressed', (r, result) => {
      if (result?.outcome === 'compressed') compressed.push(r);
    });
    const result = await sendStudy(target(h.agent.dicomPort), prepareFiles(files), { associations: 1 });
    assert.equal(result.totals.stored, files.length, JSON.stringify(result.errors));
    await waitFor(() => compressed.length === files.length, 'every slice compressed', SLOW);
    const queue = spoolEntries(h.dataDir, 'queue');
    assert.equal(queue.length, files.length);
    for (const id of queue) {
      const dir = join(h.dataDir, 'spool', 'queue', id);
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as InstanceRecord;
      const data = readFileSync(join(dir, 'data.dcm'));
      assert.deepEqual(readFileSync(join(dir, 'data.dcm')).length, meta.size);
      assert.equal(sha256Hex(data), meta.sha256, 'sidecar describes the compressed file');
      assert.equal(meta.transferSyntaxUid, TS.jpegLsLossless, 'the policy picks JPEG-LS for CT at rural-4g');
      assert.equal(meta.original?.transferSyntaxUid, TS.explicitLE);
      assert.ok(meta.original!.size > 3 * meta.size, `ratio ${meta.original!.size / meta.size}`);
      assert.deepEqual(spoolEntries(h.dataDir, 'queue').includes(id), true);
    }
    const again: Array<string | undefined> = [];
    const agent = await h.restart();
    agent.events.on('compressed', (_r, r) => again.push(r?.outcome));
    h.sink.setDown(false);
    await waitFor(() => h.sink.instances.size === files.length && agent.pendingUploads() === 0, 'all at the hub', SLOW);
    assert.ok(again.every((o) => o === undefined), 'not compressed again after the restart');
    for (const f of files) {
      const at = h.sink.instances.get(sopOf(f))!;
      assert.equal(parseFileMeta(at.bytes).transferSyntaxUid, TS.jpegLsLossless);
      assert.equal(sameInstance(readFileSync(f), at.bytes, codecs), null, f);
    }
    await waitFor(() => [...h.sink.manifests.values()][0]?.instances.length === files.length, 'manifest', SLOW);
    for (const i of [...h.sink.manifests.values()][0]!.instances) assert.equal(i.sha256, h.sink.instances.get(i.sopInstanceUid)!.sha256, 'the manifest lists the bytes sent');
  } finally {
    await h.close();
  }
});

test('--compress off ships as received; --compress htj2k forces the codec', async () => {
  for (const [mode, ts] of [['off', TS.explicitLE], ['htj2k', TS.htj2kLossless]] as const) {
    const h = await startHarness({ compress: mode });
    try {
      const sub = files.slice(0, 3);
      const result = await sendStudy(target(h.agent.dicomPort), prepareFiles(sub), { associations: 1 });
      assert.equal(result.totals.stored, sub.length);
      await waitFor(() => h.sink.instances.size === sub.length && h.agent.pendingUploads() === 0, 'at the hub', SLOW);
      for (const f of sub) {
        const at = h.sink.instances.get(sopOf(f))!;
        assert.equal(parseFileMeta(at.bytes).transferSyntaxUid, ts, mode);
        assert.equal(sameInstance(readFileSync(f), at.bytes, codecs), null, f);
      }
    } finally {
      await h.close();
    }
  }
});
