/**
 * Interoperability of the agent's compressed files with DCMTK 3.6.7, an independent peer:
 * dcmdjpls / dcmdrle decode our JPEG-LS / RLE output to pixels bit-identical to the modality's;
 * dcmdump reads every element of our files as in the original (private tags included) without
 * warnings; our decoder reads DCMTK's own JPEG-LS bit-exact; our CT brain window matches
 * dcmj2pnm's rendering of the same slice.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';
import { SHARED_CT, SHARED_MR, SHARED_DICOM, SHARED_SYNTAXES, listFiles, hasSharedData } from '../data.ts';
import { loadCodecs, type Codecs, type CodecId } from '../../lib/codec/frame-codecs.ts';
import { locatePixelData } from '../../lib/codec/pixel-data.ts';
import { decodeFrames, toNative } from '../../lib/codec/transcode.ts';
import { compressInstanceWith } from '../../agent/compress/compress-instance.ts';
import { applyWindow, storedSamples, CT_PRESETS } from '../../agent/preview/voi.ts';

const run = promisify(execFile);
const skip = !hasSharedData() && 'shared data not present';
let codecs: Codecs;
let dir: string;
before(async () => {
  codecs = await loadCodecs();
  dir = mkdtempSync(join(tmpdir(), 'relais-compress-dcmtk-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const SAMPLES = () => [
  listFiles(SHARED_CT)[20]!,
  listFiles(SHARED_MR)[17]!,
  join(SHARED_DICOM, 'cr-fuji-wg04-rg3', 'RG3_UNC.dcm'),
  join(SHARED_SYNTAXES, 'wg04-ct1-ge', 'CT1_UNC.dcm'),
  join(SHARED_SYNTAXES, 'pydicom', 'MR_small.dcm'),
  join(SHARED_SYNTAXES, 'pydicom-data', 'emri_small.dcm'),
  join(SHARED_SYNTAXES, 'pydicom-data', 'eCT_Supplemental.dcm'),
  join(SHARED_SYNTAXES, 'pydicom-data', 'SC_rgb.dcm'),
  join(SHARED_SYNTAXES, 'pydicom-data', 'US1_UNCR.dcm'),
  join(SHARED_SYNTAXES, 'siemens-trio-mr-one-image-9-syntaxes', '4.dcm'),
];

function pixels(bytes: Uint8Array): Buffer {
  return Buffer.concat(decodeFrames(locatePixelData(bytes), codecs));
}

/** dcmdump's view of a dataset minus what a transcode may change (TS, group length, pixel items). */
async function dump(path: string): Promise<{ lines: string[]; stderr: string }> {
  const { stdout, stderr } = await run('dcmdump', ['-q', '+L', path], { maxBuffer: 64 << 20 });
  const lines = stdout
    .split('\n')
    .filter((l) => !/^\s*\((0002,0000|0002,0010|7fe0,0010|fffe,e000|fffe,e0dd)\)/.test(l) && !l.startsWith('# Used TransferSyntax'));
  return { lines, stderr };
}

for (const [codec, decoder] of [['jpeg-ls', 'dcmdjpls'], ['rle', 'dcmdrle']] as Array<[CodecId, string]>) {
  test(`DCMTK ${decoder} decodes our ${codec} output to the modality's pixels, and dcmdump sees the same dataset`, { skip }, async () => {
    let checked = 0;
    for (const [i, file] of SAMPLES().entries()) {
      const r = await compressInstanceWith(codecs, file, dir, { codec, outputName: `${codec}-${i}.dcm`, minSaving: 0 });
      if (codec === 'rle' && r.outcome === 'failed' && /rle cannot encode/.test(r.reason)) continue; // RGB: RLE is not used
      assert.equal(r.outcome, 'compressed', `${basename(file)}: ${r.reason}`);
      const decoded = join(dir, `${codec}-${i}.native.dcm`);
      const { stderr } = await run(decoder, [r.path, decoded]);
      assert.equal(stderr.trim(), '', `${decoder} ${basename(file)}: ${stderr}`);
      assert.ok(pixels(readFileSync(decoded)).equals(pixels(readFileSync(file))), `${basename(file)}: DCMTK pixels = original pixels`);
      const [a, b] = await Promise.all([dump(file), dump(r.path)]);
      assert.equal(b.stderr.trim(), '', `dcmdump warns on ${basename(file)}: ${b.stderr}`);
      assert.deepEqual(b.lines, a.lines, `${basename(file)}: every other element as the modality sent it`);
      checked++;
    }
    assert.ok(checked >= 8);
  });
}

test("our decoder reads DCMTK's own JPEG-LS output bit-exact (dcmcjpls)", { skip }, async () => {
  for (const [i, file] of SAMPLES().entries()) {
    if (locatePixelData(readFileSync(file)).transferSyntax.encapsulated) continue; // dcmcjpls reads native input
    const jls = join(dir, `dcmtk-${i}.dcm`);
    await run('dcmcjpls', [file, jls]);
    assert.ok(pixels(toNative(readFileSync(jls), codecs)).equals(pixels(readFileSync(file))), basename(file));
  }
});

test("the CT brain window matches DCMTK's dcmj2pnm rendering of the same slice", { skip }, async () => {
  const file = listFiles(SHARED_CT)[27]!;
  const pgm = join(dir, 'brain.pgm');
  const brain = CT_PRESETS.find((w) => w.name === 'brain')!;
  await run('dcmj2pnm', ['+Ww', String(brain.center), String(brain.width), '+op', file, pgm]);
  const raw = readFileSync(pgm);
  // Binary PGM: "P5\n<w> <h>\n<max>\n" then bytes.
  const header = raw.toString('latin1', 0, 64).match(/^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/)!;
  const theirs = raw.subarray(header[0].length);
  const located = locatePixelData(readFileSync(file));
  const ds = located.dataSet;
  const ours = applyWindow(
    {
      samples: storedSamples(located.frames[0]!, 16, located.image.bitsStored, located.image.pixelRepresentation === 1),
      bitsStored: located.image.bitsStored,
      signed: located.image.pixelRepresentation === 1,
      slope: ds.floatString('x00281053') ?? 1,
      intercept: ds.floatString('x00281052') ?? 0,
      monochrome1: false,
    },
    brain,
  );
  assert.equal(theirs.length, ours.length);
  let maxDiff = 0;
  for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - theirs[i]!));
  assert.ok(maxDiff <= 1, `max difference ${maxDiff} grey levels`);
});
