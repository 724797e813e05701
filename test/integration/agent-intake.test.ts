/**
 * What the agent's C-STORE SCP refuses, and that a refusal never leaves anything behind or
 * takes the SCP down: unparsable datasets (C000), UIDs that disagree with the command (C000),
 * instances above the size cap (association aborted), wrong called AE, too many associations
 * (transient reject), spool disk below its reserve (A700, C-ECHO still answered).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { SHARED_CT, listFiles } from '../data.ts';
import { storeRawInstances, rawInstanceFromFile, type RawInstance } from '../../lib/dicom/raw-scu.ts';
import { echoScu } from '../../lib/dicom/echo-scu.ts';
import { startHarness, spoolEntries } from './agent-helpers.ts';
import { waitFor } from '../fakes/wait.ts';

/** Deadlines for conditions on a shared, loaded 2-core machine (not sleeps: polls end early). */
const SLOW = { timeoutMs: 120_000 };

const CT = listFiles(SHARED_CT);
const target = (port: number, calledAeTitle = 'RELAIS') => ({ host: '127.0.0.1', port, calledAeTitle, callingAeTitle: 'CT_SIM' });

function junk(sop: string, bytes: Buffer): RawInstance {
  return { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: sop, transferSyntaxUid: '1.2.840.10008.1.2.1', loadDataset: () => bytes, label: sop };
}

test('unparsable or inconsistent instances are refused (C000) and nothing is queued', async () => {
  const h = await startHarness();
  try {
    const real = rawInstanceFromFile(CT[0]!);
    const mismatch: RawInstance = { ...real, sopInstanceUid: '1.2.3.4.5.6' };
    const garbage = junk('1.2.3.4.5.7', Buffer.from('this is not a DICOM dataset at all, just text...'));
    const out = await storeRawInstances(target(h.agent.dicomPort), [mismatch, garbage, real]);
    assert.deepEqual(out.results.map((r) => r.status), [0xc000, 0xc000, 0x0000]);
    assert.deepEqual(spoolEntries(h.dataDir, 'tmp'), []);
    await waitFor(() => h.sink.instances.has(real.sopInstanceUid), 'the valid instance at the hub', SLOW);
    assert.equal(h.sink.instances.size, 1, 'only the valid instance was ever uploaded');
    await assert.doesNotReject(async () => assert.equal(await echoScu(target(h.agent.dicomPort)), 0));
  } finally {
    await h.close();
  }
});

test('an instance above the size cap aborts its association and leaves nothing; the next one is fine', async () => {
  const h = await startHarness({ maxInstanceMb: '0.1' });
  try {
    const big = rawInstanceFromFile(CT[0]!); // ≈ 0.5 MB
    const out = await storeRawInstances(target(h.agent.dicomPort), [big]);
    assert.equal(out.results[0]!.status, undefined, 'no success for a capped instance');
    await waitFor(() => spoolEntries(h.dataDir, 'tmp').length === 0, 'the cut instance removed from tmp/', SLOW);
    assert.deepEqual(spoolEntries(h.dataDir, 'queue'), []);
    const small = junk('1.2.3.4.5.9', Buffer.from('still not DICOM'));
    const again = await storeRawInstances(target(h.agent.dicomPort), [small]);
    assert.equal(again.results[0]!.status, 0xc000, 'the SCP is still serving');
  } finally {
    await h.close();
  }
});

test('a wrong called AE title is rejected; associations beyond the cap get a transient reject', async () => {
  const h = await startHarness({ maxAssociations: '1' });
  try {
    const wrong = await storeRawInstances(target(h.agent.dicomPort, 'NOT_ME'), [rawInstanceFromFile(CT[0]!)]);
    assert.deepEqual(wrong.rejected, { result: 1, source: 1, reason: 7 });
    // The first association stores one instance and then lingers; a second one meanwhile is refused.
    const admitted = once(h.agent.events, 'admitted');
    const first = storeRawInstances(target(h.agent.dicomPort), [rawInstanceFromFile(CT[1]!)], { lingerMs: 1_500 });
    await admitted;
    const second = await storeRawInstances(target(h.agent.dicomPort), [rawInstanceFromFile(CT[2]!)]);
    assert.deepEqual(second.rejected, { result: 2, source: 3, reason: 2 });
    assert.equal((await first).results[0]!.status, 0x0000);
    const third = await storeRawInstances(target(h.agent.dicomPort), [rawInstanceFromFile(CT[2]!)]);
    assert.equal(third.results[0]!.status, 0x0000, 'the slot is free again');
  } finally {
    await h.close();
  }
});

test('below the disk reserve new instances get A700 with an alert, C-ECHO still works, and intake resumes', async () => {
  let free = 10 * 1024 * 1024;
  const h = await startHarness({ minFreeMb: '64' }, { statfs: async () => ({ freeBytes: free, totalBytes: 1024 ** 3 }) });
  try {
    const out = await storeRawInstances(target(h.agent.dicomPort), [rawInstanceFromFile(CT[0]!)]);
    assert.equal(out.results[0]!.status, 0xa700);
    assert.ok(h.agent.alerts.has('RELAIS_AGENT_DISK_LOW'));
    assert.equal(await echoScu(target(h.agent.dicomPort)), 0);
    assert.deepEqual(spoolEntries(h.dataDir, 'tmp'), []);
    free = 1024 ** 3;
    const uploaded = once(h.agent.events, 'heartbeat'); // heartbeats refresh the measurement
    await uploaded;
    const again = await storeRawInstances(target(h.agent.dicomPort), [rawInstanceFromFile(CT[0]!)]);
    assert.equal(again.results[0]!.status, 0x0000);
    assert.equal(h.agent.alerts.has('RELAIS_AGENT_DISK_LOW'), false);
  } finally {
    await h.close();
  }
});

test('silent connections are closed after the idle timeout; non-DICOM bytes at once', async () => {
  const h = await startHarness({ idleSeconds: '1' });
  try {
    const { connect } = await import('node:net');
    const silent = connect(h.agent.dicomPort, '127.0.0.1');
    const started = Date.now();
    await once(silent, 'close');
    const idleMs = Date.now() - started;
    assert.ok(idleMs >= 900 && idleMs < 20_000, `closed after ${idleMs} ms`);
    const http = connect(h.agent.dicomPort, '127.0.0.1');
    http.on('connect', () => http.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    http.on('error', () => {});
    await once(http, 'close');
    assert.equal(await echoScu(target(h.agent.dicomPort)), 0, 'the SCP still serves');
  } finally {
    await h.close();
  }
});
