/**
 * One hub process per data directory: DATA/hub.lock is created exclusively and holds the
 * owner's pid. A lock whose pid is not alive (crash, kill -9) is taken over. This is what
 * makes the catalog's lowdb file single-owner across processes.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../../lib/durable-fs.ts';

export class DataDirLockedError extends Error {
  constructor(readonly pid: number, dir: string) {
    super(`another hub (pid ${pid}) is using ${dir}`);
    this.name = 'DataDirLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function lockDataDir(dir: string): Promise<{ release(): Promise<void> }> {
  const path = join(dir, 'hub.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const h = await open(path, 'wx', 0o600);
      await h.writeFile(`${process.pid}\n`);
      await h.sync();
      await h.close();
      await fsyncDir(dir);
      return { release: () => unlink(path).catch(() => {}) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new DataDirLockedError(pid, dir);
      await unlink(path).catch(() => {});
    }
  }
  throw new Error(`cannot lock ${dir}`);
}
