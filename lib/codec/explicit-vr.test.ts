/**
 * Implicit → Explicit VR LE keeps every value: the converted pydicom MR_small_implicit equals the
 * same image written Explicit VR LE by its producer (MR_small), element by element (dcmjs reads
 * both: tags, VRs and values); malformed datasets throw ExplicitVrError, never crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { SHARED_SYNTAXES, hasSharedData } from '../../test/data.ts';
import { parseFileMeta } from '../dicom/part10.ts';
import { ExplicitVrError, implicitToExplicitDataset } from './explicit-vr.ts';
import { metaWithTransferSyntax } from './splice.ts';

const skip = !hasSharedData() && 'shared data not present';

type Dict = Record<string, unknown>;
function elements(bytes: Buffer): Dict {
  const reader = dcmjs.data as unknown as { DicomMessage: { readFile(b: ArrayBuffer): { dict: Dict } } };
  return reader.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer).dict;
}

test('the implicit MR comes out with the VRs and values of its explicit twin', { skip }, () => {
  const implicit = readFileSync(join(SHARED_SYNTAXES, 'pydicom', 'MR_small_implicit.dcm'));
  const explicit = readFileSync(join(SHARED_SYNTAXES, 'pydicom', 'MR_small.dcm'));
  const offset = parseFileMeta(implicit).datasetOffset;
  const converted = Buffer.concat([metaWithTransferSyntax(implicit, offset, '1.2.840.10008.1.2.1'), implicitToExplicitDataset(implicit.subarray(offset))]);
  assert.equal(parseFileMeta(converted).transferSyntaxUid, '1.2.840.10008.1.2.1');
  const a = elements(converted);
  const b = elements(explicit);
  delete b.FFFCFFFC; // trailing padding of the explicit file only
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  for (const k of Object.keys(b)) assert.deepEqual(a[k], b[k], k);
});

test('malformed implicit datasets throw ExplicitVrError', () => {
  const truncated = Buffer.from([0x10, 0x00, 0x10, 0x00, 0x20, 0x00, 0x00, 0x00, 0x41, 0x42]);
  assert.throws(() => implicitToExplicitDataset(truncated), ExplicitVrError);
  const openSequence = Buffer.from([0x08, 0x00, 0x15, 0x11, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]);
  assert.throws(() => implicitToExplicitDataset(openSequence), ExplicitVrError);
});
