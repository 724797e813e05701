/**
 * An append-only JSON-lines file, durable: each `append` resolves only once its line is
 * written and fsynced. Concurrent appends are batched into one write + one fsync (group
 * commit). A torn last line (crash or failed write mid-line) is cut off when the file is
 * opened, so every complete line is a record that was, or could have been, acknowledged.
 * After a failed write or fsync the descriptor is dropped (its error state cannot be
 * trusted) and the next append reopens and repairs the file.
 */
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ensureDir, fsyncDir } from '../../lib/durable-fs.ts';

interface Pending {
  line: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class JsonlFile {
  readonly path: string;
  #handle: FileHandle | undefined;
  #queue: Pending[] = [];
  #draining: Promise<void> | undefined;

  constructor(path: string) {
    this.path = path;
  }

  /** Appends one record (serialised on one line); resolves when durable. */
  append(record: unknown): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    return new Promise((resolve, reject) => {
      this.#queue.push({ line, resolve, reject });
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#draining) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#queue.length > 0) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0);
      try {
        const handle = await this.#open();
        await handle.write(batch.map((p) => p.line).join(''));
        await handle.sync();
        for (const p of batch) p.resolve();
      } catch (err) {
        await this.#handle?.close().catch(() => {});
        this.#handle = undefined;
        for (const p of batch) p.reject(err);
      }
    }
  }

  async #open(): Promise<FileHandle> {
    if (this.#handle) return this.#handle;
    await ensureDir(dirname(this.path));
    await repairTornTail(this.path);
    const handle = await open(this.path, 'a', 0o600);
    const { size } = await handle.stat();
    if (size === 0) {
      await handle.sync();
      await fsyncDir(dirname(this.path));
    }
    this.#handle = handle;
    return handle;
  }

  /** Waits for pending appends, then closes the descriptor (a later append reopens it). */
  async close(): Promise<void> {
    while (this.#draining) await this.#draining.catch(() => {});
    await this.#handle?.close().catch(() => {});
    this.#handle = undefined;
  }
}

/** Truncates the file after its last newline, if it does not end with one. */
export async function repairTornTail(path: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] === 0x0a) return;
    let end = size;
    const chunk = Buffer.alloc(64 * 1024);
    let cut = 0;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await handle.read(chunk, 0, end - start, start);
      const i = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (i >= 0) {
        cut = start + i + 1;
        break;
      }
      end = start;
    }
    await handle.truncate(cut);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads every complete record of a JSON-lines file (a torn or unparsable line is skipped). */
export async function readJsonl(path: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: unknown[] = [];
  const lines = text.split('\n');
  if (!text.endsWith('\n')) lines.pop();
  for (const line of lines) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      /* a damaged line is not a record */
    }
  }
  return out;
}
