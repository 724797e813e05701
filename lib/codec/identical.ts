/**
 * "Identical" since compression (issue 4): a received instance is identical to what the modality
 * sent when every element of its dataset has the bytes the modality sent — private ones included
 * — and its pixel data decodes to the sent pixels bit for bit. Meta groups may differ (the agent
 * writes its own, and the transfer syntax changes when it compresses).
 * `sameInstance` returns null when identical, else what differs; it never throws.
 */
import { parseFileMeta } from '../dicom/part10.ts';
import { locatePixelData } from './pixel-data.ts';
import { decodeFrames } from './transcode.ts';
import type { Codecs } from './frame-codecs.ts';

function datasetOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).subarray(parseFileMeta(bytes).datasetOffset);
}

export function sameInstance(sent: Uint8Array, received: Uint8Array, codecs: Codecs): string | null {
  try {
    if (datasetOf(sent).equals(datasetOf(received))) return null;
    const a = locatePixelData(sent);
    const b = locatePixelData(received);
    if (!Buffer.from(a.dataset.subarray(0, a.element.start)).equals(b.dataset.subarray(0, b.element.start))) return 'elements before Pixel Data differ';
    if (!Buffer.from(a.dataset.subarray(a.element.end)).equals(b.dataset.subarray(b.element.end))) return 'elements after Pixel Data differ';
    const fa = decodeFrames(a, codecs);
    const fb = decodeFrames(b, codecs);
    if (fa.length !== fb.length) return `${fb.length} frames instead of ${fa.length}`;
    for (let i = 0; i < fa.length; i++) if (!Buffer.from(fa[i]!).equals(fb[i]!)) return `frame ${i} differs once decoded`;
    return null;
  } catch (err) {
    return `cannot compare: ${(err as Error).message}`;
  }
}
