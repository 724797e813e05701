import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonDocument } from './json-document.ts';

const isDoc = (v: unknown): v is { n: number } => typeof (v as { n?: unknown })?.n === 'number';

test('concurrent saves coalesce, the last value wins, no temp file is left; a corrupt file is refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'relais-doc-'));
  try {
    const path = join(dir, 'sub', 'doc.json');
    const doc = new JsonDocument(path, isDoc);
    assert.equal(await doc.load(), null);
    await Promise.all(Array.from({ length: 50 }, (_, i) => doc.save({ n: i })));
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { n: 49 });
    assert.deepEqual(await new JsonDocument(path, isDoc).load(), { n: 49 });
    assert.deepEqual(await readdir(join(dir, 'sub')), ['doc.json']);
    await writeFile(path, '{"n":"nope"}');
    await assert.rejects(new JsonDocument(path, isDoc).load(), /does not match its schema/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
