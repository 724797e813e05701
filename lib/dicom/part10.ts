/**
 * DICOM Part 10 file framing, by hand: 128-byte preamble, "DICM", File Meta Information
 * (group 0002, always Explicit VR Little Endian), then the dataset bytes untouched.
 * Building the meta header here (≈200 bytes) avoids any dcmjs round trip of the dataset,
 * which would drop private tags and rewrite the character set.
 */
import { TS } from './transfer-syntax.ts';

export const IMPLEMENTATION_CLASS_UID = '1.2.826.0.1.3680043.10.1563.1';
export const IMPLEMENTATION_VERSION_NAME = 'RELAIS_010';

export interface FileMeta {
  mediaStorageSopClassUid: string;
  mediaStorageSopInstanceUid: string;
  transferSyntaxUid: string;
  implementationClassUid?: string;
  implementationVersionName?: string;
  sourceApplicationEntityTitle?: string;
}

function padEven(value: string, pad: string): Buffer {
  const b = Buffer.from(value, 'latin1');
  return b.length % 2 === 0 ? b : Buffer.concat([b, Buffer.from(pad, 'latin1')]);
}

/** One explicit-VR LE element with a 2-byte length (UI, SH, AE, UL). */
function shortElement(element: number, vr: string, value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0x0002, 0);
  head.writeUInt16LE(element, 2);
  head.write(vr, 4, 'latin1');
  head.writeUInt16LE(value.length, 6);
  return Buffer.concat([head, value]);
}

/** Preamble + DICM + file meta group, ready to be followed by the dataset bytes. */
export function buildFileMetaHeader(meta: FileMeta): Buffer {
  const version = Buffer.alloc(12);
  version.writeUInt16LE(0x0002, 0);
  version.writeUInt16LE(0x0001, 2);
  version.write('OB', 4, 'latin1');
  version.writeUInt32LE(2, 8);
  const body: Buffer[] = [
    Buffer.concat([version, Buffer.from([0x00, 0x01])]),
    shortElement(0x0002, 'UI', padEven(meta.mediaStorageSopClassUid, '\0')),
    shortElement(0x0003, 'UI', padEven(meta.mediaStorageSopInstanceUid, '\0')),
    shortElement(0x0010, 'UI', padEven(meta.transferSyntaxUid, '\0')),
    shortElement(0x0012, 'UI', padEven(meta.implementationClassUid ?? IMPLEMENTATION_CLASS_UID, '\0')),
    shortElement(0x0013, 'SH', padEven(meta.implementationVersionName ?? IMPLEMENTATION_VERSION_NAME, ' ')),
  ];
  if (meta.sourceApplicationEntityTitle) {
    body.push(shortElement(0x0016, 'AE', padEven(meta.sourceApplicationEntityTitle.slice(0, 16), ' ')));
  }
  const bodyBuf = Buffer.concat(body);
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt16LE(0x0002, 0);
  groupLength.writeUInt16LE(0x0000, 2);
  groupLength.write('UL', 4, 'latin1');
  groupLength.writeUInt16LE(4, 6);
  groupLength.writeUInt32LE(bodyBuf.length, 8);
  const preamble = Buffer.alloc(132);
  preamble.write('DICM', 128, 'latin1');
  return Buffer.concat([preamble, groupLength, bodyBuf]);
}

export interface ParsedFileMeta {
  transferSyntaxUid: string;
  mediaStorageSopClassUid: string;
  mediaStorageSopInstanceUid: string;
  sourceApplicationEntityTitle?: string;
  /** Offset of the first dataset byte (just after the meta group). */
  datasetOffset: number;
}

export class Part10Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Part10Error';
  }
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/**
 * Parses the preamble, "DICM" and the file meta group from the head of a file.
 * Tolerates a missing group length (walks elements until the group changes).
 * Throws Part10Error when the head is not a Part 10 file or lacks a transfer syntax.
 */
export function parseFileMeta(head: Uint8Array): ParsedFileMeta {
  const buf = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (buf.length < 132 || buf.toString('latin1', 128, 132) !== 'DICM') {
    throw new Part10Error('not a DICOM Part 10 file (no DICM prefix)');
  }
  let pos = 132;
  const values = new Map<number, string>();
  while (pos + 8 <= buf.length) {
    const group = buf.readUInt16LE(pos);
    if (group !== 0x0002) break;
    const element = buf.readUInt16LE(pos + 2);
    const vr = buf.toString('latin1', pos + 4, pos + 6);
    let length: number;
    let valuePos: number;
    if (LONG_VRS.has(vr)) {
      if (pos + 12 > buf.length) throw new Part10Error('file meta truncated');
      length = buf.readUInt32LE(pos + 8);
      valuePos = pos + 12;
    } else {
      length = buf.readUInt16LE(pos + 6);
      valuePos = pos + 8;
    }
    if (length === 0xffffffff || valuePos + length > buf.length) throw new Part10Error('file meta element length out of bounds');
    if (vr === 'UI' || vr === 'AE' || vr === 'SH') {
      values.set(element, buf.toString('latin1', valuePos, valuePos + length).replace(/[\0 ]+$/, ''));
    }
    pos = valuePos + length;
  }
  const ts = values.get(0x0010);
  if (!ts) throw new Part10Error('file meta has no transfer syntax (0002,0010)');
  const parsed: ParsedFileMeta = {
    transferSyntaxUid: ts,
    mediaStorageSopClassUid: values.get(0x0002) ?? '',
    mediaStorageSopInstanceUid: values.get(0x0003) ?? '',
    datasetOffset: pos,
  };
  const source = values.get(0x0016);
  if (source) parsed.sourceApplicationEntityTitle = source;
  return parsed;
}

export { TS };
