/**
 * One JSON document on disk through lowdb, with durable writes (lib/durable-fs.ts:
 * write-temp, fsync, rename, fsync the directory) instead of steno's unsynced rename.
 * Contract: one owner per file (a second lowdb instance on the same file corrupts it);
 * `save` coalesces — concurrent calls share the next write, and each resolves only once a
 * write containing its data is durable; a failed write rejects its callers and the next
 * save retries. `load` validates with the caller's check and refuses a corrupt file.
 */
import { Low, type Adapter } from 'lowdb';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ensureDir, writeFileDurable } from '../../../lib/durable-fs.ts';

class DurableJsonAdapter<T> implements Adapter<T> {
  constructor(private readonly path: string, private readonly check: (v: unknown) => v is T) {}

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const value: unknown = JSON.parse(text);
    if (!this.check(value)) throw new Error(`${this.path}: content does not match its schema`);
    return value;
  }

  async write(data: T): Promise<void> {
    await ensureDir(dirname(this.path));
    await writeFileDurable(this.path, JSON.stringify(data));
  }
}

export interface DocumentStore<T> {
  load(): Promise<T | null>;
  save(value: T): Promise<void>;
}

export class JsonDocument<T> implements DocumentStore<T> {
  readonly #db: Low<T | null>;
  #chain: Promise<void> = Promise.resolve();
  #pending: T | undefined;

  constructor(path: string, check: (v: unknown) => v is T) {
    this.#db = new Low<T | null>(new DurableJsonAdapter<T>(path, check) as unknown as Adapter<T | null>, null);
  }

  async load(): Promise<T | null> {
    await this.#db.read();
    return this.#db.data;
  }

  save(value: T): Promise<void> {
    this.#pending = value;
    const run = this.#chain.catch(() => {}).then(async () => {
      const next = this.#pending;
      if (next === undefined) return; // an earlier run already wrote our value
      this.#pending = undefined;
      this.#db.data = next;
      try {
        await this.#db.write();
      } catch (err) {
        if (this.#pending === undefined) this.#pending = next; // the next save retries it
        throw err;
      }
    });
    this.#chain = run;
    return run;
  }
}

/** In-memory document for tests and benchmarks: keeps the JSON text, as a file would. */
export class MemoryDocument<T> implements DocumentStore<T> {
  writes = 0;
  #text: string | null;
  constructor(value: T | null = null) {
    this.#text = value === null ? null : JSON.stringify(value);
  }
  async load(): Promise<T | null> {
    return this.#text === null ? null : (JSON.parse(this.#text) as T);
  }
  async save(value: T): Promise<void> {
    this.#text = JSON.stringify(value);
    this.writes++;
  }
}
