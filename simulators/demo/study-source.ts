/** The instances a demo sends: UIDs and the hash of each file's dataset bytes (after the meta group). */
import { readFile } from 'node:fs/promises';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseFileMeta } from '../../lib/dicom/part10.ts';
import { parseDicomHeader } from '../../lib/dicom/header.ts';
import { sha256Hex } from '../../lib/sha256.ts';

export interface SourceInstance {
  path: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  datasetBytes: number;
  datasetSha256: string;
}

export async function loadStudySource(dir: string): Promise<SourceInstance[]> {
  const out: SourceInstance[] = [];
  for (const path of listFiles(dir)) {
    const bytes = await readFile(path);
    let meta;
    let header;
    try {
      meta = parseFileMeta(bytes);
      header = parseDicomHeader(bytes);
    } catch {
      continue; // not a DICOM Part 10 file: the simulator skips it too
    }
    const dataset = bytes.subarray(meta.datasetOffset);
    out.push({
      path,
      studyInstanceUid: header.studyInstanceUid,
      seriesInstanceUid: header.seriesInstanceUid,
      sopInstanceUid: header.sopInstanceUid,
      transferSyntaxUid: meta.transferSyntaxUid,
      datasetBytes: dataset.length,
      datasetSha256: sha256Hex(dataset),
    });
  }
  return out;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name.endsWith('.md')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}
