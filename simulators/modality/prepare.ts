/**
 * What the modality simulator sends: the Part 10 files of a folder as they are, or a new study
 * of N slices made from them with fresh Study / Series / SOP Instance UIDs (UIDs rewritten at
 * byte level, every other byte kept: private tags and character set included).
 * Contract: unreadable files are returned in `skipped` with the reason, never thrown; datasets
 * are read from disk only when their request goes on the wire.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, basename } from 'node:path';
import { rawInstanceFromFile, datasetBytesOfFile, type RawInstance } from '../../lib/dicom/raw-scu.ts';
import { readTopLevelUids, rewriteTopLevelUids, UID_TAGS, type ParserTag } from '../../lib/dicom/uid-rewrite.ts';
import { newUid } from '../../lib/dicom/uid.ts';
import { TS } from '../../lib/dicom/transfer-syntax.ts';

export interface PreparedStudy {
  instances: RawInstance[];
  skipped: Array<{ path: string; reason: string }>;
  /** Study Instance UID of a generated study (undefined when files are sent as they are). */
  studyInstanceUid?: string;
}

/** Every regular file under `dir`, recursively, sorted; README/markdown and DICOMDIR left out. */
export function listSourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...listSourceFiles(p));
    else if (st.isFile() && !name.endsWith('.md') && name.toUpperCase() !== 'DICOMDIR') out.push(p);
  }
  return out;
}

export function prepareFiles(paths: readonly string[]): PreparedStudy {
  const instances: RawInstance[] = [];
  const skipped: PreparedStudy['skipped'] = [];
  for (const path of paths) {
    try {
      instances.push(rawInstanceFromFile(path));
    } catch (err) {
      skipped.push({ path, reason: (err as Error).message });
    }
  }
  return { instances, skipped };
}

/** N slices cycling over the source files, in one new study (one new series per source series). */
export function prepareSlices(paths: readonly string[], count: number): PreparedStudy {
  const sources = prepareFiles(paths);
  const usable = sources.instances.filter((i) => i.transferSyntaxUid !== TS.explicitBE && i.transferSyntaxUid !== TS.deflatedLE);
  for (const i of sources.instances) {
    if (!usable.includes(i)) sources.skipped.push({ path: i.label ?? '', reason: `cannot rewrite UIDs in ${i.transferSyntaxUid}` });
  }
  if (usable.length === 0) return { instances: [], skipped: sources.skipped };
  const studyInstanceUid = newUid();
  const seriesMap = new Map<string, string>();
  const seriesOf = new Map<RawInstance, string>();
  for (const src of usable) {
    const uids = readTopLevelUids(datasetBytesOfFile(src.label!), src.transferSyntaxUid, [UID_TAGS.seriesInstanceUid]);
    const original = uids.get(UID_TAGS.seriesInstanceUid) ?? '';
    if (!seriesMap.has(original)) seriesMap.set(original, newUid());
    seriesOf.set(src, seriesMap.get(original)!);
  }
  const instances: RawInstance[] = [];
  for (let n = 0; n < count; n++) {
    const src = usable[n % usable.length]!;
    const sopInstanceUid = newUid();
    const values = new Map<ParserTag, string>([
      [UID_TAGS.studyInstanceUid, studyInstanceUid],
      [UID_TAGS.seriesInstanceUid, seriesOf.get(src)!],
      [UID_TAGS.sopInstanceUid, sopInstanceUid],
    ]);
    instances.push({
      sopClassUid: src.sopClassUid,
      sopInstanceUid,
      transferSyntaxUid: src.transferSyntaxUid,
      label: `${basename(src.label ?? '')}#${n + 1}`,
      loadDataset: () => rewriteTopLevelUids(datasetBytesOfFile(src.label!), src.transferSyntaxUid, values),
    });
  }
  return { instances, skipped: sources.skipped, studyInstanceUid };
}
