import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFileMetaHeader, parseFileMeta } from '../dicom/part10.ts';
import { encapsulatedPixelDataElement, metaWithTransferSyntax, nativePixelDataElement } from './splice.ts';

test('encapsulated Pixel Data: OB, undefined length, offset table, even fragments, delimiter', () => {
  const el = encapsulatedPixelDataElement([Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5, 6, 7)]);
  assert.equal(el.readUInt16LE(0), 0x7fe0);
  assert.equal(el.readUInt16LE(2), 0x0010);
  assert.equal(el.toString('latin1', 4, 6), 'OB');
  assert.equal(el.readUInt32LE(8), 0xffffffff);
  // Basic Offset Table item with two offsets: frame 2 starts after frame 1's 8-byte item header + 4 bytes.
  assert.deepEqual([el.readUInt16LE(12), el.readUInt16LE(14), el.readUInt32LE(16)], [0xfffe, 0xe000, 8]);
  assert.deepEqual([el.readUInt32LE(20), el.readUInt32LE(24)], [0, 12]);
  // Fragment 1: odd codestream padded with one 0x00.
  assert.deepEqual([el.readUInt16LE(30), el.readUInt32LE(32)], [0xe000, 4]);
  assert.deepEqual([...el.subarray(36, 40)], [1, 2, 3, 0]);
  assert.deepEqual([el.readUInt16LE(42), el.readUInt32LE(44)], [0xe000, 4]);
  assert.deepEqual([...el.subarray(48, 52)], [4, 5, 6, 7]);
  assert.deepEqual([el.readUInt16LE(52), el.readUInt16LE(54), el.readUInt32LE(56)], [0xfffe, 0xe0dd, 0]);
  assert.equal(el.length, 60);
});

test('native Pixel Data: OW for 16-bit, OB for 8-bit, padded to even length', () => {
  const w = nativePixelDataElement([Uint8Array.of(1, 2), Uint8Array.of(3, 4)], 16);
  assert.equal(w.toString('latin1', 4, 6), 'OW');
  assert.equal(w.readUInt32LE(8), 4);
  const b = nativePixelDataElement([Uint8Array.of(1, 2, 3)], 8);
  assert.equal(b.toString('latin1', 4, 6), 'OB');
  assert.equal(b.readUInt32LE(8), 4);
  assert.equal(b.length, 16);
});

test('meta rewrite changes only the transfer syntax and the group length', () => {
  const meta = buildFileMetaHeader({ mediaStorageSopClassUid: '1.2.840.10008.5.1.4.1.1.2', mediaStorageSopInstanceUid: '1.2.3.4', transferSyntaxUid: '1.2.840.10008.1.2.1', sourceApplicationEntityTitle: 'CT01' });
  const out = metaWithTransferSyntax(meta, meta.length, '1.2.840.10008.1.2.4.80');
  const parsed = parseFileMeta(out);
  assert.equal(parsed.transferSyntaxUid, '1.2.840.10008.1.2.4.80');
  assert.equal(parsed.sourceApplicationEntityTitle, 'CT01');
  assert.equal(parsed.datasetOffset, out.length);
  assert.equal(out.readUInt32LE(140), out.length - 144, 'group length covers the meta elements after it');
  const back = metaWithTransferSyntax(out, out.length, '1.2.840.10008.1.2.1');
  assert.deepEqual(back, meta, 'the way back gives the original bytes');
});
