/**
 * Studies for the transfer harness: a folder of DICOM files as it is, or N slices made from it by
 * cycling its files, each copy with a fresh SOP Instance UID (DCMTK `dcmodify -gin`, which also
 * updates the meta header), as the modality simulator would send them.
 */
import { copyFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileRunner, type CommandRunner } from '../../../provisioning/wireguard/command-runner.ts';
import type { Study } from './types.ts';

async function dicomFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => !n.endsWith('.md') && !n.startsWith('.')).sort();
  const files: string[] = [];
  for (const n of names) if ((await stat(join(dir, n))).isFile()) files.push(join(dir, n));
  return files;
}

async function totalBytes(files: string[]): Promise<number> {
  let total = 0;
  for (const f of files) total += (await stat(f)).size;
  return total;
}

export async function studyFromDir(dir: string, name: string): Promise<Study> {
  const files = await dicomFiles(dir);
  if (files.length === 0) throw new Error(`no DICOM files in ${dir}`);
  return { name, dir, files, bytes: await totalBytes(files) };
}

/** Makes an N-slice study in `outDir` from the files of `sourceDir`, each with a new SOP Instance UID. */
export async function makeStudy(sourceDir: string, slices: number, outDir: string, run: CommandRunner = execFileRunner()): Promise<Study> {
  const source = await dicomFiles(sourceDir);
  const files: string[] = [];
  for (let i = 0; i < slices; i++) {
    const f = join(outDir, `IM${String(i + 1).padStart(5, '0')}.dcm`);
    await copyFile(source[i % source.length]!, f);
    files.push(f);
  }
  for (let i = 0; i < files.length; i += 50) await run.run('dcmodify', ['-q', '-gin', '-nb', ...files.slice(i, i + 50)]);
  return { name: `ct-${slices}`, dir: outDir, files, bytes: await totalBytes(files) };
}
