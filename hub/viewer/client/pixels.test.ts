import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { decodeFrames, storedValues, UnsupportedImage, type PixelModule } from './pixels.ts';
import { parseInstance } from './dicom-instance.ts';

// Shared test data, located as test/data.ts does (unit tests beside the code may not import test/).
const SHARED = process.env.RELAIS_TEST_DATA ?? join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'data', 'dicom');

function mod(over: Partial<PixelModule>): PixelModule {
  return {
    rows: 1, columns: 2, samplesPerPixel: 1, photometric: 'MONOCHROME2', bitsAllocated: 16, bitsStored: 16, highBit: 15,
    pixelRepresentation: 0, planarConfiguration: 0, numberOfFrames: 1, slope: 1, intercept: 0, windows: [], bigEndian: false, ...over,
  };
}

test('stored values are masked to BitsStored and sign-extended (hand-computed words)', () => {
  const le = (...w: number[]) => new Uint8Array(Uint16Array.from(w).buffer);
  assert.deepEqual([...storedValues(le(0xf123, 0x0fff), mod({ bitsStored: 12, highBit: 11 }))], [0x123, 0xfff], 'unsigned 12-bit ignores the top nibble');
  assert.deepEqual([...storedValues(le(0x0fff, 0x0800), mod({ bitsStored: 12, highBit: 11, pixelRepresentation: 1 }))], [-1, -2048], 'signed 12-bit');
  assert.deepEqual([...storedValues(le(0x07ff, 0xf800), mod({ bitsStored: 12, highBit: 11, pixelRepresentation: 1 }))], [2047, -2048]);
  assert.deepEqual([...storedValues(le(0x8000, 0x7fff), mod({ pixelRepresentation: 1 }))], [-32768, 32767], 'signed 16-bit');
  assert.deepEqual([...storedValues(le(0x1230, 0xfff0), mod({ bitsStored: 12, highBit: 15 }))], [0x123, 0xfff], 'HighBit 15 with 12 bits stored');
  assert.deepEqual([...storedValues(Uint8Array.from([0x01, 0x02, 0xff, 0xfe]), mod({ bigEndian: true }))], [258, 65534], 'big endian words');
  assert.deepEqual([...storedValues(Uint8Array.from([200, 0x80]), mod({ bitsAllocated: 8, bitsStored: 8, highBit: 7 }))], [200, 128]);
  assert.deepEqual([...storedValues(Uint8Array.from([200, 0x80]), mod({ bitsAllocated: 8, bitsStored: 8, highBit: 7, pixelRepresentation: 1 }))], [-56, -128]);
});

test('frames carry their range, rescale, VOI and MONOCHROME1; RGB planar and YBR_FULL become interleaved RGB', () => {
  const two = new Uint8Array(Uint16Array.from([5, 9, 7, 3]).buffer);
  const frames = decodeFrames(two, mod({ numberOfFrames: 2, slope: 2, intercept: -1, photometric: 'MONOCHROME1', windows: [{ center: 1, width: 2 }] }));
  assert.equal(frames.length, 2);
  const [a, b] = frames;
  assert.ok(a?.kind === 'grey' && b?.kind === 'grey');
  assert.deepEqual([a.minStored, a.maxStored, b.minStored, b.maxStored], [5, 9, 3, 7]);
  assert.deepEqual([a.slope, a.intercept, a.monochrome1, a.windows], [2, -1, true, [{ center: 1, width: 2 }]]);
  const planar = decodeFrames(Uint8Array.from([1, 2, 3, 4, 5, 6]), mod({ samplesPerPixel: 3, photometric: 'RGB', bitsAllocated: 8, bitsStored: 8, highBit: 7, planarConfiguration: 1 }));
  assert.ok(planar[0]?.kind === 'rgb');
  assert.deepEqual([...planar[0].rgb], [1, 3, 5, 2, 4, 6]);
  const ybr = decodeFrames(Uint8Array.from([128, 128, 128, 76, 85, 255]), mod({ columns: 2, samplesPerPixel: 3, photometric: 'YBR_FULL', bitsAllocated: 8, bitsStored: 8, highBit: 7 }));
  assert.ok(ybr[0]?.kind === 'rgb');
  // (76, 85, 255): R = 76 + 1.402×127 = 254.05, G = 76 − .344136×(−43) − .714136×127 = 0.1, B = 76 + 1.772×(−43) = −0.2
  assert.deepEqual([...ybr[0].rgb], [128, 128, 128, 254, 0, 0]);
  assert.throws(() => decodeFrames(new Uint8Array(4), mod({ photometric: 'PALETTE COLOR' })), UnsupportedImage);
  assert.throws(() => decodeFrames(new Uint8Array(3), mod({})), /3 bytes, 4 expected/);
});

