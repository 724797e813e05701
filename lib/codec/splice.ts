/**
 * Byte-level building blocks for replacing Pixel Data in a Part 10 file and nothing else:
 * the encapsulated Pixel Data element (PS3.5 A.4: VR OB, undefined length, Basic Offset Table
 * item, one even-length fragment per frame, sequence delimiter), the native element (Explicit
 * VR LE), the file meta group with a new transfer syntax (every other meta byte kept, group
 * length adjusted when present), and the splice of a new element into the original dataset.
 */
import { Part10Error } from '../dicom/part10.ts';

function le32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

function itemHeader(tagElement: number, length: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(0xfffe, 0);
  b.writeUInt16LE(tagElement, 2);
  b.writeUInt32LE(length >>> 0, 4);
  return b;
}

/** (7FE0,0010) OB, undefined length, offset table + one fragment per frame + delimiter. */
export function encapsulatedPixelDataElement(frames: readonly Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(12);
  head.writeUInt16LE(0x7fe0, 0);
  head.writeUInt16LE(0x0010, 2);
  head.write('OB', 4, 'latin1');
  head.writeUInt16LE(0, 6);
  head.writeUInt32LE(0xffffffff, 8);
  parts.push(head);
  const offsets: number[] = [];
  const fragments: Buffer[] = [];
  let offset = 0;
  for (const frame of frames) {
    offsets.push(offset);
    const padded = frame.length % 2 === 0 ? Buffer.from(frame.buffer, frame.byteOffset, frame.length) : Buffer.concat([frame, Buffer.alloc(1)]);
    fragments.push(itemHeader(0xe000, padded.length), padded);
    offset += 8 + padded.length;
    if (offset > 0xffffffff) throw new RangeError('encapsulated pixel data exceeds the 4 GiB offset table range');
  }
  parts.push(itemHeader(0xe000, offsets.length * 4), ...offsets.map(le32), ...fragments, itemHeader(0xe0dd, 0));
  return Buffer.concat(parts);
}

/** (7FE0,0010) in Explicit VR LE with the frames back to back (padded to even length). */
export function nativePixelDataElement(frames: readonly Uint8Array[], bitsAllocated: number): Buffer {
  const total = frames.reduce((n, f) => n + f.length, 0);
  const padded = total + (total % 2);
  if (padded > 0xfffffffe) throw new RangeError('native pixel data exceeds 4 GiB');
  const head = Buffer.alloc(12);
  head.writeUInt16LE(0x7fe0, 0);
  head.writeUInt16LE(0x0010, 2);
  head.write(bitsAllocated > 8 ? 'OW' : 'OB', 4, 'latin1');
  head.writeUInt16LE(0, 6);
  head.writeUInt32LE(padded, 8);
  const parts: Uint8Array[] = [head, ...frames];
  if (padded !== total) parts.push(Buffer.alloc(1));
  return Buffer.concat(parts);
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/**
 * The preamble, "DICM" and meta group of `file` (up to `datasetOffset`) with (0002,0010) set to
 * `transferSyntaxUid`. Every other byte is kept; (0002,0000) is adjusted when present.
 */
export function metaWithTransferSyntax(file: Uint8Array, datasetOffset: number, transferSyntaxUid: string): Buffer {
  const src = Buffer.from(file.buffer, file.byteOffset, datasetOffset);
  let value = Buffer.from(transferSyntaxUid, 'latin1');
  if (value.length % 2) value = Buffer.concat([value, Buffer.from([0])]);
  let pos = 132;
  let groupLengthValuePos = -1;
  while (pos + 8 <= datasetOffset) {
    const element = src.readUInt16LE(pos + 2);
    const vr = src.toString('latin1', pos + 4, pos + 6);
    const long = LONG_VRS.has(vr);
    const length = long ? src.readUInt32LE(pos + 8) : src.readUInt16LE(pos + 6);
    const valuePos = pos + (long ? 12 : 8);
    if (element === 0x0000 && length === 4) groupLengthValuePos = valuePos;
    if (element === 0x0010) {
      if (long) throw new Part10Error('transfer syntax element with a long VR');
      const head = Buffer.from(src.subarray(pos, valuePos));
      head.writeUInt16LE(value.length, 6);
      const out = Buffer.concat([src.subarray(0, pos), head, value, src.subarray(valuePos + length)]);
      if (groupLengthValuePos >= 0) {
        out.writeUInt32LE(src.readUInt32LE(groupLengthValuePos) + value.length - length, groupLengthValuePos);
      }
      return out;
    }
    pos = valuePos + length;
  }
  throw new Part10Error('file meta has no transfer syntax (0002,0010)');
}

/** meta + dataset[0, start) + element + dataset[end, …). */
export function spliceDataset(meta: Uint8Array, dataset: Uint8Array, start: number, end: number, element: Uint8Array): Buffer {
  return Buffer.concat([meta, dataset.subarray(0, start), element, dataset.subarray(end)]);
}
