/**
 * The hub side of the upload contract, end to end through HTTP: the shared CT uploaded as an
 * agent would, found by QIDO-RS, retrieved by WADO-RS byte for byte; idempotency (duplicate,
 * new version), refusals (hash, UID, not DICOM, size, foreign study), manifest completion,
 * and the audit trail (every transfer, no patient identifiers).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { waitFor } from '../fakes/wait.ts';
import { join } from 'node:path';
import { SHARED_CT, listFiles } from '../data.ts';
import { boundaryOf, parseMultipartRelated } from '../../lib/multipart.ts';
import { sha256Hex } from '../../lib/sha256.ts';
import { startTestHub, prepare, upload, bearer, agentHeaders, type TestHub, type PreparedInstance } from './hub-harness.ts';

let t: TestHub;
let ct: PreparedInstance[];

before(async () => {
  t = await startTestHub({ options: { maxInstanceBytes: 4 * 1024 * 1024 } });
  ct = await Promise.all(listFiles(SHARED_CT).map(prepare));
});
after(() => t.close());

test('the shared CT uploaded by an agent is found by QIDO-RS and comes back from WADO-RS byte-identical', async () => {
  for (const inst of ct) {
    const res = await upload(t, t.agentA.credential, inst);
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.status, 'stored');
    assert.equal(body.sha256, inst.sha256);
    assert.equal(body.version, 1);
  }
  const study = ct[0]!.study;
  const qido = await t.hub.app.inject({ url: `/dicomweb/studies?StudyInstanceUID=${study}`, headers: bearer(t.tokens.radiologist) });
  assert.equal(qido.statusCode, 200);
  assert.match(String(qido.headers['content-type']), /application\/dicom\+json/);
  const [found] = qido.json() as Array<Record<string, { Value?: unknown[] }>>;
  assert.equal(found?.['0020000D']?.Value?.[0], study);
  assert.equal(found?.['00201208']?.Value?.[0], ct.length);
  assert.deepEqual(found?.['00080061']?.Value, ['CT']);

  const series = await t.hub.app.inject({ url: `/dicomweb/studies/${study}/series`, headers: bearer(t.tokens.radiologist) });
  const seriesList = series.json() as Array<Record<string, { Value?: unknown[] }>>;
  assert.equal(seriesList.length, 1);
  assert.equal(seriesList[0]?.['0020000E']?.Value?.[0], ct[0]!.series);
  assert.equal(seriesList[0]?.['00201209']?.Value?.[0], ct.length);

  const instances = await t.hub.app.inject({ url: `/dicomweb/studies/${study}/series/${ct[0]!.series}/instances?limit=10&offset=5`, headers: bearer(t.tokens.radiologist) });
  assert.equal((instances.json() as unknown[]).length, 10);

  for (const inst of ct) {
    const res = await t.hub.app.inject({
      url: `/dicomweb/studies/${inst.study}/series/${inst.series}/instances/${inst.sop}`,
      headers: { ...bearer(t.tokens.radiologist), accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    assert.equal(res.statusCode, 200);
    const ctype = String(res.headers['content-type']);
    assert.match(ctype, /^multipart\/related; type="application\/dicom"/);
    const parts = parseMultipartRelated(res.rawPayload, boundaryOf(ctype)!);
    assert.equal(parts.length, 1);
    assert.equal(sha256Hex(parts[0]!.body), inst.sha256, `instance ${inst.sop} differs`);
  }
  const single = await t.hub.app.inject({
    url: `/dicomweb/studies/${ct[3]!.study}/series/${ct[3]!.series}/instances/${ct[3]!.sop}`,
    headers: { ...bearer(t.tokens.operator), accept: 'application/dicom' },
  });
  assert.equal(single.statusCode, 200);
  assert.deepEqual(single.rawPayload, ct[3]!.bytes);

  const whole = await t.hub.app.inject({ url: `/dicomweb/studies/${study}`, headers: bearer(t.tokens.clinician) });
  const all = parseMultipartRelated(whole.rawPayload, boundaryOf(String(whole.headers['content-type']))!);
  assert.deepEqual(new Set(all.map((p) => sha256Hex(p.body))), new Set(ct.map((i) => i.sha256)));

  const wrongTs = await t.hub.app.inject({
    url: `/dicomweb/studies/${ct[3]!.study}/series/${ct[3]!.series}/instances/${ct[3]!.sop}`,
    headers: { ...bearer(t.tokens.radiologist), accept: 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.50' }, // lossy: never made by the hub
  });
  assert.equal(wrongTs.statusCode, 406);
});

test('a study becomes complete when every instance of its manifest is at the hub', async () => {
  const inst = ct[0]!;
  const manifest = {
    studyInstanceUid: inst.study,
    urgency: 'emergency',
    firstReceivedAt: '2026-11-23T10:00:00.000Z',
    lastReceivedAt: '2026-11-23T10:01:00.000Z',
    instances: ct.map((i) => ({ sopInstanceUid: i.sop, seriesInstanceUid: i.series, sha256: i.sha256, size: i.bytes.length })),
  };
  const res = await t.hub.app.inject({ method: 'POST', url: `/api/v1/studies/${inst.study}/manifest`, headers: agentHeaders(t.agentA.credential), payload: manifest });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json(), { studyInstanceUid: inst.study, expected: ct.length, received: ct.length, complete: true });
  const study = await t.stores.catalog.get(inst.study);
  assert.equal(study?.status, 'complete');
  assert.equal(study?.urgency, 'emergency');
  assert.equal(study?.bytesReceived, ct.reduce((n, i) => n + i.bytes.length, 0));

  const bad = await t.hub.app.inject({ method: 'POST', url: `/api/v1/studies/${inst.study}/manifest`, headers: agentHeaders(t.agentA.credential), payload: { ...manifest, urgency: 'asap' } });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.code, 'RELAIS_PROTOCOL_INVALID_MESSAGE');
});

test('uploads are idempotent: same bytes → duplicate, other bytes → new version kept and flagged', async () => {
  const inst = ct[1]!;
  const again = await upload(t, t.agentA.credential, inst);
  assert.equal(again.statusCode, 200);
  assert.equal(again.json().status, 'duplicate');
  const changed = Buffer.from(inst.bytes);
  changed[changed.length - 1] = changed[changed.length - 1]! ^ 0xff;
  const v2 = await upload(t, t.agentA.credential, inst, { bytes: changed, sha256: sha256Hex(changed) });
  assert.equal(v2.statusCode, 201, v2.body);
  assert.equal(v2.json().status, 'new-version');
  assert.equal(v2.json().version, 2);
  const study = await t.stores.catalog.get(inst.study);
  assert.ok(study?.flags.includes('new-version'));
  assert.equal(study?.instancesReceived, ct.length, 'a new version is not a new instance');
  const v2again = await upload(t, t.agentA.credential, inst, { bytes: changed, sha256: sha256Hex(changed) });
  assert.equal(v2again.json().status, 'duplicate');
  assert.equal(v2again.json().version, 2);
  const wado = await t.hub.app.inject({ url: `/dicomweb/studies/${inst.study}/series/${inst.series}/instances/${inst.sop}`, headers: { ...bearer(t.tokens.radiologist), accept: 'application/dicom' } });
  assert.deepEqual(wado.rawPayload, changed, 'WADO serves the latest version');
});

test('refusals: wrong hash 422, SOP UID mismatch 422, not DICOM 422, too large 413 — nothing stored', async () => {
  const before = await readdir(join(t.dir, 'objects'), { recursive: true });
  const inst = ct[2]!;
  const wrongHash = await upload(t, t.agentA.credential, inst, { sha256: 'a'.repeat(64) });
  assert.equal(wrongHash.statusCode, 422);
  assert.equal(wrongHash.json().error.code, 'RELAIS_UPLOAD_HASH_MISMATCH');
  assert.equal(wrongHash.json().error.retryable, true);
  const wrongUid = await upload(t, t.agentA.credential, inst, { sop: '1.2.3.4.5' });
  assert.equal(wrongUid.statusCode, 422);
  assert.equal(wrongUid.json().error.code, 'RELAIS_UPLOAD_UID_MISMATCH');
  const junk = Buffer.from('this is not a DICOM file at all');
  const notDicom = await upload(t, t.agentA.credential, inst, { bytes: junk, sha256: sha256Hex(junk) });
  assert.equal(notDicom.statusCode, 422);
  assert.equal(notDicom.json().error.code, 'RELAIS_UPLOAD_NOT_DICOM');
  const big = Buffer.alloc(5 * 1024 * 1024, 1);
  const tooLarge = await upload(t, t.agentA.credential, inst, { bytes: big, sha256: sha256Hex(big) });
  assert.equal(tooLarge.statusCode, 413);
  assert.equal(tooLarge.json().error.code, 'RELAIS_UPLOAD_TOO_LARGE');
  const badSha = await upload(t, t.agentA.credential, inst, { sha256: 'xyz' });
  assert.equal(badSha.statusCode, 400);
  assert.deepEqual(await readdir(join(t.dir, 'objects'), { recursive: true }), before);
  assert.deepEqual(await readdir(join(t.dir, 'tmp')), [], 'no temp file left behind');
});

test('agent B cannot write a study first uploaded by agent A (403, audited as a security alert)', async () => {
  const inst = ct[5]!;
  const early = await upload(t, t.agentB.credential, inst);
  assert.equal(early.statusCode, 403);
  assert.equal(early.json().error.code, 'RELAIS_AUTH_FORBIDDEN');
  // Without the study header the hub still finds the owner from the dataset itself.
  const late = await upload(t, t.agentB.credential, inst, { headers: { 'relais-study-uid': '1.2.3' } });
  assert.equal(late.statusCode, 422, 'a study header that contradicts the dataset is refused');
  const res = await t.hub.app.inject({
    method: 'PUT', url: `/api/v1/instances/${inst.sop}`,
    headers: agentHeaders(t.agentB.credential, { 'content-type': 'application/dicom', 'relais-sha256': inst.sha256 }), payload: inst.bytes,
  });
  assert.equal(res.statusCode, 403);
  const manifest = await t.hub.app.inject({
    method: 'POST', url: `/api/v1/studies/${inst.study}/manifest`, headers: agentHeaders(t.agentB.credential),
    payload: { studyInstanceUid: inst.study, urgency: 'deferred', firstReceivedAt: '2026-11-23T10:00:00.000Z', lastReceivedAt: '2026-11-23T10:00:00.000Z', instances: [] },
  });
  assert.equal(manifest.statusCode, 403);
  assert.equal((await t.stores.catalog.get(inst.study))?.agentId, t.agentA.id);
});

test('every transfer and access is in the audit log, which never holds patient identifiers', async () => {
  const dir = join(t.dir, 'audit');
  const text = (await Promise.all((await readdir(dir)).map((f) => readFile(join(dir, f), 'utf8')))).join('');
  const records = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const stored = records.filter((r) => r.event === 'instances-transferred' && r.result === 'stored');
  assert.equal(stored.length, ct.length);
  assert.ok(stored.every((r) => r.dcm === '110104' && (r.actor as { id: string }).id === t.agentA.id && typeof r.at === 'string'));
  assert.ok(records.some((r) => r.event === 'instances-accessed' && r.action === 'wado-instance'));
  assert.ok(records.some((r) => r.event === 'query' && r.action === 'qido-studies'));
  assert.ok(records.some((r) => r.event === 'security-alert' && (r.actor as { id: string }).id === t.agentB.id));
  for (const phi of ['PLASTIC', 'TRAUMA']) assert.ok(!text.includes(phi), `audit contains ${phi}`);
});

test('a connection cut in the middle of an upload stores nothing and leaves no temp file (N5)', async () => {
  const url = await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
  const inst = ct[7]!;
  const changed = Buffer.from(inst.bytes);
  changed[changed.length - 2] = changed[changed.length - 2]! ^ 0x55;
  const before = await t.stores.catalog.get(inst.study);
  const req = request(`${url}/api/v1/instances/${inst.sop}`, {
    method: 'PUT',
    headers: agentHeaders(t.agentA.credential, { 'content-type': 'application/dicom', 'relais-sha256': sha256Hex(changed), 'content-length': String(changed.length) }),
  });
  req.on('error', () => {});
  req.write(changed.subarray(0, 100_000));
  await waitFor(async () => (await readdir(join(t.dir, 'tmp'))).length === 1, 'the upload to start');
  req.destroy();
  await waitFor(async () => (await readdir(join(t.dir, 'tmp'))).length === 0, 'the partial upload to be dropped');
  assert.deepEqual(await t.stores.catalog.get(inst.study), before, 'nothing changed in the catalog');
});
