import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFileMetaHeader } from '../dicom/part10.ts';
import { TS } from '../dicom/transfer-syntax.ts';
import { locatePixelData, PixelDataError } from './pixel-data.ts';

/** Explicit VR LE elements with 2-byte lengths (US, IS). */
function el(group: number, element: number, vr: string, value: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.write(vr, 4, 'latin1');
  h.writeUInt16LE(value.length, 6);
  return Buffer.concat([h, value]);
}
const us = (n: number) => Buffer.from(Uint16Array.of(n).buffer);
const item = (tag: number, body: Buffer) => {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(0xfffe, 0);
  h.writeUInt16LE(tag, 2);
  h.writeUInt32LE(body.length, 4);
  return Buffer.concat([h, body]);
};

function file(frames: number, fragments: Buffer[], bot: number[], ts: string = TS.jpegLsLossless): Buffer {
  const header = Buffer.concat([
    el(0x0028, 0x0002, 'US', us(1)),
    el(0x0028, 0x0004, 'CS', Buffer.from('MONOCHROME2 ')),
    el(0x0028, 0x0008, 'IS', Buffer.from(`${frames} `.slice(0, 2))),
    el(0x0028, 0x0010, 'US', us(2)),
    el(0x0028, 0x0011, 'US', us(2)),
    el(0x0028, 0x0100, 'US', us(16)),
    el(0x0028, 0x0101, 'US', us(12)),
    el(0x0028, 0x0103, 'US', us(0)),
  ]);
  const pixelHead = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  const botBody = Buffer.concat(bot.map((o) => Buffer.from(Uint32Array.of(o).buffer)));
  const pixel = Buffer.concat([pixelHead, item(0xe000, botBody), ...fragments.map((f) => item(0xe000, f)), item(0xe0dd, Buffer.alloc(0))]);
  const meta = buildFileMetaHeader({ mediaStorageSopClassUid: '1.2.3', mediaStorageSopInstanceUid: '1.2.3.4', transferSyntaxUid: ts });
  return Buffer.concat([meta, header, pixel]);
}

test('encapsulated frames: one fragment per frame, or several per frame through the offset table', () => {
  const a = Buffer.from('AAAA');
  const b1 = Buffer.from('BB');
  const b2 = Buffer.from('bb');
  const oneEach = locatePixelData(file(2, [a, Buffer.from('BBBB')], []));
  assert.deepEqual(oneEach.frames.map((f) => Buffer.from(f).toString()), ['AAAA', 'BBBB']);
  const split = locatePixelData(file(2, [a, b1, b2], [0, 12]));
  assert.deepEqual(split.frames.map((f) => Buffer.from(f).toString()), ['AAAA', 'BBbb']);
  const single = locatePixelData(file(1, [b1, b2], []));
  assert.deepEqual(single.frames.map((f) => Buffer.from(f).toString()), ['BBbb']);
  assert.equal(split.element.end, split.dataset.length, 'the element ends after the sequence delimiter');
});

test('ambiguous fragments (more fragments than frames, no offset table) are refused, not guessed', () => {
  assert.throws(() => locatePixelData(file(2, [Buffer.from('AA'), Buffer.from('BB'), Buffer.from('CC')], [])), PixelDataError);
});

test('a missing sequence delimiter or a file without Pixel Data is a PixelDataError with its kind', () => {
  const f = file(1, [Buffer.from('AAAA')], []);
  assert.throws(() => locatePixelData(f.subarray(0, f.length - 8)), PixelDataError);
  const meta = buildFileMetaHeader({ mediaStorageSopClassUid: '1.2.3', mediaStorageSopInstanceUid: '1.2.3.4', transferSyntaxUid: TS.explicitLE });
  assert.throws(() => locatePixelData(Buffer.concat([meta, el(0x0008, 0x0060, 'CS', Buffer.from('CT'))])), (e: unknown) => e instanceof PixelDataError && e.kind === 'no-pixel-data');
});
