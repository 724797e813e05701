/**
 * Where the shared, de-identified DICOM test data lives (../shared/data/dicom beside the
 * repository, or RELAIS_TEST_DATA). Tests and benchmarks read it; nothing writes to it.
 */
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const SHARED_DICOM = process.env.RELAIS_TEST_DATA ?? resolve(repoRoot, '..', 'shared', 'data', 'dicom');
export const SHARED_CT = join(SHARED_DICOM, 'ct-philips-ingenuity-phantom');
export const SHARED_MR = join(SHARED_DICOM, 'mr-siemens-prisma-t1-sag');
export const SHARED_SYNTAXES = join(SHARED_DICOM, 'syntaxes');
export const SHARED_MALFORMED = join(SHARED_DICOM, 'malformed');
export const REPO_ROOT = repoRoot;

export function hasSharedData(): boolean {
  return existsSync(SHARED_CT);
}

/** Every file under `dir` (recursively), sorted, excluding markdown. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else if (!name.endsWith('.md')) out.push(p);
  }
  return out;
}
