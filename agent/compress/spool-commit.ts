/**
 * Replacing a queued instance by its verified compressed file, crash-safe, and the recovery
 * pass that finishes or undoes an interrupted replacement.
 *
 * In queue/<id>/ (beside data.dcm and meta.json):
 *   compressed.dcm   the verified compressed file (written durably by the compressor)
 *   meta.next.json   the sidecar that describes it (new sha256/size/syntax + `original`)
 * Commit order: compressed.dcm durable → meta.next.json durable → rename compressed.dcm over
 * data.dcm (fsync dir) → rename meta.next.json over meta.json (fsync dir).
 * Invariant: at any instant, data.dcm is either the original file (meta.json describes it) or
 * the compressed one (meta.next.json, or meta.json once renamed, describes it); never a mix.
 * `recoverCompressions` (run before the spool's own recovery pass) rolls forward when
 * meta.next.json was written, otherwise drops the leftovers: the original stays and is
 * compressed again.
 */
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, writeFileDurable } from '../../lib/durable-fs.ts';
import { check } from '../../protocol/index.ts';
import { InstanceRecord } from '../spool/record.ts';

export const COMPRESSED_FILE = 'compressed.dcm';
export const NEXT_META_FILE = 'meta.next.json';
const DATA_FILE = 'data.dcm';
const META_FILE = 'meta.json';

export interface CompressedFacts {
  transferSyntaxUid: string;
  sha256: string;
  size: number;
}

/** The sidecar of the compressed file: what changes, plus the original's facts. */
export function compressedRecord(record: InstanceRecord, facts: CompressedFacts): InstanceRecord {
  return {
    ...record,
    transferSyntaxUid: facts.transferSyntaxUid,
    sha256: facts.sha256,
    size: facts.size,
    original: record.original ?? { transferSyntaxUid: record.transferSyntaxUid, sha256: record.sha256, size: record.size },
  };
}

/** Makes `queue/<id>/compressed.dcm` the instance's data.dcm, described by `next`. */
export async function commitCompressed(dir: string, next: InstanceRecord): Promise<void> {
  await writeFileDurable(join(dir, NEXT_META_FILE), JSON.stringify(next));
  await rename(join(dir, COMPRESSED_FILE), join(dir, DATA_FILE));
  await fsyncDir(dir);
  await rename(join(dir, NEXT_META_FILE), join(dir, META_FILE));
  await fsyncDir(dir);
}

/** Removes what an abandoned compression left (the original stays). */
export async function discardCompressed(dir: string): Promise<void> {
  await rm(join(dir, COMPRESSED_FILE), { force: true });
  await rm(join(dir, NEXT_META_FILE), { force: true });
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith(`.${COMPRESSED_FILE}.`) || name.startsWith(`.${NEXT_META_FILE}.`)) await rm(join(dir, name), { force: true });
  }
}

export interface CompressionRecovery {
  rolledForward: number;
  discarded: number;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** Finishes or undoes every interrupted replacement under `queueDir` (missing dir: nothing). */
export async function recoverCompressions(queueDir: string): Promise<CompressionRecovery> {
  const report: CompressionRecovery = { rolledForward: 0, discarded: 0 };
  let ids: string[];
  try {
    ids = await readdir(queueDir);
  } catch {
    return report;
  }
  for (const id of ids) {
    const dir = join(queueDir, id);
    const names = await readdir(dir).catch(() => [] as string[]);
    const hasNext = names.includes(NEXT_META_FILE);
    const hasCompressed = names.includes(COMPRESSED_FILE);
    const leftovers = names.some((n) => n.startsWith(`.${COMPRESSED_FILE}.`) || n.startsWith(`.${NEXT_META_FILE}.`));
    if (!hasNext && !hasCompressed && !leftovers) continue;
    let next: unknown;
    if (hasNext) next = await readFile(join(dir, NEXT_META_FILE), 'utf8').then((s) => JSON.parse(s) as unknown, () => undefined);
    if (hasNext && check(InstanceRecord, next) && next.id === id) {
      if (hasCompressed && (await sizeOf(join(dir, COMPRESSED_FILE))) === next.size) {
        await rename(join(dir, COMPRESSED_FILE), join(dir, DATA_FILE));
        await fsyncDir(dir);
      }
      if ((await sizeOf(join(dir, DATA_FILE))) === next.size) {
        await rename(join(dir, NEXT_META_FILE), join(dir, META_FILE));
        await fsyncDir(dir);
        await discardCompressed(dir);
        report.rolledForward++;
        continue;
      }
    }
    await discardCompressed(dir);
    await fsyncDir(dir);
    report.discarded++;
  }
  return report;
}
