/**
 * The hub's transcoder: decoding to Explicit VR Little Endian (whole instances, or frames)
 * runs in worker threads, never on the event loop. At most `size` requests run at once (default
 * 1); the others wait in a FIFO queue. Workers start on first use and stay warm.
 * Contract: `native` and `frames` reject with TranscodeError (kind 'codec': this content cannot
 * be served that way, serve the stored syntax; 'range': no such frame; 'io'/'worker': retry can
 * help). A worker that crashes or exceeds `timeoutMs` is replaced and its request rejected.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../lib/worker-entry.ts';

export type TranscodeRequest =
  | { id: number; op: 'native'; path: string; target?: string }
  | { id: number; op: 'frames'; path: string; frames: number[]; native: boolean };

export type TranscodeReply =
  | { id: number; ok: true; bytes: Uint8Array }
  | { id: number; ok: true; frames: Uint8Array[]; transferSyntaxUid: string }
  | { id: number; ok: false; kind: 'codec' | 'range' | 'io'; message: string };

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export class TranscodeError extends Error {
  constructor(readonly kind: 'codec' | 'range' | 'io' | 'worker', message: string) {
    super(message);
    this.name = 'TranscodeError';
  }
}

export interface Transcoder {
  /** The instance in Explicit VR LE, or losslessly re-encoded in `target` when given. */
  native(path: string, target?: string): Promise<Buffer>;
  frames(path: string, frames: number[], native: boolean): Promise<{ frames: Buffer[]; transferSyntaxUid: string }>;
  close(): Promise<void>;
}

interface Pending {
  req: TranscodeRequest;
  resolve: (r: TranscodeReply) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  task?: Pending;
  timer?: NodeJS.Timeout;
}

export function createTranscoder(opts: { size?: number; timeoutMs?: number; workerUrl?: URL } = {}): Transcoder {
  const size = Math.max(1, opts.size ?? 1);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const entry = opts.workerUrl ?? new URL('./transcode-worker.ts', import.meta.url);
  const queue: Pending[] = [];
  const slots = new Set<Slot>();
  let nextId = 1;
  let closed = false;

  function spawn(): void {
    const slot: Slot = { worker: startWorker(entry), ready: false };
    slots.add(slot);
    let lastError = '';
    slot.worker.on('message', (msg: TranscodeReply | { ready: true }) => {
      if ('ready' in msg) {
        slot.ready = true;
        pump();
        return;
      }
      const task = slot.task;
      if (!task || task.req.id !== msg.id) return;
      clearTimeout(slot.timer);
      slot.task = undefined;
      task.resolve(msg);
      pump();
    });
    slot.worker.on('error', (err) => {
      lastError = err.message;
    });
    slot.worker.on('exit', (code) => {
      slots.delete(slot);
      clearTimeout(slot.timer);
      const task = slot.task;
      slot.task = undefined;
      task?.reject(new TranscodeError('worker', `transcoder worker ended (exit ${code}${lastError ? `: ${lastError}` : ''})`));
      if (!slot.ready) for (const t of queue.splice(0)) t.reject(new TranscodeError('worker', `transcoder cannot start: ${lastError || code}`));
      else pump();
    });
  }

  function pump(): void {
    if (closed) return;
    for (const slot of slots) {
      if (!slot.ready || slot.task) continue;
      const task = queue.shift();
      if (!task) break;
      slot.task = task;
      slot.timer = setTimeout(() => void slot.worker.terminate(), timeoutMs);
      slot.worker.postMessage(task.req);
    }
    let busy = 0;
    for (const s of slots) if (s.task) busy++;
    while (queue.length > 0 && slots.size < Math.min(size, busy + queue.length)) spawn();
  }

  function run(req: WithoutId<TranscodeRequest>): Promise<TranscodeReply> {
    if (closed) return Promise.reject(new TranscodeError('worker', 'transcoder closed'));
    return new Promise((resolve, reject) => {
      queue.push({ req: { ...req, id: nextId++ } as TranscodeRequest, resolve, reject });
      pump();
    });
  }

  function fail(r: TranscodeReply & { ok: false }): never {
    throw new TranscodeError(r.kind, r.message);
  }

  return {
    async native(path, target) {
      const r = await run({ op: 'native', path, ...(target ? { target } : {}) });
      if (!r.ok) fail(r);
      if (!('bytes' in r)) throw new TranscodeError('worker', 'unexpected reply');
      return Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
    },
    async frames(path, frames, native) {
      const r = await run({ op: 'frames', path, frames, native });
      if (!r.ok) fail(r);
      if (!('frames' in r)) throw new TranscodeError('worker', 'unexpected reply');
      return { frames: r.frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)), transferSyntaxUid: r.transferSyntaxUid };
    },
    async close() {
      closed = true;
      for (const t of queue.splice(0)) t.reject(new TranscodeError('worker', 'transcoder closed'));
      await Promise.all([...slots].map((s) => s.worker.terminate()));
    },
  };
}
