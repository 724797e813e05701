/**
 * `npm run build` produces a single-file agent that runs with plain node from an empty folder
 * (no node_modules, no TypeScript loader): it answers C-ECHO and stops cleanly on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { REPO_ROOT } from '../data.ts';
import { waitFor } from '../fakes/wait.ts';
import { echoScu } from '../../lib/dicom/echo-scu.ts';

test('the bundled agent runs alone: --help, C-ECHO, graceful stop', async () => {
  const built = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'agent', 'build.ts')], { cwd: REPO_ROOT });
  const summary = JSON.parse(built.stdout.trim().split('\n').at(-1)!) as { bundle: string; bytes: number };
  const dir = mkdtempSync(join(tmpdir(), 'relais-bundle-'));
  try {
    const bundle = join(dir, 'relais-agent.cjs');
    copyFileSync(summary.bundle, bundle);
    const help = await promisify(execFile)(process.execPath, [bundle, '--help'], { cwd: dir });
    assert.match(help.stdout, /--dicom-port/);
    assert.match(help.stdout, /--ae-title/);
    const child = spawn(process.execPath, [bundle, '--data', join(dir, 'data'), '--dicom-port', '0', '--ae-title', 'BUNDLE'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const port = await waitFor(() => {
        const line = out.split('\n').find((l) => l.includes('"agent ready"'));
        return line ? (JSON.parse(line) as { dicomPort: number }).dicomPort : undefined;
      }, 'the bundled agent to listen', { timeoutMs: 20_000 });
      assert.equal(await echoScu({ host: '127.0.0.1', port, callingAeTitle: 'TEST', calledAeTitle: 'BUNDLE' }), 0x0000);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
