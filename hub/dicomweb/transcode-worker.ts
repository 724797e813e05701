/**
 * Worker-thread entry of the hub's transcoder (transcode-pool.ts): loads the codecs once, then
 * answers each request on a stored instance file:
 *   { id, op: 'native', path, target? }   → { id, ok, bytes } the instance in Explicit VR LE (toNative),
 *        or re-encoded losslessly in `target` (a syntax of CODEC_TRANSFER_SYNTAX)
 *   { id, op: 'frames', path, frames, native } → { id, ok, frames[], transferSyntaxUid }
 *        frames are 1-based; native: decoded little-endian pixels, else the stored frame bytes
 *   errors: { id, ok: false, kind: 'codec' | 'range' | 'io', message }
 */
import { parentPort } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import { loadCodecs, CODEC_TRANSFER_SYNTAX, type CodecId } from '../../lib/codec/frame-codecs.ts';
import { TS } from '../../lib/dicom/transfer-syntax.ts';
import { locatePixelData } from '../../lib/codec/pixel-data.ts';
import { decodeFrames, encodeInstance, toNative, transcodeCandidate } from '../../lib/codec/transcode.ts';
import type { TranscodeReply, TranscodeRequest } from './transcode-pool.ts';

const port = parentPort;
if (!port) throw new Error('hub/dicomweb/transcode-worker.ts must run in a worker thread');

void loadCodecs().then((codecs) => {
  port.on('message', (req: TranscodeRequest) => {
    void (async (): Promise<TranscodeReply> => {
      let bytes: Buffer;
      try {
        bytes = await readFile(req.path);
      } catch (err) {
        return { id: req.id, ok: false, kind: 'io', message: (err as Error).message };
      }
      try {
        if (req.op === 'native') {
          const native = toNative(bytes, codecs);
          if (!req.target || req.target === TS.explicitLE) return { id: req.id, ok: true, bytes: native };
          // Another lossless syntax: re-encoded from the native instance, only Pixel Data changes.
          const codec = (Object.entries(CODEC_TRANSFER_SYNTAX) as Array<[CodecId, string]>).find(([, uid]) => uid === req.target)?.[0];
          const candidate = transcodeCandidate(native, codecs);
          if (!codec || !candidate.ok) return { id: req.id, ok: false, kind: 'codec', message: `cannot encode as ${req.target}${candidate.ok ? '' : `: ${candidate.reason}`}` };
          return { id: req.id, ok: true, bytes: encodeInstance(native, candidate.located, codec, codecs).bytes };
        }
        const located = locatePixelData(bytes);
        for (const n of req.frames) {
          if (!Number.isInteger(n) || n < 1 || n > located.frames.length) return { id: req.id, ok: false, kind: 'range', message: `frame ${n} of ${located.frames.length}` };
        }
        if (!req.native) return { id: req.id, ok: true, frames: req.frames.map((n) => Buffer.from(located.frames[n - 1]!)), transferSyntaxUid: located.transferSyntax.uid };
        if (located.transferSyntax.encapsulated && /^YBR_(RCT|ICT|FULL_422|PARTIAL_42[02])$/.test(located.image.photometricInterpretation)) {
          return { id: req.id, ok: false, kind: 'codec', message: `${located.image.photometricInterpretation} frames are served in their stored syntax` };
        }
        const all = decodeFrames({ ...located, frames: req.frames.map((n) => located.frames[n - 1]!) }, codecs);
        return { id: req.id, ok: true, frames: all.map((f) => Buffer.from(f)), transferSyntaxUid: '1.2.840.10008.1.2.1' };
      } catch (err) {
        // A codec error, unreadable pixels or anything else the content provokes: serve the stored syntax.
        return { id: req.id, ok: false, kind: 'codec', message: (err as Error).message };
      }
    })().then((reply) => port.postMessage(reply));
  });
  port.postMessage({ ready: true });
});
