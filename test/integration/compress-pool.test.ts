/**
 * The compression pool: real worker threads compress a CT series in parallel, never more than
 * the pool size; a worker that crashes or hangs is replaced and its instance resolves as
 * 'failed' (the original travels), while the other instances go on.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_CT, listFiles, hasSharedData } from '../data.ts';
import { createCompressor } from '../../agent/compress/pool.ts';
import { ManualClock } from '../fakes/manual-clock.ts';
import { waitFor } from '../fakes/wait.ts';
import { loadCodecs } from '../../lib/codec/frame-codecs.ts';
import { toNative } from '../../lib/codec/transcode.ts';

const out = mkdtempSync(join(tmpdir(), 'relais-compress-pool-'));
after(() => rmSync(out, { recursive: true, force: true }));
const faulty = new URL('../fakes/faulty-compress-worker.ts', import.meta.url);

test('a bounded pool of real workers compresses a CT series; every output decodes to the original', { skip: !hasSharedData() }, async () => {
  const compressor = createCompressor({ size: 2 });
  try {
    const files = listFiles(SHARED_CT).slice(0, 12);
    const pending = files.map((f) => compressor.compressInstance(f, out, {}));
    assert.ok(compressor.stats().workers <= 2);
    assert.ok(compressor.stats().queued + compressor.stats().running === files.length);
    const results = await Promise.all(pending);
    assert.ok(compressor.stats().workers <= 2);
    const codecs = await loadCodecs();
    for (const [i, r] of results.entries()) {
      assert.equal(r.outcome, 'compressed', r.reason);
      assert.equal(r.codec, 'jpeg-ls');
      assert.ok(toNative(readFileSync(r.path), codecs).equals(readFileSync(files[i]!)));
    }
    const s = compressor.stats();
    assert.equal(s.compressed, files.length);
    assert.ok(s.originalBytes / s.compressedBytes > 2.2, `ratio ${s.originalBytes / s.compressedBytes}`);
  } finally {
    await compressor.close();
  }
});

test('a crashing worker is replaced; its instance fails cleanly and the next ones go on', async () => {
  const compressor = createCompressor({ size: 1, workerUrl: faulty });
  try {
    const [a, b, c] = await Promise.all([
      compressor.compressInstance('/x/ok-1', out),
      compressor.compressInstance('/x/crash', out),
      compressor.compressInstance('/x/ok-2', out),
    ]);
    assert.equal(a.outcome, 'passthrough');
    assert.equal(b.outcome, 'failed');
    assert.match(b.reason, /worker crashed \(exit 3/);
    assert.equal(b.path, '/x/crash', 'the original is what travels');
    assert.equal(c.outcome, 'passthrough');
    assert.equal(compressor.stats().workerCrashes, 1);
  } finally {
    await compressor.close();
  }
});

test('a hung worker is abandoned at the task timeout and replaced', async () => {
  const clock = new ManualClock(0);
  const compressor = createCompressor({ size: 1, workerUrl: faulty, clock, taskTimeoutMs: 60_000 });
  try {
    const hung = compressor.compressInstance('/x/hang', out);
    const next = compressor.compressInstance('/x/ok', out);
    await waitFor(() => compressor.stats().running === 1 && clock.pending > 0, 'the hung task to start');
    clock.advance(60_000);
    const r = await hung;
    assert.equal(r.outcome, 'failed');
    assert.match(r.reason, /timeout/);
    assert.equal((await next).outcome, 'passthrough');
    assert.equal(compressor.stats().timeouts, 1);
  } finally {
    await compressor.close();
  }
});

test('a worker that cannot start fails the waiting instances instead of spinning', async () => {
  const compressor = createCompressor({ size: 1, workerUrl: new URL('file:///nonexistent/worker.js') });
  try {
    const r = await compressor.compressInstance('/x/a', out);
    assert.equal(r.outcome, 'failed');
    assert.match(r.reason, /worker cannot start/);
  } finally {
    await compressor.close();
  }
});
