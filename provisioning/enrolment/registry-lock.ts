/**
 * Cross-process lock of the tunnel registry: `relais provision` commands and the running hub both
 * change records under DATA/tunnel (a revocation racing an enrolment must never be overwritten),
 * so every read-modify-write runs while holding this lock. proper-lockfile (mkdir-based, mtime
 * refreshed while held, stale after 10 s when its holder died) does the work.
 * Contract: `withLock(fn)` runs `fn` alone among all processes using the same directory and
 * always releases the lock; waits up to ~10 s for it, then rejects.
 */
import { join } from 'node:path';
import lockfile from 'proper-lockfile';

export type RegistryLock = <T>(fn: () => Promise<T>) => Promise<T>;

export function directoryLock(dir: string): RegistryLock {
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    const release = await lockfile.lock(dir, {
      lockfilePath: join(dir, '.registry.lock'),
      realpath: false,
      stale: 10_000,
      retries: { retries: 100, factor: 1.3, minTimeout: 10, maxTimeout: 200 },
    });
    try {
      return await fn();
    } finally {
      await release().catch(() => {});
    }
  };
}

/** In-process only (tests). */
export function processLock(): RegistryLock {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => {});
    return run;
  };
}
