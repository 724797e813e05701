/**
 * Implicit VR Little Endian → Explicit VR Little Endian, value bytes untouched: each element
 * gets the VR the data dictionary gives its tag (dcmjs' dictionary), and every value keeps its
 * exact bytes. Rules: group lengths UL; private creators LO; other private or unknown tags UN;
 * US/SS by Pixel Representation; "OB or OW" and Pixel Data OW (PS3.5 A.1); a value too long for
 * a 16-bit length becomes UN. Sequences (SQ, or any element of undefined length) are written with
 * undefined lengths and their items converted recursively: element values are equal, only the
 * encoding of lengths of sequences and items may differ from an explicit original.
 * Throws ExplicitVrError on a malformed dataset (lengths past the end, unterminated sequence).
 */
import dcmjs from 'dcmjs';

export class ExplicitVrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExplicitVrError';
  }
}

type Dictionary = Record<string, { vr: string } | undefined>;
let dictionary: Dictionary | undefined;
function dict(): Dictionary {
  dictionary ??= (dcmjs.data.DicomMetaDictionary as unknown as { dictionary: Dictionary }).dictionary;
  return dictionary;
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED = 0xffffffff;
const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');

function vrOf(group: number, element: number, length: number, pixelRepresentation: number): string {
  if (element === 0x0000) return 'UL';
  if (group % 2 === 1) return element >= 0x0010 && element <= 0x00ff ? 'LO' : 'UN';
  if (group === 0x7fe0 && element === 0x0010) return 'OW';
  const g = hex4(group);
  const e = hex4(element);
  const entry = dict()[`(${g},${e})`] ?? dict()[`(${g.slice(0, 2)}xx,${e})`] ?? dict()[`(${g},${e.slice(0, 2)}xx)`];
  let vr = entry?.vr ?? 'UN';
  if (vr === 'xs' || vr === 'US or SS') vr = pixelRepresentation === 1 ? 'SS' : 'US';
  else if (vr === 'ox' || /OW/.test(vr)) vr = 'OW';
  else if (!/^[A-Z]{2}$/.test(vr)) vr = 'UN';
  if (!LONG_VRS.has(vr) && length > 0xffff) vr = 'UN';
  return vr;
}

function header(group: number, element: number, vr: string, length: number): Buffer {
  const long = LONG_VRS.has(vr);
  const b = Buffer.alloc(long ? 12 : 8);
  b.writeUInt16LE(group, 0);
  b.writeUInt16LE(element, 2);
  b.write(vr, 4, 'latin1');
  if (long) b.writeUInt32LE(length >>> 0, 8);
  else b.writeUInt16LE(length, 6);
  return b;
}

function delimiter(element: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(0xfffe, 0);
  b.writeUInt16LE(element, 2);
  return b;
}

interface Cursor {
  pos: number;
  pixelRepresentation: number;
}

/** Converts elements from `c.pos` up to `end` (or up to an item delimiter when `end` is undefined). */
function convertElements(src: Buffer, c: Cursor, end: number | undefined, out: Buffer[]): void {
  const limit = end ?? src.length;
  while (c.pos < limit) {
    if (c.pos + 8 > src.length) throw new ExplicitVrError('element header past the end');
    const group = src.readUInt16LE(c.pos);
    const element = src.readUInt16LE(c.pos + 2);
    const length = src.readUInt32LE(c.pos + 4);
    if (group === 0xfffe && element === 0xe00d) {
      if (end !== undefined) throw new ExplicitVrError('item delimiter in a defined-length item');
      c.pos += 8;
      return;
    }
    c.pos += 8;
    const sequence = length === UNDEFINED || vrOf(group, element, 0, c.pixelRepresentation) === 'SQ';
    if (sequence && !(group === 0x7fe0 && element === 0x0010)) {
      out.push(header(group, element, 'SQ', UNDEFINED));
      convertItems(src, c, length === UNDEFINED ? undefined : c.pos + length, out);
      out.push(delimiter(0xe0dd));
      continue;
    }
    if (length === UNDEFINED) throw new ExplicitVrError('native Pixel Data of undefined length');
    if (c.pos + length > src.length) throw new ExplicitVrError(`value of (${hex4(group)},${hex4(element)}) past the end`);
    const value = src.subarray(c.pos, c.pos + length);
    if (group === 0x0028 && element === 0x0103 && length >= 2) c.pixelRepresentation = value.readUInt16LE(0);
    out.push(header(group, element, vrOf(group, element, length, c.pixelRepresentation), length), value);
    c.pos += length;
  }
  if (end === undefined) throw new ExplicitVrError('unterminated item');
}

function convertItems(src: Buffer, c: Cursor, end: number | undefined, out: Buffer[]): void {
  for (;;) {
    if (end !== undefined && c.pos >= end) return;
    if (c.pos + 8 > src.length) throw new ExplicitVrError('unterminated sequence');
    const group = src.readUInt16LE(c.pos);
    const element = src.readUInt16LE(c.pos + 2);
    const length = src.readUInt32LE(c.pos + 4);
    c.pos += 8;
    if (group === 0xfffe && element === 0xe0dd) {
      if (end !== undefined) throw new ExplicitVrError('sequence delimiter in a defined-length sequence');
      return;
    }
    if (group !== 0xfffe || element !== 0xe000) throw new ExplicitVrError('item expected in a sequence');
    out.push(delimiter(0xe000).fill(0xff, 4, 8));
    const saved = c.pixelRepresentation;
    convertElements(src, c, length === UNDEFINED ? undefined : c.pos + length, out);
    c.pixelRepresentation = saved;
    out.push(delimiter(0xe00d));
  }
}

/** The dataset bytes (after the meta group) of an Implicit VR LE instance, in Explicit VR LE. */
export function implicitToExplicitDataset(dataset: Uint8Array): Buffer {
  const src = Buffer.from(dataset.buffer, dataset.byteOffset, dataset.byteLength);
  const out: Buffer[] = [];
  convertElements(src, { pos: 0, pixelRepresentation: 0 }, src.length, out);
  return Buffer.concat(out);
}
