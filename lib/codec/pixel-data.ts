/**
 * Locates Pixel Data (7FE0,0010) in the raw bytes of a Part 10 file, without re-encoding anything.
 * Contract: returns the byte range of the top-level Pixel Data element inside the dataset bytes
 * (the file's own bytes, or the inflated dataset for Deflated Explicit VR LE), the image pixel
 * attributes (group 0028) and one byte view per frame: native frames are slices of the value,
 * encapsulated frames are their fragments (concatenated when a frame spans several).
 * Everything outside [element.start, element.end) belongs to the caller untouched.
 * Throws PixelDataError for anything it cannot describe exactly (malformed, truncated, ambiguous
 * fragment→frame mapping); callers treat that as "pass through as it is".
 */
import { inflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import { parseFileMeta, type ParsedFileMeta } from '../dicom/part10.ts';
import { TRANSFER_SYNTAXES, type TransferSyntaxInfo } from '../dicom/transfer-syntax.ts';

/** no-pixel-data: nothing to transcode; unsupported: valid but not handled here; malformed: damaged. */
export type PixelDataErrorKind = 'no-pixel-data' | 'unsupported' | 'malformed';

export class PixelDataError extends Error {
  constructor(
    message: string,
    readonly kind: PixelDataErrorKind = 'malformed',
  ) {
    super(message);
    this.name = 'PixelDataError';
  }
}

/** Image Pixel module attributes needed to cut frames and drive codecs. */
export interface ImagePixelInfo {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: number;
  photometricInterpretation: string;
  planarConfiguration: number;
  numberOfFrames: number;
  /** Modality (0008,0060), for the compression policy and previews. */
  modality?: string;
}

export interface PixelDataElement {
  /** Offset (in `dataset`) of the element's tag. */
  start: number;
  /** Offset of the first value byte (for encapsulated: the Basic Offset Table item tag). */
  valueStart: number;
  /** Offset just past the element (past the sequence delimiter when encapsulated). */
  end: number;
  vr: string;
  encapsulated: boolean;
}

export interface LocatedPixelData {
  meta: ParsedFileMeta;
  transferSyntax: TransferSyntaxInfo;
  /** The dataset bytes: a view of the file after the meta group, or the inflated dataset. */
  dataset: Uint8Array;
  /** True when `dataset` was inflated (source was Deflated Explicit VR LE). */
  inflated: boolean;
  image: ImagePixelInfo;
  element: PixelDataElement;
  /** One view per frame (native: exact frame bytes; encapsulated: the frame's codestream). */
  frames: Uint8Array[];
  /** Native only: bytes of the value beyond the frames (0 or 1 pad byte when well formed). */
  nativeExcessBytes: number;
  /** The dicom-parser view of the dataset, for reading other attributes (offsets are file offsets). */
  dataSet: dicomParser.DataSet;
}

const PIXEL_DATA = 'x7fe00010';

export interface LocateOptions {
  /** Cap on inflated bytes for Deflated datasets (deflate-bomb guard). Default 1 GiB. */
  maxInflatedBytes?: number;
}

/** Parses the Part 10 file `bytes` and locates its Pixel Data. */
export function locatePixelData(bytes: Uint8Array, opts: LocateOptions = {}): LocatedPixelData {
  let meta: ParsedFileMeta;
  try {
    meta = parseFileMeta(bytes);
  } catch (err) {
    throw new PixelDataError((err as Error).message);
  }
  const transferSyntax = TRANSFER_SYNTAXES.get(meta.transferSyntaxUid);
  if (!transferSyntax) throw new PixelDataError(`unknown transfer syntax ${meta.transferSyntaxUid}`, 'unsupported');

  const maxInflated = opts.maxInflatedBytes ?? 1 << 30;
  let inflated = false;
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(bytes, {
      inflater: (arr: Uint8Array, position: number) => {
        let body: Buffer;
        try {
          body = inflateRawSync(arr.subarray(position), { maxOutputLength: maxInflated });
        } catch (e) {
          throw new PixelDataError(`deflated dataset does not inflate within ${maxInflated} bytes: ${(e as Error).message}`);
        }
        inflated = true;
        const full = new Uint8Array(position + body.length);
        full.set(arr.subarray(0, position), 0);
        full.set(body, position);
        return full;
      },
    } as unknown as dicomParser.ParseDicomOptions) as dicomParser.DataSet;
  } catch (err) {
    if (err instanceof PixelDataError) throw err;
    throw new PixelDataError(`dataset does not parse: ${describe(err)}`);
  }
  // Offsets below are made relative to the dataset (the bytes after the meta group).
  const base = meta.datasetOffset;
  const dataset: Uint8Array = ds.byteArray.subarray(base);
  const pixel = ds.elements[PIXEL_DATA];
  if (!pixel) throw new PixelDataError('no Pixel Data (7FE0,0010)', 'no-pixel-data');

  const image = readImageInfo(ds);
  const element = elementRange(dataset, rebase(pixel, base), transferSyntax, image);
  if (element.encapsulated !== transferSyntax.encapsulated) {
    throw new PixelDataError(`Pixel Data is ${element.encapsulated ? '' : 'not '}encapsulated under ${transferSyntax.name}`);
  }
  if (element.encapsulated) {
    return { meta, transferSyntax, dataset, inflated, image, element, frames: encapsulatedFrames(dataset, rebase(pixel, base), image), nativeExcessBytes: 0, dataSet: ds };
  }
  const { frames, excess } = nativeFrames(dataset, rebase(pixel, base), image);
  return { meta, transferSyntax, dataset, inflated, image, element, frames, nativeExcessBytes: excess, dataSet: ds };
}

