/**
 * Every shared DICOM file through the agent's compressor and back through toNative (what the hub
 * serves): Explicit VR LE sources come back byte for byte; RLE and Deflated sources come back with
 * the same dataset bytes and bit-exact pixels; everything else passes through untouched; malformed
 * files never crash anything.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { SHARED_DICOM, SHARED_SYNTAXES, SHARED_CT, listFiles, hasSharedData } from '../data.ts';
import { loadCodecs, CODEC_IDS, type Codecs } from '../../lib/codec/frame-codecs.ts';
import { locatePixelData } from '../../lib/codec/pixel-data.ts';
import { decodeFrames, toNative, transcodeCandidate, encodeInstance } from '../../lib/codec/transcode.ts';
import { TS } from '../../lib/dicom/transfer-syntax.ts';
import { compressInstanceWith } from '../../agent/compress/compress-instance.ts';

let codecs: Codecs;
let out: string;
before(async () => {
  codecs = await loadCodecs();
  out = mkdtempSync(join(tmpdir(), 'relais-compress-rt-'));
});
after(() => rmSync(out, { recursive: true, force: true }));

const skip = !hasSharedData() && 'shared data not present';

function pixels(bytes: Uint8Array): Buffer {
  return Buffer.concat(decodeFrames(locatePixelData(bytes), codecs));
}

test('every shared file compresses bit-exact or passes through untouched', { skip }, async () => {
  const files = listFiles(SHARED_DICOM);
  const tally = { compressed: 0, passthrough: 0, failed: 0 };
  for (const [i, file] of files.entries()) {
    const name = relative(SHARED_DICOM, file);
    const original = readFileSync(file);
    const r = await compressInstanceWith(codecs, file, out, { outputName: `${i}.dcm` });
    tally[r.outcome]++;
    assert.notEqual(r.outcome, 'failed', `${name}: ${r.reason}`);
    assert.deepEqual(readFileSync(file), original, `${name}: the input is never modified`);
    if (r.outcome === 'passthrough') {
      assert.equal(r.path, file, name);
      continue;
    }
    const compressed = readFileSync(r.path);
    assert.ok(compressed.length < original.length, name);
    assert.equal(locatePixelData(compressed).meta.transferSyntaxUid, r.transferSyntaxUid);
    const source = locatePixelData(original).transferSyntax.uid;
    const back = toNative(compressed, codecs);
    if (source === TS.explicitLE) {
      assert.ok(back.equals(original), `${name}: toNative gives the original bytes back`);
    } else {
      // RLE / Deflated sources: the dataset around Pixel Data is the original's, pixels bit-exact.
      const a = locatePixelData(original);
      const b = locatePixelData(back);
      assert.ok(Buffer.from(a.dataset.subarray(0, a.element.start)).equals(b.dataset.subarray(0, b.element.start)), name);
      assert.ok(Buffer.from(a.dataset.subarray(a.element.end)).equals(b.dataset.subarray(b.element.end)), name);
      assert.ok(pixels(original).equals(pixels(back)), `${name}: pixels bit-exact`);
    }
  }
  // The shared set has 54 CT + 35 MR + CR + many syntaxes: most must really compress.
  assert.ok(tally.compressed >= 100, JSON.stringify(tally));
});

test('what must travel as it is, does: lossy, implicit VR, big endian, already lossless-compressed, YBR_FULL_422', { skip }, async () => {
  const cases: Array<[string, RegExp]> = [
    ['wg04-ct1-ge/CT1_J2KI.dcm', /lossy-source/],
    ['wg04-ct1-ge/CT1_JLSN.dcm', /lossy-source/],
    ['pydicom/SC_rgb_jpeg_dcmtk.dcm', /lossy-source/],
    ['pydicom/MR_small_implicit.dcm', /implicit-vr-source/],
    ['pydicom/MR_small_bigendian.dcm', /big-endian-source/],
    ['wg04-ct1-ge/CT1_JLSL.dcm', /already-compressed/],
    ['pydicom/SC_ybr_full_422_uncompressed.dcm', /unreadable|unsupported/],
  ];
  for (const [rel, reason] of cases) {
    const r = await compressInstanceWith(codecs, join(SHARED_SYNTAXES, rel), out, { outputName: 'x.dcm' });
    assert.equal(r.outcome, 'passthrough', rel);
    assert.match(r.reason, reason, rel);
  }
});

test('every codec round-trips the CT, MR, CR, signed CT, RGB and multiframe files bit-exact', { skip }, () => {
  const files = [
    listFiles(SHARED_CT)[10]!,
    join(SHARED_SYNTAXES, 'wg04-ct1-ge', 'CT1_UNC.dcm'),
    join(SHARED_SYNTAXES, 'pydicom-data', 'emri_small.dcm'),
    join(SHARED_SYNTAXES, 'pydicom-data', 'SC_rgb.dcm'),
    join(SHARED_SYNTAXES, 'pydicom', 'MR_small.dcm'),
    join(SHARED_DICOM, 'cr-fuji-wg04-rg3', 'RG3_UNC.dcm'),
  ];
  for (const file of files) {
    const original = readFileSync(file);
    const c = transcodeCandidate(original, codecs);
    assert.ok(c.ok, file);
    for (const id of CODEC_IDS) {
      if (codecs.cannotEncode(id, { width: 1, height: 1, samplesPerPixel: c.located.image.samplesPerPixel, bitsAllocated: c.located.image.bitsAllocated, bitsStored: c.located.image.bitsStored, signed: false, planarConfiguration: 0, photometricInterpretation: c.located.image.photometricInterpretation })) continue;
      const encoded = encodeInstance(original, c.located, id, codecs);
      assert.ok(toNative(encoded.bytes, codecs).equals(original), `${relative(SHARED_DICOM, file)} via ${id}`);
    }
  }
});

test("third-party lossless files decode to the uncompressed reference's pixels", { skip }, () => {
  const groups: Array<[string, string[]]> = [
    ['wg04-ct1-ge/CT1_UNC.dcm', ['wg04-ct1-ge/CT1_JLSL.dcm', 'wg04-ct1-ge/CT1_J2KR.dcm', 'wg04-ct1-ge/CT1_JPLL.dcm', 'wg04-ct1-ge/CT1_RLE.dcm']],
    ['siemens-trio-mr-one-image-9-syntaxes/1.dcm', ['siemens-trio-mr-one-image-9-syntaxes/4.dcm', 'siemens-trio-mr-one-image-9-syntaxes/5.dcm', 'siemens-trio-mr-one-image-9-syntaxes/7.dcm', 'siemens-trio-mr-one-image-9-syntaxes/8.dcm', 'siemens-trio-mr-one-image-9-syntaxes/9.dcm']],
    ['pydicom-data/emri_small.dcm', ['pydicom-data/emri_small_RLE.dcm', 'pydicom-data/emri_small_jpeg_ls_lossless.dcm', 'pydicom-data/emri_small_jpeg_2k_lossless.dcm']],
    ['pydicom/MR_small.dcm', ['pydicom/MR_small_RLE.dcm', 'pydicom/MR_small_jpeg_ls_lossless.dcm', 'pydicom/MR_small_jp2klossless.dcm']],
  ];
  for (const [ref, others] of groups) {
    const expected = pixels(readFileSync(join(SHARED_SYNTAXES, ref)));
    for (const o of others) {
      const native = toNative(readFileSync(join(SHARED_SYNTAXES, o)), codecs);
      assert.ok(pixels(native).equals(expected), o);
    }
  }
});

test('malformed files never crash the compressor', { skip }, async () => {
  for (const file of listFiles(join(SHARED_DICOM, 'malformed'))) {
    const r = await compressInstanceWith(codecs, file, out, { outputName: 'm.dcm' });
    assert.ok(r.outcome === 'passthrough' || r.outcome === 'compressed', `${file}: ${r.reason}`);
  }
  // Truncated and garbage bytes too.
  const ct = readFileSync(listFiles(SHARED_CT)[0]!);
  const { writeFileSync } = await import('node:fs');
  for (const [n, bytes] of [['trunc', ct.subarray(0, ct.length - 1000)], ['garbage', Buffer.alloc(4096, 0x5a)], ['empty', Buffer.alloc(0)]] as const) {
    const p = join(out, `${n}.in`);
    writeFileSync(p, bytes);
    const r = await compressInstanceWith(codecs, p, out, { outputName: `${n}.out` });
    assert.equal(r.outcome, 'passthrough', `${n}: ${r.reason}`);
  }
});

test('what toNative could not rebuild byte for byte is passed through before any encoding', { skip }, async () => {
  const ct = readFileSync(listFiles(SHARED_CT)[0]!);
  const { writeFileSync } = await import('node:fs');
  const located = locatePixelData(ct);
  // Pixel Data written as OB although 16 bits are allocated.
  const ob = Buffer.from(ct);
  ob.write('OB', located.meta.datasetOffset + located.element.start + 4, 'latin1');
  // Transfer syntax UID padded with a space instead of NUL.
  const spaced = Buffer.from(ct);
  const at = spaced.indexOf('1.2.840.10008.1.2.1\0', 132, 'latin1');
  spaced.write(' ', at + 19, 'latin1');
  for (const [n, bytes] of [['ob', ob], ['spaced', spaced]] as const) {
    const p = join(out, `${n}.in`);
    writeFileSync(p, bytes);
    const r = await compressInstanceWith(codecs, p, out, { outputName: `${n}.out` });
    assert.equal(r.outcome, 'passthrough', n);
    assert.match(r.reason, /not-reversible/, n);
  }
  const big = await compressInstanceWith(codecs, listFiles(SHARED_CT)[0]!, out, { outputName: 'big.out', maxInstanceBytes: 1000 });
  assert.equal(big.outcome, 'passthrough');
  assert.match(big.reason, /too-large/);
});

test('toNative refuses what it cannot serve faithfully (the hub then serves the stored syntax)', { skip }, () => {
  for (const rel of ['pydicom/MR_small_bigendian.dcm', 'pydicom-data/US1_J2KR.dcm']) {
    assert.throws(() => toNative(readFileSync(join(SHARED_SYNTAXES, rel)), codecs), /byte-preserving|Photometric/, rel);
  }
  // Implicit VR LE gets explicit VRs (lib/codec/explicit-vr.ts), its pixels unchanged.
  const implicit = readFileSync(join(SHARED_SYNTAXES, 'pydicom/MR_small_implicit.dcm'));
  const asExplicit = toNative(implicit, codecs);
  assert.equal(locatePixelData(asExplicit).transferSyntax.uid, TS.explicitLE);
  assert.ok(pixels(asExplicit).equals(pixels(implicit)));
  // Colour RLE and JPEG lossless decode to the uncompressed reference's pixels.
  const ref = pixels(readFileSync(join(SHARED_SYNTAXES, 'pydicom-data', 'SC_rgb.dcm')));
  for (const rel of ['pydicom/SC_rgb_rle.dcm', 'pydicom/SC_rgb_jpeg_gdcm.dcm']) {
    assert.ok(pixels(toNative(readFileSync(join(SHARED_SYNTAXES, rel)), codecs)).equals(ref), rel);
  }
});

test('a Deflated instance is inflated, encoded, and comes back as the Explicit VR LE original', { skip }, async () => {
  const { deflateRawSync } = await import('node:zlib');
  const { writeFileSync } = await import('node:fs');
  const { metaWithTransferSyntax } = await import('../../lib/codec/splice.ts');
  const ct = readFileSync(listFiles(SHARED_CT)[5]!);
  const offset = locatePixelData(ct).meta.datasetOffset;
  const deflated = Buffer.concat([metaWithTransferSyntax(ct, offset, TS.deflatedLE), deflateRawSync(ct.subarray(offset))]);
  const p = join(out, 'deflated.in');
  writeFileSync(p, deflated);
  const r = await compressInstanceWith(codecs, p, out, { outputName: 'deflated.out' });
  assert.equal(r.outcome, 'compressed', r.reason);
  assert.ok(r.compressedBytes < deflated.length);
  assert.ok(toNative(readFileSync(r.path), codecs).equals(ct), 'inflated dataset + native pixels = the Explicit VR LE original');
});
