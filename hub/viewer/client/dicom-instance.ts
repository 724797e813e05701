/**
 * One Part 10 instance (as WADO-RS `application/dicom` returns it) to its pixel module and
 * decoded frames, with dicom-parser (runs in the browser and in Node). Native syntaxes only:
 * implicit/explicit little endian and explicit big endian; a compressed or deflated instance
 * is refused with UnsupportedImage naming its transfer syntax (the hub transcodes on request).
 */
import dicomParser, { type DataSet } from 'dicom-parser';
import { decodeFrames, UnsupportedImage, type DecodedFrame, type PixelModule, type Window } from './pixels.ts';

export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const NATIVE = new Set(['1.2.840.10008.1.2', EXPLICIT_LE, '1.2.840.10008.1.2.2']);

export interface ParsedInstance {
  transferSyntax: string;
  module: PixelModule;
  frames: DecodedFrame[];
  /** For the corner overlay: SliceLocation and SliceThickness (mm), InstanceNumber. */
  where: { sliceLocation?: number; sliceThickness?: number; instanceNumber?: number };
}

function numbers(ds: DataSet, tag: string): number[] {
  const out: number[] = [];
  const raw = ds.string(tag);
  if (!raw) return out;
  for (const part of raw.split('\\')) {
    const v = Number.parseFloat(part);
    if (Number.isFinite(v)) out.push(v);
  }
  return out;
}

export function pixelModuleOf(ds: DataSet, transferSyntax: string): PixelModule {
  const centers = numbers(ds, 'x00281050');
  const widths = numbers(ds, 'x00281051');
  const windows: Window[] = centers.map((center, i) => ({ center, width: widths[i] ?? widths[0] ?? 0 })).filter((w) => w.width > 0);
  const spacing = numbers(ds, 'x00280030');
  const imager = numbers(ds, 'x00181164');
  const sp = spacing.length === 2 ? spacing : imager.length === 2 ? imager : undefined;
  const bitsAllocated = ds.uint16('x00280100') ?? 16;
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated;
  const slope = numbers(ds, 'x00281053')[0];
  const m: PixelModule = {
    rows: ds.uint16('x00280010') ?? 0,
    columns: ds.uint16('x00280011') ?? 0,
    samplesPerPixel: ds.uint16('x00280002') ?? 1,
    photometric: (ds.string('x00280004') ?? 'MONOCHROME2').trim(),
    bitsAllocated,
    bitsStored,
    highBit: ds.uint16('x00280102') ?? bitsStored - 1,
    pixelRepresentation: ds.uint16('x00280103') ?? 0,
    planarConfiguration: ds.uint16('x00280006') ?? 0,
    numberOfFrames: ds.intString('x00280008') ?? 1,
    slope: slope === undefined || slope === 0 ? 1 : slope,
    intercept: numbers(ds, 'x00281052')[0] ?? 0,
    windows,
    bigEndian: transferSyntax === '1.2.840.10008.1.2.2',
  };
  if (sp) m.pixelSpacing = [sp[0]!, sp[1]!];
  return m;
}

export function parseInstance(bytes: Uint8Array): ParsedInstance {
  const ds = dicomParser.parseDicom(bytes);
  const transferSyntax = (ds.string('x00020010') ?? '1.2.840.10008.1.2').trim();
  if (!NATIVE.has(transferSyntax)) throw new UnsupportedImage(`compressed transfer syntax ${transferSyntax}`);
  const pixel = ds.elements.x7fe00010;
  if (!pixel) throw new UnsupportedImage('no pixel data');
  if (pixel.encapsulatedPixelData) throw new UnsupportedImage('encapsulated pixel data');
  const module = pixelModuleOf(ds, transferSyntax);
  const data = new Uint8Array(ds.byteArray.buffer, ds.byteArray.byteOffset + pixel.dataOffset, Math.min(pixel.length, ds.byteArray.byteLength - pixel.dataOffset));
  const where: ParsedInstance['where'] = {};
  const loc = numbers(ds, 'x00201041')[0];
  const thick = numbers(ds, 'x00180050')[0];
  const num = numbers(ds, 'x00200013')[0];
  if (loc !== undefined) where.sliceLocation = loc;
  if (thick !== undefined) where.sliceThickness = thick;
  if (num !== undefined) where.instanceNumber = num;
  return { transferSyntax, module, frames: decodeFrames(data, module), where };
}
