/**
 * Worker-thread entry of the compression pool: loads the codecs once, then answers each
 * { id, inputPath, outputDir, policy } message with { id, result } (compressInstanceWith).
 * workerData: { wasmDir?: string } (bundled agent: the folder holding WASM_FILES).
 * Bundles: this file is a second esbuild entry point (pass its URL as `workerUrl`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadCodecs } from '../../lib/codec/frame-codecs.ts';
import { compressInstanceWith } from './compress-instance.ts';
import type { CompressRequest, CompressReply } from './pool.ts';

const port = parentPort;
if (!port) throw new Error('agent/compress/worker.ts must run in a worker thread');
const { wasmDir } = (workerData ?? {}) as { wasmDir?: string };
// No top-level await: the worker is also bundled as CommonJS. A codec that cannot load is an
// unhandled rejection, which ends the worker: the pool reports "worker cannot start".
void loadCodecs(wasmDir ? { wasmDir } : {}).then((codecs) => {
  port.on('message', (msg: CompressRequest) => {
    void compressInstanceWith(codecs, msg.inputPath, msg.outputDir, msg.policy).then((result) => {
      const reply: CompressReply = { id: msg.id, result };
      port.postMessage(reply);
    });
  });
  port.postMessage({ ready: true });
});
