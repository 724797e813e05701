/**
 * Every shared DICOM file through a running agent (compression on, default policy) and a
 * running hub on loopback, then back out by WADO-RS: in the stored syntax (transfer-syntax=*)
 * and as Explicit VR Little Endian (what the viewer asks). Each must be identical to what the
 * modality sent — every element, private ones included, and pixels bit for bit once decoded —
 * and an Explicit VR LE source comes back byte for byte. Files sharing a SOP Instance UID (one
 * image in many syntaxes) go in rounds; what intake refuses is refused, nothing crashes.
 * Frames: one frame of a compressed CT slice as application/octet-stream is the original pixels.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { SHARED_DICOM, SHARED_CT, listFiles, hasSharedData } from '../data.ts';
import { waitFor } from '../fakes/wait.ts';
import { prepareFiles } from '../../simulators/modality/prepare.ts';
import { sendStudy } from '../../simulators/modality/run.ts';
import { silentLogger } from '../../lib/logger.ts';
import { parseFileMeta } from '../../lib/dicom/part10.ts';
import { TS } from '../../lib/dicom/transfer-syntax.ts';
import { loadCodecs, type Codecs } from '../../lib/codec/frame-codecs.ts';
import { sameInstance } from '../../lib/codec/identical.ts';
import { locatePixelData } from '../../lib/codec/pixel-data.ts';
import { decodeFrames } from '../../lib/codec/transcode.ts';

function locatePixelDataOrNull(b: Buffer): ReturnType<typeof locatePixelData> | null {
  try {
    return locatePixelData(b);
  } catch {
    return null;
  }
}
import { boundaryOf, parseMultipartRelated } from '../../lib/multipart.ts';
import { loadAgentConfig } from '../../agent/config.ts';
import { startAgent, type RunningAgent } from '../../agent/main.ts';
import type { InstanceRecord } from '../../agent/spool/record.ts';
import { startTestHub, bearer, type TestHub } from './hub-harness.ts';
import { FAST } from './agent-helpers.ts';

const skip = !hasSharedData() && 'shared data not present';
const SLOW = { timeoutMs: 240_000 };
let codecs: Codecs;
let t: TestHub;
let agent: RunningAgent;
let dataDir: string;

before(async () => {
  if (skip) return;
  codecs = await loadCodecs();
  t = await startTestHub({ options: { maxInstanceBytes: 64 * 1024 * 1024 } });
  await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = t.hub.app.server.address() as { port: number };
  dataDir = mkdtempSync(join(tmpdir(), 'relais-compress-hub-'));
  agent = await startAgent(
    loadAgentConfig({ data: dataDir, hub: `http://127.0.0.1:${addr.port}`, credential: t.agentA.credential, dicomPort: '0', agentId: 'rt-agent', lang: 'en', ...FAST, unsolicited: 'dispatch' }, {}),
    { log: silentLogger() },
  );
  agent.events.on('preview', (series, ms) => previews.set(series, ms));
});
const previews = new Map<string, number>();
after(async () => {
  if (skip) return;
  await agent.stop();
  await t.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function get(url: string, accept: string): Promise<{ status: number; type: string; body: Buffer }> {
  const res = await t.hub.app.inject({ url, headers: { ...bearer(t.tokens.radiologist), accept } });
  return { status: res.statusCode, type: String(res.headers['content-type']), body: res.rawPayload };
}

test('every shared file: agent compression, hub storage, WADO-RS stored and Explicit VR LE, identical to what was sent', { skip }, async () => {
  const files = listFiles(SHARED_DICOM);
  const prepared = prepareFiles(files);
  const bySop = new Map<string, Array<{ file: string; inst: (typeof prepared.instances)[number] }>>();
  for (const inst of prepared.instances) {
    const file = files.find((f) => inst.label?.endsWith(relative(SHARED_DICOM, f)) || inst.label === f) ?? inst.label ?? '';
    const list = bySop.get(inst.sopInstanceUid) ?? [];
    list.push({ file, inst });
    bySop.set(inst.sopInstanceUid, list);
  }
  const tally = { compressed: 0, asReceived: 0, refused: 0, quarantined: 0, implicitServedExplicit: 0 };
  const records = new Map<string, InstanceRecord>();
  agent.events.on('compressed', (r) => records.set(r.sopInstanceUid, r));
  let done = 0;
  agent.events.on('uploaded', () => done++);
  agent.events.on('quarantined', () => {
    done++;
    tally.quarantined++;
  });
  for (let round = 0; ; round++) {
    const batch = [...bySop.values()].map((l) => l[round]).filter((x) => x !== undefined);
    if (batch.length === 0) break;
    done = 0;
    records.clear();
    const result = await sendStudy({ host: '127.0.0.1', port: agent.dicomPort, calledAeTitle: 'RELAIS', callingAeTitle: 'RT_SIM' }, { instances: batch.map((b) => b.inst), skipped: [] }, { associations: 2 });
    const admitted = batch.filter((_, i) => {
      const s = result.results.find((r) => r.instance === batch[i]!.inst)?.status;
      return s !== undefined && (s === 0 || (s & 0xf000) === 0xb000);
    });
    tally.refused += batch.length - admitted.length;
    await waitFor(() => done >= admitted.length && agent.pendingUploads() === 0, `round ${round} at the hub`, SLOW);
    for (const { file, inst } of admitted) {
      const r = records.get(inst.sopInstanceUid);
      if (!r) continue; // quarantined
      const url = `/dicomweb/studies/${r.studyInstanceUid}/series/${r.seriesInstanceUid}/instances/${r.sopInstanceUid}`;
      const sent = readFileSync(file);
      const stored = await get(url, 'application/dicom; transfer-syntax=*');
      assert.equal(stored.status, 200, `${file}: ${stored.body.toString().slice(0, 200)}`);
      if (r.original) tally.compressed++;
      else tally.asReceived++;
      const sentDataset = inst.loadDataset();
      const datasetOf = (b: Buffer) => b.subarray(parseFileMeta(b).datasetOffset);
      if (!r.original) {
        assert.ok(datasetOf(stored.body).equals(sentDataset), `${file}: travelled as received`);
        if (r.transferSyntaxUid === TS.implicitLE) {
          // The viewer asks Explicit VR LE: the hub adds VRs, values and pixels unchanged.
          const native = await get(url, 'application/dicom; transfer-syntax=1.2.840.10008.1.2.1');
          assert.equal(native.status, 200, file);
          assert.match(native.type, /transfer-syntax=1\.2\.840\.10008\.1\.2\.1$/);
          const px = (b: Buffer) => Buffer.concat(decodeFrames(locatePixelData(b), codecs));
          if (locatePixelDataOrNull(stored.body)) assert.ok(px(native.body).equals(px(stored.body)), `${file}: pixels of the implicit instance as Explicit VR LE`);
          tally.implicitServedExplicit++;
        }
        continue;
      }
      assert.equal(sameInstance(sent, stored.body, codecs), null, `${file}: stored (compressed) copy identical`);
      const native = await get(url, 'application/dicom; transfer-syntax=1.2.840.10008.1.2.1');
      assert.equal(native.status, 200, file);
      assert.match(native.type, /transfer-syntax=1\.2\.840\.10008\.1\.2\.1$/);
      assert.equal(sameInstance(sent, native.body, codecs), null, `${file}: Explicit VR LE copy identical`);
      if (r.original.transferSyntaxUid === TS.explicitLE) assert.ok(datasetOf(native.body).equals(sentDataset), `${file}: Explicit VR LE source back byte for byte`);
    }
  }
  assert.ok(tally.compressed >= 100, JSON.stringify(tally));
  assert.ok(tally.asReceived >= 10, JSON.stringify(tally));
  assert.ok(tally.implicitServedExplicit >= 2, JSON.stringify(tally));
});

test('frames of a compressed CT slice come back as the original pixels (octet-stream, Explicit VR LE), and in the stored syntax when asked', { skip }, async () => {
  const file = listFiles(SHARED_CT)[0]!;
  const sop = parseFileMeta(readFileSync(file)).mediaStorageSopInstanceUid;
  const original = locatePixelData(readFileSync(file)).frames[0]!;
  const located = locatePixelData(readFileSync(file));
  const uid = (tag: string) => located.dataSet.string(tag) as string;
  const url = `/dicomweb/studies/${uid('x0020000d')}/series/${uid('x0020000e')}/instances/${sop}/frames/1`;
  const bare = await get(url, 'application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1');
  assert.equal(bare.status, 200, bare.body.toString().slice(0, 200));
  assert.match(bare.type, /^application\/octet-stream; transfer-syntax=1\.2\.840\.10008\.1\.2\.1/);
  assert.ok(bare.body.equals(original), 'frame 1 bit for bit');
  const multi = await get(url, 'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1');
  assert.equal(multi.status, 200);
  const parts = parseMultipartRelated(multi.body, boundaryOf(multi.type)!);
  assert.ok(parts[0]!.body.equals(original));
  const stored = await get(url, 'multipart/related; type="application/octet-stream"; transfer-syntax=*');
  assert.match(parseMultipartRelated(stored.body, boundaryOf(stored.type)!)[0]!.headers['content-type']!, /transfer-syntax=1\.2\.840\.10008\.1\.2\.4\.80/);
  assert.equal((await get(url.replace('/frames/1', '/frames/2'), 'application/octet-stream')).status, 404);
  // Another lossless syntax when asked (re-encoded in the hub's worker), still identical.
  const instanceUrl = url.replace('/frames/1', '');
  const htj2k = await get(instanceUrl, 'application/dicom; transfer-syntax=1.2.840.10008.1.2.4.201');
  assert.equal(htj2k.status, 200, htj2k.body.toString().slice(0, 200));
  assert.match(htj2k.type, /transfer-syntax=1\.2\.840\.10008\.1\.2\.4\.201$/);
  assert.equal(parseFileMeta(htj2k.body).transferSyntaxUid, '1.2.840.10008.1.2.4.201');
  assert.equal(sameInstance(readFileSync(file), htj2k.body, codecs), null);
  assert.equal((await get(instanceUrl, 'application/dicom; transfer-syntax=1.2.840.10008.1.2.4.50')).status, 406, 'lossy is never made');
});

test('the CT series preview reached the hub ahead of its pixels: served as WebP (auth-checked) and on the study page', { skip }, async () => {
  const located = locatePixelData(readFileSync(listFiles(SHARED_CT)[0]!));
  const study = located.dataSet.string('x0020000d') as string;
  const series = located.dataSet.string('x0020000e') as string;
  await waitFor(() => previews.has(series), 'CT preview at the hub', SLOW);
  const img = await get(`/studies/${study}/previews/${series}.webp`, 'image/webp');
  assert.equal(img.status, 200);
  assert.equal(img.type, 'image/webp');
  assert.equal(img.body.subarray(8, 12).toString('latin1'), 'WEBP');
  const anon = await t.hub.app.inject({ url: `/studies/${study}/previews/${series}.webp` });
  assert.ok(anon.statusCode === 401 || anon.statusCode === 302 || anon.statusCode === 303, String(anon.statusCode));
  const page = await get(`/studies/${study}?lang=en`, 'text/html');
  assert.equal(page.status, 200);
  assert.match(page.body.toString(), new RegExp(`/studies/${study.replace(/\./g, '\\.')}/previews/${series.replace(/\./g, '\\.')}-0\\.webp`));
  assert.match(page.body.toString(), /images received|complete/);
  // The live fleet view (pushed over socket.io as study:update) carries the study's preview URLs.
  const fleet = await t.hub.app.inject({ url: '/api/v1/fleet', headers: bearer(t.tokens.operator) });
  const view = (fleet.json() as { studies: Array<{ studyInstanceUid: string; previews?: string[] }> }).studies.find((x) => x.studyInstanceUid === study);
  assert.ok(view?.previews?.includes(`/studies/${study}/previews/${series}.webp`), JSON.stringify(view?.previews));
});
