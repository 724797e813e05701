/**
 * Where instance bytes live: DATA/objects/<2 hex>/<sha256>.dcm, content-addressed (the name is
 * the hash of the bytes, never a UID), mode 0600; uploads stream into DATA/tmp/<random>.part
 * first. `receive` hashes and counts while writing (nothing is held whole in memory) and
 * fsyncs; `commit` renames into place and fsyncs both directories. Leftover temp files are
 * removed by `recover` at startup (an upload without 2xx is retried by its agent).
 */
import { open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { createReadStream, type ReadStream } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ensureDir, renameDurable } from '../../lib/durable-fs.ts';
import { HubError, storageError } from '../errors.ts';

export interface ReceivedBody {
  tmpPath: string;
  sha256: string;
  size: number;
}

export class InstanceObjects {
  readonly #objects: string;
  readonly #tmp: string;
  /** Where resumable (tus) uploads grow until they are complete (hub/ingest/tus-uploads.ts). */
  readonly uploadsDir: string;

  constructor(dataDir: string) {
    this.#objects = join(dataDir, 'objects');
    this.#tmp = join(dataDir, 'tmp');
    this.uploadsDir = join(dataDir, 'uploads');
  }

  pathOf(sha256: string): string {
    return join(this.#objects, sha256.slice(0, 2), `${sha256}.dcm`);
  }

  /** Streams `body` to a temp file while hashing; throws HubError TOO_LARGE past `maxBytes`. */
  async receive(body: AsyncIterable<Buffer | Uint8Array | string>, maxBytes: number): Promise<ReceivedBody> {
    const tmpPath = join(this.#tmp, `${randomBytes(12).toString('hex')}.part`);
    let handle: FileHandle | undefined;
    try {
      await ensureDir(this.#tmp);
      handle = await open(tmpPath, 'wx', 0o600);
      const hash = createHash('sha256');
      let size = 0;
      for await (const c of body) {
        const chunk = typeof c === 'string' ? Buffer.from(c) : c;
        size += chunk.length;
        if (size > maxBytes) throw new HubError('RELAIS_UPLOAD_TOO_LARGE', `instance larger than ${maxBytes} bytes`);
        hash.update(chunk);
        let off = 0;
        while (off < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, off, chunk.length - off);
          off += bytesWritten;
        }
      }
      await handle.sync();
      await handle.close();
      handle = undefined;
      return { tmpPath, sha256: hash.digest('hex'), size };
    } catch (err) {
      await handle?.close().catch(() => {});
      await unlink(tmpPath).catch(() => {});
      throw storageError(err);
    }
  }

  /** Moves a received temp file into place under its hash, durably. */
  async commit(received: ReceivedBody): Promise<string> {
    const final = this.pathOf(received.sha256);
    try {
      await ensureDir(join(this.#objects, received.sha256.slice(0, 2)));
      await renameDurable(received.tmpPath, final);
      return final;
    } catch (err) {
      throw storageError(err);
    }
  }

  async discard(received: ReceivedBody): Promise<void> {
    await unlink(received.tmpPath).catch(() => {});
  }

  openRead(sha256: string): ReadStream {
    return createReadStream(this.pathOf(sha256));
  }

  /** Removes temp files left by uploads that never completed (none of them was acknowledged). */
  async recover(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.#tmp);
    } catch {
      return 0;
    }
    let n = 0;
    for (const name of names) {
      if (name.endsWith('.part')) {
        await unlink(join(this.#tmp, name)).catch(() => {});
        n++;
      }
    }
    return n;
  }
}
