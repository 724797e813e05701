import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qidoAll, seriesInstances } from './stack-loader.ts';

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
