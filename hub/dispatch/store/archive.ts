/**
 * Archive of closed cases: one JSON line per case appended to `<dir>/cases-YYYY-MM.jsonl`
 * (month of archiving, UTC), fsynced before the live file forgets them. Append-only: an
 * interrupted append leaves at most one partial last line, which readers skip.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { DispatchCase } from '../../../protocol/dispatch.ts';
import { ensureDir, fsyncDir } from '../../../lib/durable-fs.ts';

export interface CaseArchive {
  append(cases: readonly DispatchCase[], atMs: number): Promise<void>;
}

export function fileCaseArchive(dir: string): CaseArchive {
  return {
    async append(cases, atMs) {
      if (cases.length === 0) return;
      await ensureDir(dir);
      const path = join(dir, `cases-${new Date(atMs).toISOString().slice(0, 7)}.jsonl`);
      const handle = await open(path, 'a', 0o640);
      try {
        await handle.writeFile(cases.map((c) => `${JSON.stringify(c)}\n`).join(''));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fsyncDir(dir);
    },
  };
}

export function memoryCaseArchive(): CaseArchive & { cases: DispatchCase[] } {
  const a = {
    cases: [] as DispatchCase[],
    async append(cases: readonly DispatchCase[]) {
      a.cases.push(...structuredClone(cases as DispatchCase[]));
    },
  };
  return a;
}
