/**
 * Starts a worker thread from a module URL. Node 20 does not apply tsx's loader hooks to worker
 * threads started from a .ts file: when running from source, the worker registers tsx itself,
 * then imports the entry; a built .js/.cjs entry starts directly.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startWorker(entry: URL, opts: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, opts);
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { ...opts, eval: true });
}
