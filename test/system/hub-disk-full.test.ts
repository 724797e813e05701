/**
 * A full disk at the hub (D5 of the test matrix, hub side): the data directory on a small
 * tmpfs; once space runs out an upload answers 507 RELAIS_STORAGE_FULL (retryable), the hub
 * keeps serving and leaves no temp file behind; when space returns the same upload succeeds.
 * Needs root (mount); skipped otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readdir, rm, writeFile, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_CT, listFiles } from '../data.ts';
import { buildApp } from '../../hub/app.ts';
import { openHubStores } from '../../hub/stores.ts';
import { openDispatch } from '../../hub/dispatch/open-dispatch.ts';
import { createSystemClock } from '../../lib/clock.ts';
import { silentLogger } from '../../lib/logger.ts';
import { prepare, agentHeaders } from '../integration/hub-harness.ts';

const run = promisify(execFile);

test('ENOSPC at the hub → 507 RELAIS_STORAGE_FULL, no crash, no leftovers; success once space returns', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to mount a tmpfs');
  const mnt = await mkdtemp(join(tmpdir(), 'relais-hubfull-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=3m,mode=0700', 'relais-hubfull', mnt]);
  } catch (err) {
    await rm(mnt, { recursive: true, force: true });
    return t.skip(`cannot mount tmpfs: ${(err as Error).message}`);
  }
  try {
    const clock = createSystemClock();
    const stores = await openHubStores(mnt, clock);
    const agent = await stores.identities.issueAgent('Site A');
    const dispatch = await openDispatch(mnt, { clock, logger: silentLogger() });
    const hub = await buildApp({ clock, logger: silentLogger(), ...stores, dispatch });
    const insts = await Promise.all(listFiles(SHARED_CT).slice(0, 2).map(prepare));
    const put = (i: (typeof insts)[number]) =>
      hub.app.inject({
        method: 'PUT', url: `/api/v1/instances/${i.sop}`,
        headers: agentHeaders(agent.credential, { 'content-type': 'application/dicom', 'relais-sha256': i.sha256 }), payload: i.bytes,
      });
    assert.equal((await put(insts[0]!)).statusCode, 201);
    // Leave less room than one instance.
    const fs = await statfs(mnt);
    const filler = join(mnt, 'filler');
    await writeFile(filler, Buffer.alloc(Math.max(0, fs.bavail * fs.bsize - 200 * 1024)));
    const full = await put(insts[1]!);
    assert.equal(full.statusCode, 507, full.body);
    assert.equal(full.json().error.code, 'RELAIS_STORAGE_FULL');
    assert.equal(full.json().error.retryable, true);
    assert.deepEqual(await readdir(join(mnt, 'tmp')), [], 'no partial file left');
    assert.equal((await hub.app.inject({ url: '/api/v1/health' })).statusCode, 200, 'the hub keeps serving');
    await rm(filler);
    const retried = await put(insts[1]!);
    assert.equal(retried.statusCode, 201, retried.body);
    assert.equal((await stores.catalog.get(insts[1]!.study))?.instancesReceived, 2);
    await hub.close();
    await dispatch.engine.stop();
    await stores.close();
  } finally {
    await run('umount', [mnt]).catch(() => {});
    await rm(mnt, { recursive: true, force: true });
  }
});
