import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, writeFileSync, mkdirSync, readFileSync, copyFileSync, existsSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../lib/logger.ts';
import { sha256File } from '../../lib/sha256.ts';
import { readDicomHeader } from '../../lib/dicom/header.ts';
import { SHARED_CT, listFiles } from '../../test/data.ts';
import { Spool, newSpoolId, studyKey, DATA_FILE, META_FILE, REASON_FILE } from './spool.ts';
import type { InstanceRecord } from './record.ts';

const CT = listFiles(SHARED_CT);

async function withSpool(fn: (spool: Spool, root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'relais-spool-'));
  try {
    await fn(new Spool(root, silentLogger()), root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Puts a real CT file through intake the way the SCP does: tmp/<id>/data.dcm, then admit. */
async function intake(spool: Spool, file: string, at = Date.now()): Promise<InstanceRecord> {
  const id = newSpoolId(at);
  await spool.createIntakeDir(id);
  copyFileSync(file, spool.intakeDataPath(id));
  const h = await readDicomHeader(spool.intakeDataPath(id));
  const record: InstanceRecord = {
    v: 1,
    id,
    sopInstanceUid: h.sopInstanceUid,
    sopClassUid: h.sopClassUid,
    studyInstanceUid: h.studyInstanceUid,
    seriesInstanceUid: h.seriesInstanceUid,
    transferSyntaxUid: h.transferSyntaxUid,
    sha256: await sha256File(spool.intakeDataPath(id)),
    size: readFileSync(file).length,
    receivedAt: new Date(at).toISOString(),
    callingAeTitle: 'CT01',
    calledAeTitle: 'RELAIS',
    urgency: 'emergency',
    modality: 'CT',
  };
  await spool.admit(record);
  return record;
}

test('spool ids sort by receive time and never contain a UID; study folders are hashed', () => {
  const a = newSpoolId(1_700_000_000_000);
  const b = newSpoolId(1_700_000_000_001);
  assert.match(a, /^[0-9a-z]{9}-[0-9a-f]{12}$/);
  assert.ok(a < b);
  assert.match(studyKey('1.2.840.113619.2.55.3'), /^[0-9a-f]{32}$/);
});

test('admitted instances survive a restart and come back in receive order; uploads leave the queue', async () => {
  await withSpool(async (spool, root) => {
    await spool.open({ defaultUrgency: 'scheduled' });
    const r1 = await intake(spool, CT[0]!, 1_000_000);
    const r2 = await intake(spool, CT[1]!, 2_000_000);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
    const again = new Spool(root, silentLogger());
    const report = await again.open({ defaultUrgency: 'scheduled' });
    assert.deepEqual(report.queued.map((r) => r.id), [r1.id, r2.id]);
    assert.deepEqual(report.queued[0], r1);
    await again.markUploaded(r1);
    assert.deepEqual(readdirSync(join(root, 'queue')), [r2.id]);
    assert.deepEqual(readdirSync(join(root, 'sent', r1.id)), [META_FILE], 'data removed, record kept for the manifest');
    const third = await new Spool(root, silentLogger()).open({ defaultUrgency: 'scheduled' });
    assert.deepEqual(third.queued.map((r) => r.id), [r2.id]);
    assert.equal(third.studies.length, 1);
    assert.deepEqual(third.studies[0]!.uploaded.map((u) => u.id), [r1.id]);
  });
});

test('recovery removes unacknowledged intake folders and finishes interrupted moves', async () => {
  await withSpool(async (spool, root) => {
    await spool.open({ defaultUrgency: 'scheduled' });
    const uploaded = await intake(spool, CT[0]!);
    const quarantined = await intake(spool, CT[1]!);
    const kept = await intake(spool, CT[2]!);
    // Crash mid-intake: a folder in tmp/ with a partial file.
    mkdirSync(join(root, 'tmp', newSpoolId(Date.now())));
    writeFileSync(join(root, 'tmp', readdirSync(join(root, 'tmp'))[0]!, DATA_FILE), 'partial');
    // Crash after the hub's 2xx was recorded (rename to sent/) but before the data was removed.
    renameSync(join(root, 'queue', uploaded.id), join(root, 'sent', uploaded.id));
    // Crash after the quarantine reason was written but before the rename.
    writeFileSync(join(root, 'queue', quarantined.id, REASON_FILE), JSON.stringify({ v: 1, code: 'RELAIS_UPLOAD_NOT_DICOM', message: 'x', at: new Date().toISOString() }));
    const report = await new Spool(root, silentLogger()).open({ defaultUrgency: 'scheduled' });
    assert.equal(report.removedTemp, 1);
    assert.deepEqual(readdirSync(join(root, 'sent', uploaded.id)), [META_FILE]);
    assert.deepEqual(report.studies.flatMap((s) => s.uploaded.map((u) => u.id)), [uploaded.id]);
    assert.equal(report.completedQuarantines, 1);
    assert.deepEqual(report.queued.map((r) => r.id), [kept.id]);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
    assert.deepEqual(readdirSync(join(root, 'quarantine')), [quarantined.id]);
    assert.equal(report.quarantined, 1);
  });
});

test('recovery validates sidecars: an invalid one is rebuilt from the data, unreadable data is quarantined', async () => {
  await withSpool(async (spool, root) => {
    await spool.open({ defaultUrgency: 'deferred' });
    const good = await intake(spool, CT[0]!);
    const broken = await intake(spool, CT[1]!);
    writeFileSync(join(root, 'queue', good.id, META_FILE), '{"v":1,"id":"../../etc"}');
    writeFileSync(join(root, 'queue', broken.id, DATA_FILE), 'not dicom at all');
    writeFileSync(join(root, 'queue', broken.id, META_FILE), 'garbage');
    const report = await new Spool(root, silentLogger()).open({ defaultUrgency: 'deferred' });
    assert.equal(report.rebuiltSidecars, 1);
    assert.equal(report.quarantinedUnreadable, 1);
    assert.equal(report.queued.length, 1);
    const rebuilt = report.queued[0]!;
    assert.equal(rebuilt.id, good.id);
    assert.equal(rebuilt.sha256, good.sha256);
    assert.equal(rebuilt.sopInstanceUid, good.sopInstanceUid);
    assert.equal(rebuilt.urgency, 'deferred');
    assert.ok(existsSync(join(root, 'quarantine', broken.id, REASON_FILE)));
  });
});

test('a purged study leaves nothing behind; a quarantine keeps data and reason', async () => {
  await withSpool(async (spool, root) => {
    await spool.open({ defaultUrgency: 'scheduled' });
    const r = await intake(spool, CT[0]!);
    await spool.markUploaded(r);
    await spool.saveManifestState({ v: 1, studyInstanceUid: r.studyInstanceUid, coversReceivedUntil: r.receivedAt, instances: 1, postedAt: new Date().toISOString(), outcome: 'accepted' });
    const reopened = await new Spool(root, silentLogger()).open({ defaultUrgency: 'scheduled' });
    assert.equal(reopened.studies[0]!.manifest?.outcome, 'accepted');
    await spool.purgeStudy(r.studyInstanceUid, [r.id]);
    assert.deepEqual(readdirSync(join(root, 'studies')), []);
    assert.deepEqual(readdirSync(join(root, 'sent')), []);
    const q = await intake(spool, CT[1]!);
    await spool.quarantine(q.id, { code: 'RELAIS_UPLOAD_NOT_DICOM', message: 'refused' });
    assert.deepEqual(readdirSync(join(root, 'quarantine', q.id)).sort(), [DATA_FILE, META_FILE, REASON_FILE].sort());
    assert.equal(spool.quarantinedCount, 1);
  });
});
