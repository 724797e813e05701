/**
 * Reads the attributes Relais routes on from a Part 10 file, without re-encoding anything.
 * Reads only the head of the file (grown on demand) and stops at Pixel Data, so a 1 GB
 * multiframe object costs a few kilobytes here. Deflated datasets are inflated with a cap
 * (a deflate bomb is refused, not expanded). Text values are decoded with the dataset's
 * Specific Character Set for display; the stored bytes are never touched.
 * Throws DicomParseError for anything that is not a readable DICOM dataset.
 */
import { open } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import { parseFileMeta, Part10Error } from './part10.ts';
import { trimUid } from './uid.ts';
import { TRANSFER_SYNTAXES } from './transfer-syntax.ts';

export class DicomParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DicomParseError';
  }
}

export interface DicomHeader {
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  metaSopInstanceUid: string;
  metaSopClassUid: string;
  modality?: string;
  studyDate?: string;
  studyTime?: string;
  studyId?: string;
  accessionNumber?: string;
  studyDescription?: string;
  seriesDescription?: string;
  seriesNumber?: number;
  instanceNumber?: number;
  bodyPartExamined?: string;
  patientName?: string;
  patientId?: string;
  issuerOfPatientId?: string;
  patientBirthDate?: string;
  patientSex?: string;
  referringPhysicianName?: string;
  specificCharacterSet?: string;
  rows?: number;
  columns?: number;
  numberOfFrames?: number;
  bitsAllocated?: number;
  bitsStored?: number;
  pixelRepresentation?: number;
  samplesPerPixel?: number;
  photometricInterpretation?: string;
  /** True when (7FE0,0010) was reached in the dataset. */
  hasPixelData: boolean;
}

const PIXEL_DATA = 'x7fe00010';
const DEFAULT_HEAD = 64 * 1024;

export interface ReadHeaderOptions {
  /** Cap on inflated bytes for Deflated transfer syntax (deflate-bomb guard). */
  maxInflatedBytes?: number;
}

/** Reads the header attributes of the Part 10 file at `path`. */
export async function readDicomHeader(path: string, opts: ReadHeaderOptions = {}): Promise<DicomHeader> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    let want = Math.min(size, DEFAULT_HEAD);
    for (;;) {
      const head = Buffer.alloc(want);
      const { bytesRead } = await handle.read(head, 0, want, 0);
      const bytes = head.subarray(0, bytesRead);
      const complete = bytesRead >= size;
      try {
        return parseDicomHeader(bytes, { ...opts, complete });
      } catch (err) {
        if (err instanceof NeedMoreBytes && !complete) {
          want = Math.min(size, want * 4);
          continue;
        }
        throw err;
      }
    }
  } finally {
    await handle.close();
  }
}

class NeedMoreBytes extends Error {}

interface ParseOptions extends ReadHeaderOptions {
  /** Whether `bytes` is the whole file (then running out of bytes is a real error). */
  complete: boolean;
}

/** Parses header attributes from a Part 10 byte array (whole file, or its head). */
export function parseDicomHeader(bytes: Uint8Array, opts: ParseOptions = { complete: true }): DicomHeader {
  let meta;
  try {
    meta = parseFileMeta(bytes);
  } catch (err) {
    if (err instanceof Part10Error && !opts.complete && bytes.length >= 132) throw new NeedMoreBytes();
    throw new DicomParseError(err instanceof Error ? err.message : String(err));
  }
  const ts = meta.transferSyntaxUid;
  const tsInfo = TRANSFER_SYNTAXES.get(ts);
  if (tsInfo?.deflated && !opts.complete) throw new NeedMoreBytes();
  const maxInflated = opts.maxInflatedBytes ?? 256 * 1024 * 1024;
  let dataSet: dicomParser.DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes, {
      untilTag: PIXEL_DATA,
      inflater: (arr: Uint8Array, position: number) => {
        let inflated: Buffer;
        try {
          inflated = inflateRawSync(arr.subarray(position), { maxOutputLength: maxInflated });
        } catch (e) {
          throw new DicomParseError(`deflated dataset cannot be inflated within ${maxInflated} bytes: ${(e as Error).message}`);
        }
        const full = new Uint8Array(position + inflated.length);
        full.set(arr.subarray(0, position), 0);
        full.set(inflated, position);
        return full;
      },
    } as dicomParser.ParseDicomOptions) as dicomParser.DataSet;
  } catch (err) {
    if (err instanceof DicomParseError) throw err;
    // dicom-parser throws strings, Errors, or { exception, dataSet } with the partial parse.
    const wrapped = err as { exception?: unknown; dataSet?: dicomParser.DataSet };
    const inner = wrapped && typeof wrapped === 'object' && 'exception' in wrapped ? wrapped.exception : err;
    const message = typeof inner === 'string' ? inner : inner instanceof Error ? inner.message : String(inner);
    if (!opts.complete) throw new NeedMoreBytes();
    const partial = wrapped?.dataSet;
    if (!partial?.elements[PIXEL_DATA]) throw new DicomParseError(`dataset does not parse: ${message}`);
    // The header parsed up to Pixel Data; damage inside the pixel data is judged elsewhere.
    dataSet = partial;
  }
  // On a head-only read, an element running past the end may parse silently: read more.
  if (!opts.complete && !dataSet.elements[PIXEL_DATA]) throw new NeedMoreBytes();
  return extract(dataSet, meta, ts);
}

