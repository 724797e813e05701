/**
 * The compressor: a bounded pool of worker threads running compressInstanceWith, so that C-STORE
 * intake never waits for a codec. At most `size` instances compress at once (default cores − 1,
 * at least 1); further requests wait in a FIFO queue.
 * Contract: `compressInstance` always resolves (never rejects) with a CompressResult. A worker
 * that crashes or exceeds `taskTimeoutMs` is replaced; its task resolves as 'failed' (the
 * original travels), counted in stats. A worker that cannot start fails the queued tasks the
 * same way and is retried on the next request. `close()` ends every worker.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../lib/worker-entry.ts';
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { createSystemClock, type Clock, type TimerHandle } from '../../lib/clock.ts';
import type { CompressPolicyInput, CompressResult } from './compress-instance.ts';

export interface CompressRequest {
  id: number;
  inputPath: string;
  outputDir: string;
  policy: CompressPolicyInput;
}

export interface CompressReply {
  id: number;
  result: CompressResult;
}

export interface CompressorOptions {
  /** Worker threads (default: defaultPoolSize of the machine's cores). */
  size?: number;
  /** Worker entry (default: ./worker.ts beside this file; bundles pass the bundled worker). */
  workerUrl?: URL;
  /** Folder with the codec wasm files (bundled agent). */
  wasmDir?: string;
  /** A task running longer than this is abandoned and its worker replaced (default 10 min). */
  taskTimeoutMs?: number;
  clock?: Clock;
  /** Extra worker options (tests: execArgv). */
  execArgv?: string[];
}

export interface CompressStats {
  compressed: number;
  passthrough: number;
  failed: number;
  /** Failed because the decoded result differed from the original (never shipped). */
  verifyMismatches: number;
  workerCrashes: number;
  timeouts: number;
  queued: number;
  running: number;
  /** Worker threads alive (never more than the pool size). */
  workers: number;
  originalBytes: number;
  compressedBytes: number;
}

export interface Compressor {
  compressInstance(inputPath: string, outputDir: string, policy?: CompressPolicyInput): Promise<CompressResult>;
  stats(): CompressStats;
  readonly size: number;
  close(): Promise<void>;
}

export function defaultPoolSize(cores: number): number {
  return Math.max(1, cores - 1);
}

interface Task {
  req: CompressRequest;
  resolve: (r: CompressResult) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Being terminated (timed out): takes no task, its exit is expected. */
  retiring?: boolean;
  task?: Task;
  timer?: TimerHandle;
}

export function createCompressor(opts: CompressorOptions = {}): Compressor {
  const size = Math.max(1, opts.size ?? defaultPoolSize(availableParallelism()));
  const workerUrl = opts.workerUrl ?? new URL('./worker.ts', import.meta.url);
  const timeoutMs = opts.taskTimeoutMs ?? 10 * 60_000;
  const clock = opts.clock ?? createSystemClock();
  const queue: Task[] = [];
  const slots = new Set<Slot>();
  let nextId = 1;
  let closing = false;
  const counts = { compressed: 0, passthrough: 0, failed: 0, verifyMismatches: 0, workerCrashes: 0, timeouts: 0, originalBytes: 0, compressedBytes: 0 };

  function record(r: CompressResult): void {
    counts[r.outcome]++;
    if (r.outcome === 'failed' && r.reason.startsWith('verify:')) counts.verifyMismatches++;
    counts.originalBytes += r.originalBytes;
    counts.compressedBytes += r.outcome === 'compressed' ? r.compressedBytes : r.originalBytes;
  }

  function finish(task: Task, r: CompressResult): void {
    record(r);
    task.resolve(r);
  }

  async function failedResult(req: CompressRequest, reason: string): Promise<CompressResult> {
    const size = await stat(req.inputPath).then((s) => s.size, () => 0);
    return { outcome: 'failed', path: req.inputPath, transferSyntaxUid: '', originalBytes: size, compressedBytes: size, reason };
  }

  function spawn(): Slot {
    const worker = startWorker(workerUrl, { workerData: { wasmDir: opts.wasmDir }, ...(opts.execArgv ? { execArgv: opts.execArgv } : {}) });
    const slot: Slot = { worker, ready: false };
    slots.add(slot);
    let lastError = '';
    worker.on('message', (msg: CompressReply | { ready: true }) => {
      if ('ready' in msg) {
        slot.ready = true;
        pump();
        return;
      }
      const task = slot.task;
      if (!task || task.req.id !== msg.id) return;
      clock.clearTimeout(slot.timer);
      slot.task = undefined;
      finish(task, msg.result);
      pump();
    });
    worker.on('error', (err) => {
      lastError = err.message;
    });
    worker.on('exit', (code) => {
      slots.delete(slot);
      clock.clearTimeout(slot.timer);
      const task = slot.task;
      slot.task = undefined;
      if (closing) {
        if (task) void failedResult(task.req, 'compressor closed').then((r) => finish(task, r));
        return;
      }
      if (slot.retiring) {
        pump();
        return;
      }
      if (task) {
        counts.workerCrashes++;
        void failedResult(task.req, `worker crashed (exit ${code}${lastError ? `: ${lastError}` : ''})`).then((r) => finish(task, r));
      } else if (!slot.ready) {
        // Could not start (missing wasm, bad entry): fail what waits rather than spin.
        const waiting = queue.splice(0);
        for (const t of waiting) void failedResult(t.req, `worker cannot start: ${lastError || `exit ${code}`}`).then((r) => finish(t, r));
        return;
      }
      pump();
    });
    return slot;
  }

  function pump(): void {
    if (closing) return;
    for (const slot of slots) {
      if (!slot.ready || slot.task || slot.retiring) continue;
      const task = queue.shift();
      if (!task) return;
      slot.task = task;
      slot.timer = clock.setTimeout(() => {
        if (slot.task !== task) return;
        counts.timeouts++;
        slot.task = undefined;
        slot.retiring = true;
        void failedResult(task.req, `timeout after ${timeoutMs} ms`).then((r) => finish(task, r));
        void slot.worker.terminate();
      }, timeoutMs);
      slot.worker.postMessage(task.req);
    }
    // Workers are started on demand, one per waiting task, up to `size`; idle ones stay warm.
    const needed = Math.min(size, busy() + queue.length);
    while (slots.size < needed) spawn();
  }

  function busy(): number {
    let n = 0;
    for (const s of slots) if (s.task || s.retiring) n++;
    return n;
  }

  return {
    size,
    compressInstance(inputPath, outputDir, policy = {}) {
      if (closing) return failedResult({ id: 0, inputPath, outputDir, policy }, 'compressor closed');
      return new Promise<CompressResult>((resolve) => {
        queue.push({ req: { id: nextId++, inputPath, outputDir, policy }, resolve });
        pump();
      });
    },
    stats() {
      return { ...counts, queued: queue.length, running: busy(), workers: slots.size };
    },
    async close() {
      closing = true;
      const waiting = queue.splice(0);
      for (const t of waiting) void failedResult(t.req, 'compressor closed').then((r) => finish(t, r));
      await Promise.all([...slots].map((s) => s.worker.terminate()));
    },
  };
}
