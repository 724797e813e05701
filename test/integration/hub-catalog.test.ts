/**
 * The catalog's lowdb adapter (A1/D1 of the test matrix, for the hub's catalog): a writer
 * process killed with SIGKILL at random moments never loses a record it reported durable,
 * and always leaves a parseable live file; closed studies leave the live file for the archive
 * and stay readable, across reopen; concurrent writes coalesce and all land.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LowdbCatalogStore } from '../../hub/catalog/lowdb-store.ts';
import { ArchiveSweep } from '../../hub/catalog/archive-sweep.ts';
import { KeyedMutex } from '../../hub/storage/keyed-mutex.ts';
import { silentLogger } from '../../lib/logger.ts';
import { ManualClock } from '../fakes/manual-clock.ts';
import { record } from './fixtures/hub-catalog-writer.ts';

const WRITER = new URL('./fixtures/hub-catalog-writer.ts', import.meta.url).pathname;

async function runAndKill(dir: string, first: number, killAfterAcks: number): Promise<{ acked: string[]; archived: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, String(first)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked: string[] = [];
  const archived: string[] = [];
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => resolve());
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) {
        const [kind, uid] = l.split(' ');
        if (kind === 'ack') acked.push(uid!);
        if (kind === 'archived') archived.push(uid!);
      }
      if (acked.length + archived.length >= killAfterAcks && child.exitCode === null) child.kill('SIGKILL');
    });
  });
  return { acked, archived };
}

test('kill -9 during catalog writes loses no acknowledged record and leaves a parseable file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'relais-catalog-kill-'));
  try {
    const acked = new Set<string>();
    const archived = new Set<string>();
    for (let round = 0; round < 4; round++) {
      const got = await runAndKill(dir, round * 100_000, 20 + Math.floor(Math.random() * 200));
      got.acked.forEach((u) => acked.add(u));
      got.archived.forEach((u) => archived.add(u));
      JSON.parse(await readFile(join(dir, 'live.json'), 'utf8'));
      const store = await LowdbCatalogStore.open(dir);
      assert.equal(store.rejected, 0, 'no damaged record on disk');
      for (const uid of [...acked, ...archived]) {
        const rec = await store.get(uid);
        assert.ok(rec, `acknowledged study ${uid} lost after kill -9 (round ${round})`);
        const n = Number(uid.split('.').pop());
        assert.equal(rec.bytesReceived, n * 1000);
      }
      const live = new Set((await store.live()).map((s) => s.studyInstanceUid));
      for (const uid of archived) assert.ok(!live.has(uid), 'an archived study is out of the live file');
      await store.close();
    }
    assert.ok(acked.size > 50 && archived.size > 10, `too few writes observed (${acked.size}, ${archived.size})`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('closed studies are archived out of the live file and stay readable after reopen', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'relais-catalog-archive-'));
  try {
    const clock = new ManualClock('2026-11-24T08:00:00Z');
    const store = await LowdbCatalogStore.open(dir);
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.put(record(i + 1))));
    const sweep = new ArchiveSweep({ clock, logger: silentLogger(), catalog: store, studyLocks: new KeyedMutex(), statuses: ['delivered'], afterMs: 3600_000, everyMs: 60_000 });
    assert.equal(await sweep.sweep(), 40, 'the 40 delivered studies are closed (quiet for more than an hour)');
    assert.equal(store.liveCount, 160);
    const liveFile = JSON.parse(await readFile(join(dir, 'live.json'), 'utf8')) as { studies: Record<string, unknown> };
    assert.equal(Object.keys(liveFile.studies).length, 160);
    assert.ok(!('1.2.826.0.1.99.5' in liveFile.studies));
    assert.equal((await store.get('1.2.826.0.1.99.5'))?.status, 'delivered');
    await store.close();

    const reopened = await LowdbCatalogStore.open(dir);
    assert.equal(reopened.liveCount, 160);
    assert.equal((await reopened.get('1.2.826.0.1.99.10'))?.bytesReceived, 10_000);
    assert.equal((await reopened.list()).length, 200, 'QIDO-level listing still sees archived studies');
    const only = await reopened.list({ studyInstanceUids: ['1.2.826.0.1.99.15', '1.2.826.0.1.99.16'] });
    assert.deepEqual(only.map((s) => s.studyInstanceUid).sort(), ['1.2.826.0.1.99.15', '1.2.826.0.1.99.16']);
    // A new upload to an archived study brings it back to the live file.
    await reopened.put({ ...record(15), status: 'receiving', bytesReceived: 1 });
    assert.equal(reopened.liveCount, 161);
    assert.equal((await reopened.get('1.2.826.0.1.99.15'))?.bytesReceived, 1);
    await reopened.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