/** A copy of a dicom-parser element with offsets relative to `base`. */
function rebase(el: dicomParser.Element, base: number): dicomParser.Element {
  const out: dicomParser.Element = { ...el, dataOffset: el.dataOffset - base };
  if (el.fragments) out.fragments = el.fragments.map((f) => ({ ...f, position: f.position - base }));
  return out;
}

function describe(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof Error) return err.message;
  const inner = (err as { exception?: unknown })?.exception;
  return inner !== undefined ? describe(inner) : String(err);
}

function readImageInfo(ds: dicomParser.DataSet): ImagePixelInfo {
  const us = (tag: string): number | undefined => {
    const el = ds.elements[tag];
    return el && el.length >= 2 ? ds.uint16(tag) : undefined;
  };
  const str = (tag: string): string | undefined => {
    const el = ds.elements[tag];
    if (!el || el.length === 0) return undefined;
    return ds.string(tag)?.trim();
  };
  const rows = us('x00280010');
  const columns = us('x00280011');
  const bitsAllocated = us('x00280100');
  if (!rows || !columns || !bitsAllocated) throw new PixelDataError('image pixel attributes missing (rows, columns, bits allocated)');
  const bitsStored = us('x00280101') ?? bitsAllocated;
  const framesText = str('x00280008');
  const numberOfFrames = framesText ? Number.parseInt(framesText, 10) : 1;
  if (!Number.isInteger(numberOfFrames) || numberOfFrames < 1) throw new PixelDataError(`bad Number of Frames ${framesText}`);
  const info: ImagePixelInfo = {
    rows,
    columns,
    samplesPerPixel: us('x00280002') ?? 1,
    bitsAllocated,
    bitsStored,
    highBit: us('x00280102') ?? bitsStored - 1,
    pixelRepresentation: us('x00280103') ?? 0,
    photometricInterpretation: str('x00280004') ?? '',
    planarConfiguration: us('x00280006') ?? 0,
    numberOfFrames,
  };
  const modality = str('x00080060');
  if (modality) info.modality = modality;
  return info;
}

function tagAt(buf: Uint8Array, pos: number, littleEndian: boolean): number {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (pos < 0 || pos + 4 > buf.length) return -1;
  return ((v.getUint16(pos, littleEndian) << 16) | v.getUint16(pos + 2, littleEndian)) >>> 0;
}

