/**
 * Whole-instance transcoding that changes only Pixel Data and the meta transfer syntax.
 * - `transcodeCandidate` says whether an instance may be re-encoded, and why not.
 * - `encodeInstance` encodes each frame and splices the encapsulated element into the original
 *   dataset bytes (the inflated dataset for Deflated sources).
 * - `toNative` decodes back to Explicit VR Little Endian; for an instance that was Explicit VR LE
 *   before `encodeInstance`, it returns the original file bytes exactly.
 * - `verifyTranscode` proves a transcoded file equals its source (bytes outside Pixel Data
 *   identical, every frame bit-exact once decoded, and the exact original back from toNative).
 * Only Explicit VR LE datasets can hold encapsulated Pixel Data byte-for-byte, so Implicit VR LE
 * and Big Endian sources are never candidates (re-encoding them would need a data dictionary and
 * would turn unknown private tags into UN): they travel as received.
 */
import { TS, TRANSFER_SYNTAXES } from '../dicom/transfer-syntax.ts';
import { parseFileMeta } from '../dicom/part10.ts';
import { locatePixelData, nativeFrameBytes, PixelDataError, type LocatedPixelData } from './pixel-data.ts';
import { CODEC_TRANSFER_SYNTAX, CodecError, type CodecId, type Codecs, type FrameFormat } from './frame-codecs.ts';
import { implicitToExplicitDataset } from './explicit-vr.ts';
import { encapsulatedPixelDataElement, metaWithTransferSyntax, nativePixelDataElement, spliceDataset } from './splice.ts';

export { PixelDataError, CodecError };

export function frameFormat(located: LocatedPixelData): FrameFormat {
  const i = located.image;
  return {
    width: i.columns,
    height: i.rows,
    samplesPerPixel: i.samplesPerPixel,
    bitsAllocated: i.bitsAllocated,
    bitsStored: i.bitsStored,
    signed: i.pixelRepresentation === 1,
    planarConfiguration: i.planarConfiguration,
    photometricInterpretation: i.photometricInterpretation,
  };
}

const CANDIDATE_REASON = { 'no-pixel-data': 'no-pixel-data', unsupported: 'unsupported-pixels', malformed: 'unreadable' } as const;

export type Candidate = { ok: true; located: LocatedPixelData } | { ok: false; reason: string; located?: LocatedPixelData };

/** Whether `bytes` may be re-encoded losslessly with some codec; the reason when not. */
export function transcodeCandidate(bytes: Uint8Array, codecs: Codecs): Candidate {
  let located: LocatedPixelData;
  try {
    located = locatePixelData(bytes);
  } catch (err) {
    if (err instanceof PixelDataError) return { ok: false, reason: `${CANDIDATE_REASON[err.kind]}: ${err.message}` };
    throw err;
  }
  const ts = located.transferSyntax;
  if (!ts.lossless) return { ok: false, reason: 'lossy-source', located };
  if (!ts.explicitVr) return { ok: false, reason: 'implicit-vr-source', located };
  if (!ts.littleEndian) return { ok: false, reason: 'big-endian-source', located };
  if (ts.encapsulated && ts.uid !== TS.rle) return { ok: false, reason: 'already-compressed', located };
  const f = frameFormat(located);
  if (ts.uid === TS.rle && (f.samplesPerPixel !== 1 || !codecs.canDecode(ts.uid))) return { ok: false, reason: 'unsupported-pixels: colour RLE', located };
  if (!ts.encapsulated && located.nativeExcessBytes > 1) return { ok: false, reason: 'unsupported-pixels: extra bytes after the frames', located };
  if (ts.uid === TS.explicitLE) {
    // toNative must rebuild these bytes exactly: the VR it writes, and the meta it writes back.
    const vr = located.image.bitsAllocated > 8 ? 'OW' : 'OB';
    if (located.element.vr !== vr) return { ok: false, reason: `not-reversible: Pixel Data VR ${located.element.vr} with ${located.image.bitsAllocated} bits allocated`, located };
    const meta = Buffer.from(bytes.buffer, bytes.byteOffset, located.meta.datasetOffset);
    const there = metaWithTransferSyntax(bytes, located.meta.datasetOffset, TS.jpegLsLossless);
    if (!metaWithTransferSyntax(there, there.length, TS.explicitLE).equals(meta)) return { ok: false, reason: 'not-reversible: unusual transfer syntax padding in the file meta', located };
  }
  const why = codecs.cannotEncode('jpeg-ls', f);
  if (why) return { ok: false, reason: `unsupported-pixels: ${why}`, located };
  return { ok: true, located };
}

/** Native frames of a located instance (decoded when encapsulated). */
export function decodeFrames(located: LocatedPixelData, codecs: Codecs): Uint8Array[] {
  if (!located.element.encapsulated) {
    if (!located.transferSyntax.littleEndian) return located.frames.map((fr) => swapToLittleEndian(fr, located.image.bitsAllocated));
    return located.frames;
  }
  const f = frameFormat(located);
  const expected = nativeFrameBytes(located.image);
  return located.frames.map((frame) => {
    const out = codecs.decode(located.transferSyntax.uid, frame, f);
    if (out.length !== expected) throw new CodecError(`decoded frame has ${out.length} bytes, ${expected} expected`);
    return out;
  });
}

function swapToLittleEndian(frame: Uint8Array, bitsAllocated: number): Uint8Array {
  if (bitsAllocated <= 8) return frame;
  const out = Buffer.from(frame);
  if (bitsAllocated === 16) out.swap16();
  else if (bitsAllocated === 32) out.swap32();
  else throw new CodecError(`cannot swap ${bitsAllocated}-bit samples`);
  return out;
}

