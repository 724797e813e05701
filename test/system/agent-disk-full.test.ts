/**
 * A real full disk: the agent's data directory is a small tmpfs; with the hub unreachable,
 * DCMTK storescu fills it. C-STORE must answer A700 (out of resources) without crashing,
 * leave nothing half-written, keep answering C-ECHO, and recover when space returns (the hub
 * comes back, acknowledged instances drain, their space is freed, the refused ones are re-sent).
 * Needs root (mount). The tmpfs is unmounted even when the test fails.
 */
import { loadCodecs } from '../../lib/codec/frame-codecs.ts';
import { sameInstance } from '../../lib/codec/identical.ts';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_CT, listFiles } from '../data.ts';
import { HubSink } from '../fakes/hub-sink.ts';
import { waitFor } from '../fakes/wait.ts';
import { parseFileMeta } from '../../lib/dicom/part10.ts';
import { startAgentProcess, storescu, echoscu, killAll } from './agent-process.ts';

const run = promisify(execFile);
after(killAll);

test('a full spool disk answers A700, survives, and recovers when space returns', async (t) => {
  const mountPoint = mkdtempSync(join(tmpdir(), 'relais-agent-tmpfs-'));
  await run('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', mountPoint]);
  const sink = new HubSink();
  await sink.listen();
  sink.setDown(true);
  try {
    const agent = await startAgentProcess([
      '--data', mountPoint, '--hub', sink.url, '--credential', sink.credential, '--dicom-port', '0',
      '--quiet-seconds', '1', '--retry-base-ms', '50', '--retry-max-ms', '300', '--min-free-mb', '0', '--heartbeat-seconds', '1',
    ]);
    const files = listFiles(SHARED_CT); // 54 × 0.53 MB: more than twice the disk
    const first = await storescu(agent.port, files, { noHalt: true });
    const refused = [...first.refused.entries()];
    t.diagnostic(`first pass: ${first.acked.length} stored, ${refused.length} refused (${refused[0]?.[1] ?? '-'})`);
    assert.ok(first.acked.length > 0, 'some instances fit');
    assert.ok(refused.length > 0, 'the disk filled up');
    assert.ok(refused.every(([, why]) => /OutOfResources|A700|Refused/i.test(why)), `refusals are out-of-resources: ${refused.map(([, w]) => w).join(', ')}`);
    assert.equal(agent.child.exitCode, null, 'the agent is still running');
    assert.ok(await echoscu(agent.port), 'C-ECHO still answered on a full disk');
    assert.deepEqual(readdirSync(join(mountPoint, 'spool', 'tmp')), [], 'nothing half-written');
    assert.equal(readdirSync(join(mountPoint, 'spool', 'queue')).length, first.acked.length, 'exactly the acknowledged instances are queued');
    assert.ok(agent.logs.some((l) => l.includes('RELAIS_AGENT_INTAKE_FAILING') || l.includes('ENOSPC')), 'the failure is logged with its cause');

    // Space returns: the hub is reachable again, the queue drains and frees the disk.
    sink.setDown(false);
    await waitFor(() => readdirSync(join(mountPoint, 'spool', 'queue')).length === 0, 'the queue drained', { timeoutMs: 120_000 });
    const rest = files.filter((f) => !first.acked.includes(f));
    const second = await storescu(agent.port, rest, { noHalt: true });
    assert.equal(second.refused.size, 0, second.output.slice(-1500));
    assert.equal(second.acked.length, rest.length);
    await waitFor(() => sink.instances.size === files.length && readdirSync(join(mountPoint, 'spool', 'queue')).length === 0, 'all instances at the hub', { timeoutMs: 120_000 });
    for (const f of files) {
      const bytes = readFileSync(f);
      const meta = parseFileMeta(bytes);
      const at = sink.instances.get(meta.mediaStorageSopInstanceUid)!;
      assert.equal(sameInstance(bytes, at.bytes, await loadCodecs()), null, `${f} identical (elements; pixels once decoded)`);
    }
    agent.child.kill('SIGTERM');
    assert.equal((await agent.exited).code, 0);
  } finally {
    killAll();
    await sink.close();
    await run('umount', ['-l', mountPoint]).catch(() => {});
    rmSync(mountPoint, { recursive: true, force: true });
  }
});