function elementRange(dataset: Uint8Array, el: dicomParser.Element, ts: TransferSyntaxInfo, image: ImagePixelInfo): PixelDataElement {
  const tag = 0x7fe00010;
  let start: number;
  let vr: string;
  if (ts.explicitVr) {
    start = el.dataOffset - 12;
    if (tagAt(dataset, start, ts.littleEndian) !== tag) throw new PixelDataError('Pixel Data header not where expected');
    vr = Buffer.from(dataset.subarray(start + 4, start + 6)).toString('latin1');
  } else {
    start = el.dataOffset - 8;
    if (tagAt(dataset, start, true) !== tag) throw new PixelDataError('Pixel Data header not where expected');
    vr = image.bitsAllocated > 8 ? 'OW' : 'OB';
  }
  const encapsulated = Boolean(el.encapsulatedPixelData) || el.hadUndefinedLength === true;
  const end = el.dataOffset + el.length;
  if (end > dataset.length) throw new PixelDataError('Pixel Data runs past the end of the dataset');
  if (encapsulated) {
    if (tagAt(dataset, end - 8, true) !== 0xfffee0dd) throw new PixelDataError('encapsulated Pixel Data lacks its sequence delimiter');
  }
  return { start, valueStart: el.dataOffset, end, vr, encapsulated };
}

/** Bytes of one native frame; null when bits allocated is not a whole number of bytes. */
export function nativeFrameBytes(image: ImagePixelInfo): number | null {
  if (image.bitsAllocated % 8 !== 0) return null;
  return image.rows * image.columns * image.samplesPerPixel * (image.bitsAllocated / 8);
}

function nativeFrames(dataset: Uint8Array, el: dicomParser.Element, image: ImagePixelInfo): { frames: Uint8Array[]; excess: number } {
  if (/^YBR_(FULL|PARTIAL)_42[02]$/.test(image.photometricInterpretation)) {
    throw new PixelDataError(`chroma-subsampled native ${image.photometricInterpretation}`, 'unsupported');
  }
  const frameBytes = nativeFrameBytes(image);
  if (frameBytes === null) throw new PixelDataError(`bits allocated ${image.bitsAllocated} is not byte aligned`, 'unsupported');
  const need = frameBytes * image.numberOfFrames;
  if (el.length < need) throw new PixelDataError(`native Pixel Data holds ${el.length} bytes, frames need ${need}`);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < image.numberOfFrames; i++) {
    const s = el.dataOffset + i * frameBytes;
    frames.push(dataset.subarray(s, s + frameBytes));
  }
  return { frames, excess: el.length - need };
}

function encapsulatedFrames(dataset: Uint8Array, el: dicomParser.Element, image: ImagePixelInfo): Uint8Array[] {
  const fragments = el.fragments ?? [];
  if (fragments.length === 0) throw new PixelDataError('encapsulated Pixel Data has no fragments');
  for (const f of fragments) {
    if (f.position + f.length > dataset.length || tagAt(dataset, f.position - 8, true) !== 0xfffee000) {
      throw new PixelDataError('malformed fragment item in encapsulated Pixel Data');
    }
  }
  const frames = image.numberOfFrames;
  const view = (i: number) => dataset.subarray(fragments[i]!.position, fragments[i]!.position + fragments[i]!.length);
  if (frames === 1) {
    if (fragments.length === 1) return [view(0)];
    return [Buffer.concat(fragments.map((_, i) => view(i)))];
  }
  if (fragments.length === frames) return fragments.map((_, i) => view(i));
  const bot = el.basicOffsetTable ?? [];
  if (bot.length !== frames) throw new PixelDataError(`${fragments.length} fragments for ${frames} frames and no usable offset table`);
  const out: Uint8Array[] = [];
  for (let f = 0; f < frames; f++) {
    const from = bot[f]!;
    const to = f + 1 < frames ? bot[f + 1]! : Number.POSITIVE_INFINITY;
    const parts = fragments.map((frag, i) => ({ frag, i })).filter(({ frag }) => frag.offset >= from && frag.offset < to);
    if (parts.length === 0) throw new PixelDataError(`offset table points at no fragment for frame ${f}`);
    out.push(parts.length === 1 ? view(parts[0]!.i) : Buffer.concat(parts.map(({ i }) => view(i))));
  }
  return out;
}
