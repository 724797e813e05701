/**
 * The newcomer's path: `relais demo --once` starts a hub, an agent and the modality simulator
 * as separate processes, sends the shared CT over C-STORE, and exits 0 only when the hub
 * returns every instance identical to what the modality sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, SHARED_CT, listFiles } from '../data.ts';

test('relais demo --once delivers the shared CT to the hub, identical, and says so in its last line', async () => {
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'relais.js'), 'demo', '--once', '--port', '0', '--dicom-port', '0', '--timeout', '240'],
      { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
      (err, out) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout: out }),
    );
  });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  const summary = JSON.parse(last) as { instances: number; identical: boolean; bytesSent: number; bytesReceived: number; seconds: number };
  assert.equal(summary.identical, true, `demo output:\n${stdout}`);
  assert.equal(summary.instances, listFiles(SHARED_CT).length);
  // The agent compressed the CT losslessly (JPEG-LS ≈ 5:1); identical still holds (every element, pixels once decoded).
  assert.ok(summary.bytesReceived * 2.2 <= summary.bytesSent, `the hub holds the compressed study (${summary.bytesReceived} of ${summary.bytesSent} bytes)`);
  assert.equal(code, 0, 'exit code 0 when identical');
});