export interface EncodedInstance {
  bytes: Buffer;
  transferSyntaxUid: string;
  /** Sum of the frames' raw bytes and of their codestreams (ratio = raw / encoded). */
  rawPixelBytes: number;
  encodedPixelBytes: number;
}

/** Encodes every frame with `codec` and splices the result into the original dataset bytes. */
export function encodeInstance(bytes: Uint8Array, located: LocatedPixelData, codec: CodecId, codecs: Codecs): EncodedInstance {
  const f = frameFormat(located);
  const native = decodeFrames(located, codecs);
  const encoded = native.map((frame) => codecs.encode(codec, frame, f));
  const transferSyntaxUid = CODEC_TRANSFER_SYNTAX[codec];
  const meta = metaWithTransferSyntax(bytes, located.meta.datasetOffset, transferSyntaxUid);
  const element = encapsulatedPixelDataElement(encoded);
  return {
    bytes: spliceDataset(meta, located.dataset, located.element.start, located.element.end, element),
    transferSyntaxUid,
    rawPixelBytes: native.reduce((n, fr) => n + fr.length, 0),
    encodedPixelBytes: encoded.reduce((n, fr) => n + fr.length, 0),
  };
}

/**
 * The instance with native Pixel Data in Explicit VR Little Endian (the only target supported).
 * Explicit VR LE input is returned as is; Deflated input is inflated; encapsulated input is
 * decoded; Implicit VR LE input gets explicit VRs, every value byte kept (explicit-vr.ts). Big
 * Endian input cannot be re-encoded byte-preserving, and
 * YBR_RCT/ICT/422/420 codestreams would need a new Photometric Interpretation: CodecError.
 */
export function toNative(bytes: Uint8Array, codecs: Codecs, targetTransferSyntaxUid: string = TS.explicitLE): Buffer {
  if (targetTransferSyntaxUid !== TS.explicitLE) throw new CodecError(`toNative supports ${TS.explicitLE} only`);
  const located = locatePixelData(bytes);
  const ts = located.transferSyntax;
  if (ts.uid === TS.explicitLE) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (ts.uid === TS.implicitLE) {
    // Values untouched, VRs from the dictionary (explicit-vr.ts): what a viewer asking for Explicit VR LE can read.
    try {
      return Buffer.concat([metaWithTransferSyntax(bytes, located.meta.datasetOffset, TS.explicitLE), implicitToExplicitDataset(located.dataset)]);
    } catch (err) {
      throw new CodecError(`Implicit VR LE dataset cannot be converted: ${(err as Error).message}`);
    }
  }
  if (!ts.explicitVr || !ts.littleEndian) throw new CodecError(`cannot convert ${ts.name} to ${TRANSFER_SYNTAXES.get(targetTransferSyntaxUid)?.name} byte-preserving`);
  if (ts.encapsulated && /^YBR_(RCT|ICT|FULL_422|PARTIAL_42[02])$/.test(located.image.photometricInterpretation)) {
    // Decoded pixels would be RGB / full-resolution YBR: Photometric Interpretation would have to change.
    throw new CodecError(`${located.image.photometricInterpretation} decodes to another Photometric Interpretation; serve the stored syntax`);
  }
  return nativeInstance(bytes, located, ts.encapsulated ? decodeFrames(located, codecs) : null);
}

/** Explicit VR LE file from a located instance and its decoded frames (null: keep native value). */
function nativeInstance(bytes: Uint8Array, located: LocatedPixelData, frames: Uint8Array[] | null): Buffer {
  const meta = metaWithTransferSyntax(bytes, located.meta.datasetOffset, TS.explicitLE);
  const element = frames
    ? nativePixelDataElement(frames, located.image.bitsAllocated)
    : located.dataset.subarray(located.element.start, located.element.end);
  return spliceDataset(meta, located.dataset, located.element.start, located.element.end, element);
}

/**
 * Null when `transcoded` holds exactly what `original` holds, else what differs. For an Explicit
 * VR LE original: toNative(transcoded) must be the original file byte for byte (which covers
 * every element and every pixel). Otherwise (RLE, Deflated): the dataset bytes before and after
 * Pixel Data are equal and every frame decodes to the original's frame bit for bit.
 */
export function verifyTranscode(original: Uint8Array, transcoded: Uint8Array, codecs: Codecs): string | null {
  const b = locatePixelData(transcoded);
  const fb = decodeFrames(b, codecs);
  if (parseFileMeta(original).transferSyntaxUid === TS.explicitLE) {
    // The strongest check subsumes the others: the whole original file, byte for byte.
    return nativeInstance(transcoded, b, fb).equals(original) ? null : 'decoded instance differs from the original bytes';
  }
  const a = locatePixelData(original);
  const before = (l: LocatedPixelData) => l.dataset.subarray(0, l.element.start);
  const after = (l: LocatedPixelData) => l.dataset.subarray(l.element.end);
  if (!Buffer.from(before(a)).equals(before(b))) return 'dataset bytes before Pixel Data differ';
  if (!Buffer.from(after(a)).equals(after(b))) return 'dataset bytes after Pixel Data differ';
  const fa = decodeFrames(a, codecs);
  if (fa.length !== fb.length) return `frame count ${fb.length} instead of ${fa.length}`;
  for (let i = 0; i < fa.length; i++) {
    if (!Buffer.from(fa[i]!).equals(fb[i]!)) return `frame ${i} differs once decoded`;
  }
  return null;
}
