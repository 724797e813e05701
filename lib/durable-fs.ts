/**
 * Durable file operations (house rule 3): write-temp, fsync, rename, fsync the directory.
 * Contract: when a function here resolves, the change survives a crash of this process or
 * of the machine (given a disk that honours fsync). On failure nothing half-written is left
 * under the final name; temp files are removed on a best-effort basis.
 * A failed fsync is never retried on the same descriptor (its error state is lost).
 */
import { open, rename, mkdir, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, basename, join } from 'node:path';

/** fsync a directory so that entries created, renamed or removed in it are durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** mkdir -p, then fsync each parent whose entry may have just been created. */
export async function ensureDir(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true });
  if (created !== undefined) {
    // `created` is the first directory made; fsync from its parent down to `dir`'s parent.
    let d = dir;
    const chain: string[] = [];
    while (d.length >= created.length) {
      chain.push(dirname(d));
      if (d === created) break;
      d = dirname(d);
    }
    for (const p of chain.reverse()) await fsyncDir(p);
  }
}

/** A temp-file name in the same directory (same filesystem, so rename is atomic). */
export function tempPathFor(finalPath: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.${randomBytes(6).toString('hex')}.tmp`);
}

export interface WriteDurableOptions {
  /** File mode of the new file (default 0o640); secrets and patient data use 0o600. */
  mode?: number;
}

/** Writes `data` to `path` atomically and durably. */
export async function writeFileDurable(path: string, data: string | Uint8Array, opts: WriteDurableOptions = {}): Promise<void> {
  const tmp = tempPathFor(path);
  let handle: FileHandle | undefined;
  try {
    handle = await open(tmp, 'wx', opts.mode ?? 0o640);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (err) {
    await handle?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fsyncDir(dirname(path));
}

/** Renames durably: both directories are fsynced (once if they are the same). */
export async function renameDurable(from: string, to: string): Promise<void> {
  await rename(from, to);
  const a = dirname(from);
  const b = dirname(to);
  await fsyncDir(b);
  if (a !== b) await fsyncDir(a);
}

/** Removes a file durably; a missing file counts as removed. */
export async function unlinkDurable(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return;
  }
  await fsyncDir(dirname(path));
}

/** Error codes that mean "the disk cannot take this now" (answer A700 / 507, retry later). */
export const OUT_OF_RESOURCES_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EMFILE', 'ENFILE', 'ENOMEM']);