function extract(ds: dicomParser.DataSet, meta: ReturnType<typeof parseFileMeta>, ts: string): DicomHeader {
  const charset = rawString(ds, 'x00080005');
  const text = (tag: string): string | undefined => decodeText(ds, tag, charset);
  const uid = (tag: string): string => trimUid(rawString(ds, tag) ?? '');
  const int = (tag: string): number | undefined => {
    const s = rawString(ds, tag);
    if (s === undefined || s.trim() === '') return undefined;
    const n = Number.parseInt(s, 10);
    return Number.isFinite(n) ? n : undefined;
  };
  const us = (tag: string): number | undefined => (ds.elements[tag] && ds.elements[tag].length >= 2 ? ds.uint16(tag) : undefined);
  const header: DicomHeader = {
    transferSyntaxUid: ts,
    sopClassUid: uid('x00080016'),
    sopInstanceUid: uid('x00080018'),
    studyInstanceUid: uid('x0020000d'),
    seriesInstanceUid: uid('x0020000e'),
    metaSopInstanceUid: meta.mediaStorageSopInstanceUid,
    metaSopClassUid: meta.mediaStorageSopClassUid,
    hasPixelData: Boolean(ds.elements[PIXEL_DATA]),
  };
  const optional: Partial<DicomHeader> = {
    modality: text('x00080060'),
    studyDate: text('x00080020'),
    studyTime: text('x00080030'),
    studyId: text('x00200010'),
    accessionNumber: text('x00080050'),
    studyDescription: text('x00081030'),
    seriesDescription: text('x0008103e'),
    seriesNumber: int('x00200011'),
    instanceNumber: int('x00200013'),
    bodyPartExamined: text('x00180015'),
    patientName: text('x00100010'),
    patientId: text('x00100020'),
    issuerOfPatientId: text('x00100021'),
    patientBirthDate: text('x00100030'),
    patientSex: text('x00100040'),
    referringPhysicianName: text('x00080090'),
    specificCharacterSet: charset,
    rows: us('x00280010'),
    columns: us('x00280011'),
    numberOfFrames: int('x00280008'),
    bitsAllocated: us('x00280100'),
    bitsStored: us('x00280101'),
    pixelRepresentation: us('x00280103'),
    samplesPerPixel: us('x00280002'),
    photometricInterpretation: text('x00280004'),
  };
  for (const [k, v] of Object.entries(optional)) {
    if (v !== undefined && v !== '') (header as unknown as Record<string, unknown>)[k] = v;
  }
  return header;
}

function rawString(ds: dicomParser.DataSet, tag: string): string | undefined {
  const el = ds.elements[tag];
  if (!el || el.length === 0 || el.length === 0xffffffff) return undefined;
  return ds.string(tag) ?? undefined;
}

const CHARSET_LABELS: Record<string, string> = {
  'ISO_IR 100': 'latin1', 'ISO 2022 IR 100': 'latin1',
  'ISO_IR 101': 'iso-8859-2', 'ISO_IR 109': 'iso-8859-3', 'ISO_IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5', 'ISO_IR 127': 'iso-8859-6', 'ISO_IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8', 'ISO_IR 148': 'iso-8859-9', 'ISO_IR 203': 'iso-8859-15',
  'ISO_IR 192': 'utf-8', GB18030: 'gb18030', GBK: 'gbk', 'ISO_IR 13': 'shift_jis', 'ISO_IR 166': 'windows-874',
};

/** Decodes a text element with the first value of Specific Character Set (display only). */
function decodeText(ds: dicomParser.DataSet, tag: string, charset: string | undefined): string | undefined {
  const el = ds.elements[tag];
  if (!el || el.length === 0 || el.length === 0xffffffff) return undefined;
  const bytes = ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
  const first = (charset ?? '').split('\\')[0]?.trim() ?? '';
  const label = CHARSET_LABELS[first] ?? 'latin1';
  let s: string;
  try {
    s = new TextDecoder(label).decode(bytes);
  } catch {
    s = Buffer.from(bytes).toString('latin1');
  }
  return s.replace(/[\0 ]+$/, '').replace(/^ +/, '');
}
