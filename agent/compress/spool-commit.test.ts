/**
 * Crash safety of the compressed-file replacement: the queue folder is left at every point the
 * commit can be interrupted, and the recovery pass must end with data.dcm and meta.json agreeing
 * — either the original or the verified compressed file — and nothing else left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, readdirSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../../lib/sha256.ts';
import type { InstanceRecord } from '../spool/record.ts';
import { COMPRESSED_FILE, NEXT_META_FILE, commitCompressed, compressedRecord, recoverCompressions } from './spool-commit.ts';

const ORIGINAL = Buffer.alloc(1000, 7);
const COMPRESSED = Buffer.alloc(300, 9);
const ID = 'abcdefghi-0123456789ab';

function baseRecord(): InstanceRecord {
  return {
    v: 1, id: ID, sopInstanceUid: '1.2.3.4', sopClassUid: '1.2.840.10008.5.1.4.1.1.2', studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.5',
    transferSyntaxUid: '1.2.840.10008.1.2.1', sha256: sha256Hex(ORIGINAL), size: ORIGINAL.length, receivedAt: new Date(0).toISOString(),
    callingAeTitle: 'CT', calledAeTitle: 'RELAIS', urgency: 'scheduled',
  };
}

type Stage = 'compressed-written' | 'next-meta-written' | 'data-renamed' | 'done';

function folderAt(stage: Stage): { queue: string; dir: string; next: InstanceRecord } {
  const queue = mkdtempSync(join(tmpdir(), 'relais-commit-'));
  const dir = join(queue, ID);
  mkdirSync(dir);
  const record = baseRecord();
  const next = compressedRecord(record, { transferSyntaxUid: '1.2.840.10008.1.2.4.80', sha256: sha256Hex(COMPRESSED), size: COMPRESSED.length });
  writeFileSync(join(dir, 'data.dcm'), ORIGINAL);
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(record));
  writeFileSync(join(dir, COMPRESSED_FILE), COMPRESSED);
  writeFileSync(join(dir, `.${COMPRESSED_FILE}.abc.tmp`), 'partial');
  if (stage === 'compressed-written') return { queue, dir, next };
  writeFileSync(join(dir, NEXT_META_FILE), JSON.stringify(next));
  if (stage === 'next-meta-written') return { queue, dir, next };
  renameSync(join(dir, COMPRESSED_FILE), join(dir, 'data.dcm'));
  if (stage === 'data-renamed') return { queue, dir, next };
  renameSync(join(dir, NEXT_META_FILE), join(dir, 'meta.json'));
  return { queue, dir, next };
}

function state(dir: string): { data: Buffer; meta: InstanceRecord; files: string[] } {
  return { data: readFileSync(join(dir, 'data.dcm')), meta: JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as InstanceRecord, files: readdirSync(dir).sort() };
}

test('interrupted before the new sidecar is durable: the original stays, leftovers go', async () => {
  const { queue, dir } = folderAt('compressed-written');
  try {
    assert.deepEqual(await recoverCompressions(queue), { rolledForward: 0, discarded: 1 });
    const s = state(dir);
    assert.deepEqual(s.files, ['data.dcm', 'meta.json']);
    assert.ok(s.data.equals(ORIGINAL));
    assert.equal(s.meta.sha256, sha256Hex(ORIGINAL));
    assert.equal(s.meta.original, undefined);
  } finally {
    rmSync(queue, { recursive: true, force: true });
  }
});

for (const stage of ['next-meta-written', 'data-renamed'] as const) {
  test(`interrupted after the new sidecar (${stage}): rolled forward to the verified compressed file`, async () => {
    const { queue, dir, next } = folderAt(stage);
    try {
      assert.deepEqual(await recoverCompressions(queue), { rolledForward: 1, discarded: 0 });
      const s = state(dir);
      assert.deepEqual(s.files, ['data.dcm', 'meta.json']);
      assert.ok(s.data.equals(COMPRESSED));
      assert.deepEqual(s.meta, next);
      assert.equal(s.meta.sha256, sha256Hex(s.data));
      assert.deepEqual(s.meta.original, { transferSyntaxUid: '1.2.840.10008.1.2.1', sha256: sha256Hex(ORIGINAL), size: ORIGINAL.length });
    } finally {
      rmSync(queue, { recursive: true, force: true });
    }
  });
}

test('a finished commit is left alone; commitCompressed leaves only data.dcm and meta.json', async () => {
  const { queue, dir } = folderAt('done');
  try {
    rmSync(join(dir, `.${COMPRESSED_FILE}.abc.tmp`));
    assert.deepEqual(await recoverCompressions(queue), { rolledForward: 0, discarded: 0 });
    // And the real commit from the compressed-written state:
    const other = folderAt('compressed-written');
    rmSync(join(other.dir, `.${COMPRESSED_FILE}.abc.tmp`));
    await commitCompressed(other.dir, other.next);
    const s = state(other.dir);
    assert.deepEqual(s.files, ['data.dcm', 'meta.json']);
    assert.ok(s.data.equals(COMPRESSED));
    assert.deepEqual(s.meta, other.next);
    rmSync(other.queue, { recursive: true, force: true });
  } finally {
    rmSync(queue, { recursive: true, force: true });
  }
});

test('a missing queue folder is nothing to recover', async () => {
  assert.deepEqual(await recoverCompressions(join(tmpdir(), 'relais-no-such-queue-dir')), { rolledForward: 0, discarded: 0 });
});
