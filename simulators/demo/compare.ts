/**
 * "Identical" for the demo: the dataset the hub returns (after its meta group) has the same
 * bytes as the dataset the modality sent — private tags and character set included.
 */
import { parseFileMeta } from '../../lib/dicom/part10.ts';
import { sha256Hex } from '../../lib/sha256.ts';
import type { SourceInstance } from './study-source.ts';

export function compareInstance(source: SourceInstance, retrieved: Buffer): { identical: boolean; reason?: string } {
  let meta;
  try {
    meta = parseFileMeta(retrieved);
  } catch (err) {
    return { identical: false, reason: `not Part 10: ${(err as Error).message}` };
  }
  const dataset = retrieved.subarray(meta.datasetOffset);
  if (dataset.length !== source.datasetBytes) return { identical: false, reason: `size ${dataset.length} ≠ ${source.datasetBytes}` };
  if (sha256Hex(dataset) !== source.datasetSha256) return { identical: false, reason: 'dataset bytes differ' };
  return { identical: true };
}
