import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { StackLoader, qidoAll, seriesInstances } from './stack-loader.ts';

const SHARED = process.env.RELAIS_TEST_DATA ?? join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'data', 'dicom');
const haveShared = existsSync(join(SHARED, 'syntaxes'));

/** A stand-in for the hub's QIDO-RS: pages of at most `cap`, a 299 Warning only if `warns`. */
function fakeQido(rows: object[], cap: number, warns: boolean): { calls: string[]; restore(): void } {
  const calls: string[] = [];
  const real = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request) => {
    const url = new URL(String(input), 'http://hub');
    calls.push(url.pathname + url.search);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const page = rows.slice(offset, offset + cap);
    const headers: Record<string, string> = { 'content-type': 'application/dicom+json' };
    if (warns && offset + cap < rows.length) headers.warning = '299 relais: "more"';
    return new Response(JSON.stringify(page), { status: 200, headers });
  }) as typeof fetch;
  return { calls, restore: () => (globalThis.fetch = real) };
}

const instance = (n: number) => ({ '00080018': { vr: 'UI', Value: [`1.2.3.${n}`] }, '00200013': { vr: 'IS', Value: [n] } });

test('QIDO pages are followed while the hub warns (299) or fewer than announced came', async () => {
  const rows = Array.from({ length: 230 }, (_, i) => instance(230 - i));
  const warned = fakeQido(rows, 100, true);
  try {
    assert.equal((await qidoAll('/dicomweb/studies')).length, 230);
    assert.deepEqual(warned.calls, ['/dicomweb/studies', '/dicomweb/studies?offset=100', '/dicomweb/studies?offset=200']);
  } finally {
    warned.restore();
  }
  const silent = fakeQido(rows, 100, false);
  try {
    assert.equal((await qidoAll('/x/instances')).length, 100, 'without a warning or a count: one page');
    const refs = await seriesInstances('1.2', '1.2.3', 230);
    assert.equal(refs.length, 230, 'the series count announced by QIDO is reached');
    assert.deepEqual(refs.slice(0, 3).map((r) => r.number), [1, 2, 3], 'ordered by InstanceNumber');
    assert.equal(refs[0]!.frames, 1);
  } finally {
    silent.restore();
  }
});

test('instances are asked in explicit little endian, then as stored after a 406; compressed ones are reported, native ones decoded', { skip: !haveShared }, async () => {
  const files: Record<string, Buffer> = {
    '1.9.1': readFileSync(join(SHARED, 'syntaxes/pydicom/MR_small_implicit.dcm')),
    '1.9.2': readFileSync(join(SHARED, 'syntaxes/pydicom/MR_small_RLE.dcm')),
  };
  const asked: string[] = [];
  const real = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const accept = (init?.headers as Record<string, string>).accept!;
    const sop = String(input).split('/').pop()!;
    asked.push(`${sop} ${accept}`);
    if (!accept.endsWith('=*')) return new Response('{}', { status: 406 }); // a hub that does not transcode
    return new Response(new Uint8Array(files[sop]!), { status: 200, headers: { 'content-type': 'application/dicom' } });
  }) as typeof fetch;
  try {
    const decoded: number[] = [];
    const failed: string[] = [];
    let last: number[] = [];
    await new Promise<void>((resolve) => {
      const l = new StackLoader('1.2', '1.2.3', [{ sop: '1.9.1', number: 1, frames: 1 }, { sop: '1.9.2', number: 2, frames: 1 }], {
        onFrames: (i, frames) => decoded.push(i, frames.length),
        onFailed: (i, reason) => failed.push(`${i}: ${reason}`),
        onProgress: (done, bad, total) => {
          last = [done, bad, total];
          if (done + bad === total) resolve();
        },
      }, 1);
      l.start();
    });
    assert.deepEqual(decoded, [0, 1]);
    assert.deepEqual(failed, ['1: compressed transfer syntax 1.2.840.10008.1.2.5']);
    assert.deepEqual(last, [1, 1, 2]);
    assert.deepEqual(asked, [
      '1.9.1 application/dicom; transfer-syntax=1.2.840.10008.1.2.1',
      '1.9.1 application/dicom; transfer-syntax=*',
      '1.9.2 application/dicom; transfer-syntax=1.2.840.10008.1.2.1',
      '1.9.2 application/dicom; transfer-syntax=*',
    ], 'each instance is asked uncompressed first');
  } finally {
    globalThis.fetch = real;
  }
});
