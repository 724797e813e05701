/**
 * Replaces top-level UID values in raw dataset bytes (no dcmjs round trip): used to make fresh
 * studies from real slices (Study/Series/SOP Instance UIDs). Every other byte is kept; an element
 * whose value changes length gets its length field updated, and so does its group length
 * element (gggg,0000) when the dataset has one.
 * Contract: little-endian datasets only (implicit or explicit VR); a tag absent from the dataset
 * is ignored; nested sequence items are never touched. Throws on big-endian / deflated input or
 * an unparsable dataset.
 */
import dicomParser from 'dicom-parser';
import { buildFileMetaHeader } from './part10.ts';
import { TS } from './transfer-syntax.ts';
import { isWellFormedUid } from './uid.ts';

/** Tag in dicom-parser form, e.g. `x0020000d`. */
export type ParserTag = `x${string}`;

export const UID_TAGS = {
  sopInstanceUid: 'x00080018',
  studyInstanceUid: 'x0020000d',
  seriesInstanceUid: 'x0020000e',
  frameOfReferenceUid: 'x00200052',
} as const satisfies Record<string, ParserTag>;

/** Reads the string value of top-level UID elements (trailing padding removed). */
export function readTopLevelUids(dataset: Uint8Array, transferSyntaxUid: string, tags: readonly ParserTag[]): Map<ParserTag, string> {
  const { ds } = parseDataset(dataset, transferSyntaxUid);
  const out = new Map<ParserTag, string>();
  for (const tag of tags) {
    const v = ds.string(tag);
    if (v !== undefined) out.set(tag, v.replace(/[\0 ]+$/, ''));
  }
  return out;
}

/** Returns a copy of `dataset` with the given top-level UID elements set to new values. */
export function rewriteTopLevelUids(dataset: Uint8Array, transferSyntaxUid: string, values: ReadonlyMap<ParserTag, string>): Buffer {
  const { ds, metaLength, explicit } = parseDataset(dataset, transferSyntaxUid);
  const edits: { start: number; end: number; bytes: Buffer; group: number; delta: number }[] = [];
  for (const [tag, uid] of values) {
    if (!isWellFormedUid(uid)) throw new Error(`not a well-formed UID for ${tag}`);
    const el = ds.elements[tag];
    if (!el || el.length === 0xffffffff) continue;
    const value = Buffer.from(uid.length % 2 === 0 ? uid : `${uid}\0`, 'latin1');
    const dataOffset = el.dataOffset - metaLength;
    // UI: tag + VR + 2-byte length (explicit) or tag + 4-byte length (implicit): 8 bytes either way.
    const start = dataOffset - 8;
    const head = Buffer.from(dataset.subarray(start, dataOffset));
    if (explicit) {
      if (head.toString('latin1', 4, 6) !== 'UI') throw new Error(`${tag} is not encoded with VR UI`);
      head.writeUInt16LE(value.length, 6);
    } else {
      head.writeUInt32LE(value.length, 4);
    }
    edits.push({
      start,
      end: dataOffset + el.length,
      bytes: Buffer.concat([head, value]),
      group: Number.parseInt(tag.slice(1, 5), 16),
      delta: value.length - el.length,
    });
  }
  // Group lengths (retired but still seen): adjust by the total change within each group.
  const deltaByGroup = new Map<number, number>();
  for (const e of edits) deltaByGroup.set(e.group, (deltaByGroup.get(e.group) ?? 0) + e.delta);
  for (const [group, delta] of deltaByGroup) {
    const tag = `x${group.toString(16).padStart(4, '0')}0000`;
    const el = ds.elements[tag];
    if (!el || delta === 0 || el.length !== 4) continue;
    const dataOffset = el.dataOffset - metaLength;
    const v = Buffer.from(dataset.subarray(dataOffset, dataOffset + 4));
    v.writeUInt32LE(v.readUInt32LE(0) + delta, 0);
    edits.push({ start: dataOffset, end: dataOffset + 4, bytes: v, group, delta: 0 });
  }
  edits.sort((a, b) => a.start - b.start);
  const parts: Uint8Array[] = [];
  let pos = 0;
  for (const e of edits) {
    parts.push(dataset.subarray(pos, e.start), e.bytes);
    pos = e.end;
  }
  parts.push(dataset.subarray(pos));
  return Buffer.concat(parts);
}

function parseDataset(dataset: Uint8Array, transferSyntaxUid: string): { ds: dicomParser.DataSet; metaLength: number; explicit: boolean } {
  if (transferSyntaxUid !== TS.implicitLE && (transferSyntaxUid === TS.explicitBE || transferSyntaxUid === TS.deflatedLE)) {
    throw new Error(`UID rewriting supports little-endian, non-deflated datasets only (got ${transferSyntaxUid})`);
  }
  const meta = buildFileMetaHeader({
    mediaStorageSopClassUid: '1.2.3',
    mediaStorageSopInstanceUid: '1.2.3',
    transferSyntaxUid,
  });
  const whole = Buffer.concat([meta, dataset]);
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(whole);
  } catch (err) {
    const inner = (err as { exception?: unknown }).exception ?? err;
    throw new Error(`dataset does not parse: ${inner instanceof Error ? inner.message : String(inner)}`);
  }
  return { ds, metaLength: meta.length, explicit: transferSyntaxUid !== TS.implicitLE };
}
