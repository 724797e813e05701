/**
 * A lowdb adapter that is durable (lowdb's own steno renames without any fsync): each write is
 * temp file, fsync, rename, fsync of the directory, mode 0600. Writes are serialised and
 * coalesced: a write requested while another is on disk is folded into the next one, which
 * serialises the latest data, and every caller resolves only after a write that includes its
 * change is durable. One instance per file, one process per file (lowdb has no locking).
 */
import { readFile } from 'node:fs/promises';
import type { Adapter } from 'lowdb';
import { writeFileDurable } from '../../lib/durable-fs.ts';

export class DurableJsonAdapter<T> implements Adapter<T> {
  readonly #path: string;
  #latest: T | undefined;
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  /** Number of writes that reached the disk (tests and metrics). */
  writes = 0;

  constructor(path: string) {
    this.#path = path;
  }

  async read(): Promise<T | null> {
    try {
      return JSON.parse(await readFile(this.#path, 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  write(data: T): Promise<void> {
    this.#latest = data;
    if (this.#queued) return this.#queued;
    if (!this.#running) return this.#start();
    this.#queued = this.#running
      .catch(() => {})
      .then(() => {
        this.#queued = undefined;
        return this.#start();
      });
    return this.#queued;
  }

  #start(): Promise<void> {
    const text = `${JSON.stringify(this.#latest)}\n`;
    this.#running = writeFileDurable(this.#path, text, { mode: 0o600 })
      .then(() => {
        this.writes++;
      })
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  /** Resolves when no write is pending. */
  async flush(): Promise<void> {
    while (this.#queued ?? this.#running) await (this.#queued ?? this.#running)?.catch(() => {});
  }
}
