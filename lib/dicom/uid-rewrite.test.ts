import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import dicomParser from 'dicom-parser';
import { SHARED_CT, listFiles } from '../../test/data.ts';
import { parseFileMeta, buildFileMetaHeader } from './part10.ts';
import { rewriteTopLevelUids, readTopLevelUids, UID_TAGS } from './uid-rewrite.ts';
import { newUid } from './uid.ts';
import { TS } from './transfer-syntax.ts';

function elementsOf(dataset: Buffer, ts: string): Map<string, Buffer> {
  const meta = buildFileMetaHeader({ mediaStorageSopClassUid: '1.2', mediaStorageSopInstanceUid: '1.2', transferSyntaxUid: ts });
  const ds = dicomParser.parseDicom(Buffer.concat([meta, dataset]));
  const out = new Map<string, Buffer>();
  for (const [tag, el] of Object.entries(ds.elements)) {
    if (tag.startsWith('x0002')) continue;
    out.set(tag, Buffer.from(ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length)));
  }
  return out;
}

test('rewriting Study/Series/SOP UIDs keeps every other element byte for byte, private tags included', () => {
  const bytes = readFileSync(listFiles(SHARED_CT)[0]!);
  const meta = parseFileMeta(bytes);
  const dataset = bytes.subarray(meta.datasetOffset);
  const longer = newUid(); // 2.25.<39 digits>: a different length from the Philips UIDs
  const shorter = '1.2.3';
  const sop = '1.2.826.0.1.3680043.10.1563.99.1';
  const out = rewriteTopLevelUids(dataset, meta.transferSyntaxUid, new Map([
    [UID_TAGS.studyInstanceUid, longer],
    [UID_TAGS.seriesInstanceUid, shorter],
    [UID_TAGS.sopInstanceUid, sop],
  ]));
  const uids = readTopLevelUids(out, meta.transferSyntaxUid, [UID_TAGS.studyInstanceUid, UID_TAGS.seriesInstanceUid, UID_TAGS.sopInstanceUid]);
  assert.equal(uids.get(UID_TAGS.studyInstanceUid), longer);
  assert.equal(uids.get(UID_TAGS.seriesInstanceUid), shorter);
  assert.equal(uids.get(UID_TAGS.sopInstanceUid), sop);
  const before = elementsOf(dataset, meta.transferSyntaxUid);
  const after = elementsOf(out, meta.transferSyntaxUid);
  assert.deepEqual([...after.keys()], [...before.keys()]);
  const privateTags = [...before.keys()].filter((t) => Number.parseInt(t.slice(1, 5), 16) % 2 === 1);
  assert.ok(privateTags.length > 10, 'the shared CT carries private tags');
  for (const [tag, value] of before) {
    if (tag === UID_TAGS.studyInstanceUid || tag === UID_TAGS.seriesInstanceUid || tag === UID_TAGS.sopInstanceUid) continue;
    assert.ok(value.equals(after.get(tag)!), `element ${tag} changed`);
  }
});

test('UID rewriting refuses what it cannot do safely', () => {
  assert.throws(() => rewriteTopLevelUids(Buffer.alloc(10), TS.explicitBE, new Map()), /little-endian/);
  const bytes = readFileSync(listFiles(SHARED_CT)[0]!);
  const meta = parseFileMeta(bytes);
  assert.throws(() => rewriteTopLevelUids(bytes.subarray(meta.datasetOffset), meta.transferSyntaxUid, new Map([[UID_TAGS.sopInstanceUid, '../etc']])), /well-formed/);
});
