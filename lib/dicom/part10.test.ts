import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFileMetaHeader, parseFileMeta } from './part10.ts';
import { parseDicomHeader } from './header.ts';
import { isWellFormedUid, newUid } from './uid.ts';
import { readFileSync } from 'node:fs';
import { SHARED_CT, listFiles } from '../../test/data.ts';



test('a hand-built meta header round-trips and DCMTK-style readers find the dataset after it', () => {
  const header = buildFileMetaHeader({
    mediaStorageSopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    mediaStorageSopInstanceUid: '1.2.3.45',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    sourceApplicationEntityTitle: 'CT01',
  });
  const parsed = parseFileMeta(header);
  assert.equal(parsed.transferSyntaxUid, '1.2.840.10008.1.2.1');
  assert.equal(parsed.mediaStorageSopInstanceUid, '1.2.3.45');
  assert.equal(parsed.sourceApplicationEntityTitle, 'CT01');
  assert.equal(parsed.datasetOffset, header.length);
  assert.equal(header.length % 2, 0);
});

test('re-framing a real file (our meta + its dataset bytes) keeps every dataset byte', async () => {
  const original = readFileSync(listFiles(SHARED_CT)[0]!);
  const meta = parseFileMeta(original);
  const dataset = original.subarray(meta.datasetOffset);
  const reframed = Buffer.concat([
    buildFileMetaHeader({
      mediaStorageSopClassUid: meta.mediaStorageSopClassUid,
      mediaStorageSopInstanceUid: meta.mediaStorageSopInstanceUid,
      transferSyntaxUid: meta.transferSyntaxUid,
    }),
    dataset,
  ]);
  const h = parseDicomHeader(reframed);
  assert.equal(h.sopInstanceUid, meta.mediaStorageSopInstanceUid);
  assert.ok(h.studyInstanceUid.length > 0);
  assert.equal(h.modality, 'CT');
  assert.deepEqual(reframed.subarray(parseFileMeta(reframed).datasetOffset), dataset);
});

test('UID checks accept real UIDs and refuse paths, shell characters and long values', () => {
  assert.ok(isWellFormedUid('1.2.840.10008.5.1.4.1.1.2'));
  assert.ok(isWellFormedUid(newUid()));
  for (const bad of ['', '../etc/passwd', '1.2.3;rm -rf', '1..2', '.1.2', '1.2.', '1'.repeat(65), '1.2\u0000']) {
    assert.equal(isWellFormedUid(bad), false, bad);
  }
});
