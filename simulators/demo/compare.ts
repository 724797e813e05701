/**
 * "Identical" for the demo (since issue 4): every element of the dataset the hub returns equals
 * what the modality sent — private tags and character set included — and the pixel data is equal
 * bit for bit once decoded. The hub serves the stored syntax (the agent compressed it): the demo
 * decodes it back to Explicit VR Little Endian itself (lib/codec toNative, which rebuilds the
 * original bytes of an Explicit VR LE source exactly) and compares with the source's dataset.
 */
import { parseFileMeta } from '../../lib/dicom/part10.ts';
import { sha256Hex } from '../../lib/sha256.ts';
import { toNative } from '../../lib/codec/transcode.ts';
import type { Codecs } from '../../lib/codec/frame-codecs.ts';
import type { SourceInstance } from './study-source.ts';

export function compareInstance(source: SourceInstance, retrieved: Buffer, codecs: Codecs): { identical: boolean; reason?: string } {
  let meta;
  try {
    meta = parseFileMeta(retrieved);
  } catch (err) {
    return { identical: false, reason: `not Part 10: ${(err as Error).message}` };
  }
  const same = (bytes: Buffer, offset: number) => bytes.length - offset === source.datasetBytes && sha256Hex(bytes.subarray(offset)) === source.datasetSha256;
  if (same(retrieved, meta.datasetOffset)) return { identical: true };
  let native: Buffer;
  try {
    native = toNative(retrieved, codecs);
  } catch (err) {
    return { identical: false, reason: `dataset bytes differ and cannot be decoded: ${(err as Error).message}` };
  }
  if (same(native, parseFileMeta(native).datasetOffset)) return { identical: true };
  return { identical: false, reason: 'dataset differs from the source once decoded' };
}
