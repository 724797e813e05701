/**
 * A compression worker that misbehaves on request, for pool fault tests: an input path
 * containing "crash" kills the worker thread (exit 3), "hang" spins forever, anything else is
 * answered as a passthrough. Speaks the same messages as agent/compress/worker.ts.
 */
import { parentPort } from 'node:worker_threads';
import type { CompressRequest, CompressReply } from '../../agent/compress/pool.ts';

const port = parentPort!;
port.on('message', (msg: CompressRequest) => {
  if (msg.inputPath.includes('crash')) process.exit(3);
  if (msg.inputPath.includes('hang')) for (;;);
  const reply: CompressReply = {
    id: msg.id,
    result: { outcome: 'passthrough', path: msg.inputPath, transferSyntaxUid: '', originalBytes: 0, compressedBytes: 0, reason: 'fake' },
  };
  port.postMessage(reply);
});
port.postMessage({ ready: true });