interface DcmjsData {
  DicomMessage: { readFile(b: ArrayBuffer): { meta: Record<string, unknown>; dict: Record<string, unknown> } };
  DicomMetaDictionary: { naturalizeDataset(d: Record<string, unknown>): Record<string, unknown> };
}

function dcmjsPixels(path: string): { meta: Record<string, unknown>; dict: Record<string, unknown>; pixels: ArrayBuffer } {
  const buf = readFileSync(path);
  // dcmjs as an independent reader (the repository's dcmjs.d.ts declares only what the agent uses)
  const data = (dcmjs as unknown as { data: DcmjsData }).data;
  const msg = data.DicomMessage.readFile(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const dict = data.DicomMetaDictionary.naturalizeDataset(msg.dict);
  return { meta: msg.meta, dict, pixels: (dict.PixelData as ArrayBuffer[])[0]! };
}

const shared = (p: string) => join(SHARED, p);
const haveShared = existsSync(shared('syntaxes'));

test('a signed 16-bit CT (WG-04 CT1) decodes to the stored values dcmjs reads, with its rescale', { skip: !haveShared }, () => {
  const path = shared('syntaxes/wg04-ct1-ge/CT1_UNC.dcm');
  const parsed = parseInstance(new Uint8Array(readFileSync(path)));
  const f = parsed.frames[0]!;
  assert.ok(f.kind === 'grey');
  assert.ok(f.samples instanceof Int16Array);
  const ref = dcmjsPixels(path);
  assert.deepEqual(f.samples, new Int16Array(ref.pixels));
  assert.equal(f.slope, Number(ref.dict.RescaleSlope ?? 1));
  assert.equal(f.intercept, Number(ref.dict.RescaleIntercept ?? 0));
});

test('implicit and big-endian copies of one MR image decode to the same values as the explicit LE one', { skip: !haveShared }, () => {
  const read = (n: string) => parseInstance(new Uint8Array(readFileSync(shared(`syntaxes/pydicom/${n}`))));
  const le = read('MR_small.dcm');
  for (const n of ['MR_small_implicit.dcm', 'MR_small_bigendian.dcm']) {
    const other = read(n);
    assert.deepEqual(other.frames[0], le.frames[0], n);
  }
  assert.equal(read('MR_small_bigendian.dcm').transferSyntax, '1.2.840.10008.1.2.2');
  assert.throws(() => read('MR_small_RLE.dcm'), /compressed transfer syntax 1\.2\.840\.10008\.1\.2\.5/);
});

test('the shared CT slice is 12-bit unsigned with its PixelSpacing, and the CR is MONOCHROME1', { skip: !haveShared }, () => {
  const ctDir = shared('ct-philips-ingenuity-phantom');
  const file = join(ctDir, readdirSync(ctDir).filter((n) => !n.endsWith('.md')).sort()[0]!);
  const ct = parseInstance(new Uint8Array(readFileSync(file)));
  const ref = dcmjsPixels(file);
  assert.ok(ct.frames[0]?.kind === 'grey');
  assert.deepEqual(ct.frames[0].samples, new Uint16Array(ref.pixels).map((v) => v & 0xfff));
  assert.deepEqual(ct.module.pixelSpacing, (ref.dict.PixelSpacing as number[]).map(Number));
  const cr = parseInstance(new Uint8Array(readFileSync(shared('cr-fuji-wg04-rg3/RG3_UNC.dcm'))));
  assert.ok(cr.frames[0]?.kind === 'grey' && cr.frames[0].monochrome1);
});


test('RGB files: little and big endian copies agree, the ultrasound RGB equals dcmjs’s bytes, 4:2:2 YBR is refused', { skip: !haveShared }, () => {
  const read = (p: string) => parseInstance(new Uint8Array(readFileSync(shared(p))));
  const le = read('syntaxes/pydicom-data/SC_rgb.dcm');
  assert.equal(le.frames[0]?.kind, 'rgb');
  assert.deepEqual(read('syntaxes/pydicom-data/SC_rgb_expb.dcm').frames, le.frames);
  const us = read('syntaxes/pydicom-data/US1_UNCR.dcm');
  const ref = dcmjsPixels(shared('syntaxes/pydicom-data/US1_UNCR.dcm'));
  assert.ok(us.frames[0]?.kind === 'rgb');
  assert.equal(Number(ref.dict.PlanarConfiguration ?? 0), 0, 'interleaved on disk: decoded bytes are the file’s');
  assert.deepEqual(us.frames[0].rgb, new Uint8Array(ref.pixels));
  assert.throws(() => read('syntaxes/pydicom/SC_ybr_full_422_uncompressed.dcm'), /YBR_FULL_422 is not supported/);
});
