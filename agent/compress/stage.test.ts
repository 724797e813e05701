/**
 * The compression stage's queueing: what cannot gain goes straight to the uploader; the pool is
 * fed emergencies first (an emergency admitted behind a long scheduled study is compressed next);
 * a failed compression hands on the original record; after stop nothing is handed on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../lib/logger.ts';
import type { InstanceRecord } from '../spool/record.ts';
import type { Compressor } from './pool.ts';
import type { CompressResult } from './compress-instance.ts';
import { CompressStage } from './stage.ts';

function record(n: number, urgency: InstanceRecord['urgency'], ts = '1.2.840.10008.1.2.1'): InstanceRecord {
  return {
    v: 1, id: `abcdefghi-${String(n).padStart(12, '0')}`, sopInstanceUid: `1.2.3.${n}`, sopClassUid: '1.2.840.10008.5.1.4.1.1.2', studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.4',
    transferSyntaxUid: ts, sha256: 'a'.repeat(64), size: 100, receivedAt: new Date(0).toISOString(), callingAeTitle: '', calledAeTitle: '', urgency,
  };
}

function fakePool(): Compressor & { started: string[]; release(outcome?: CompressResult['outcome']): void } {
  const waiting: Array<{ path: string; resolve: (r: CompressResult) => void }> = [];
  const started: string[] = [];
  return {
    size: 1,
    started,
    compressInstance(path) {
      started.push(path);
      return new Promise((resolve) => waiting.push({ path, resolve }));
    },
    release(outcome = 'passthrough') {
      const w = waiting.shift()!;
      w.resolve({ outcome, path: w.path, transferSyntaxUid: '', originalBytes: 100, compressedBytes: 100, reason: 'test' });
    },
    stats: () => ({ compressed: 0, passthrough: 0, failed: 0, verifyMismatches: 0, workerCrashes: 0, timeouts: 0, queued: 0, running: 0, workers: 0, originalBytes: 0, compressedBytes: 0 }),
    close: async () => {},
  };
}

const tick = () => new Promise((r) => setImmediate(r));

test('emergencies are compressed first; what cannot gain goes on at once; failures hand on the original', async () => {
  const pool = fakePool();
  const ready: string[] = [];
  const stage = new CompressStage({ compressor: pool, policy: {}, queueDir: (id) => `/q/${id}`, log: silentLogger(), ready: (r) => ready.push(r.sopInstanceUid) });
  for (let i = 1; i <= 4; i++) stage.submit(record(i, 'scheduled'));
  stage.submit(record(9, 'emergency'));
  stage.submit(record(7, 'scheduled', '1.2.840.10008.1.2.4.50')); // lossy: straight on
  assert.deepEqual(ready, ['1.2.3.7']);
  assert.equal(stage.inFlight, 5);
  // Two are in the pool (size + 1); the emergency is next, ahead of scheduled 3 and 4.
  assert.deepEqual(pool.started.map((p) => p.split('/')[2]), [record(1, 'scheduled').id, record(2, 'scheduled').id]);
  pool.release();
  await tick();
  assert.equal(pool.started.at(-1)!.split('/')[2], record(9, 'emergency').id);
  pool.release('failed');
  await tick();
  assert.deepEqual(ready, ['1.2.3.7', '1.2.3.1', '1.2.3.2']);
  pool.release();
  await tick();
  assert.deepEqual(ready.slice(3), ['1.2.3.9']);
  const stopping = stage.stop();
  pool.release();
  pool.release();
  await stopping;
  await tick();
  assert.equal(ready.length, 4, 'nothing handed on after stop');
});
