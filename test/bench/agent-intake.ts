/**
 * `npm run bench -- agent-intake [rounds]`: C-STORE intake throughput of the agent (streamed to
 * the spool, fsync + rename + directory fsync before each response, no hub) beside DCMTK
 * storescp writing the same files (no fsync), both fed by DCMTK storescu (TCP_NODELAY=1) with
 * the shared CT + MR in one association, interleaved, median of `rounds` (default 3).
 * Also the modality simulator (dcmjs-dimse SCU, raw bytes) → agent. One JSON object per line.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_CT, SHARED_MR, REPO_ROOT, listFiles } from '../data.ts';
import { freePort } from '../system/agent-process.ts';
import { waitFor } from '../fakes/wait.ts';
import { prepareFiles } from '../../simulators/modality/prepare.ts';
import { sendStudy } from '../../simulators/modality/run.ts';

const run = promisify(execFile);
const ENV = { ...process.env, TCP_NODELAY: '1' };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function receiver(kind: 'agent' | 'storescp', dir: string, port: number): Promise<ChildProcess> {
  const child =
    kind === 'agent'
      ? spawn(process.execPath, [join(REPO_ROOT, 'bin', 'relais.js'), 'agent', '--data', dir, '--dicom-port', String(port), '--min-free-mb', '0', '--log-level', 'warn'], { stdio: 'ignore' })
      : spawn('storescp', ['-od', dir, String(port)], { env: ENV, stdio: 'ignore' });
  await waitFor(async () => {
    try {
      await run('echoscu', ['-aec', kind === 'agent' ? 'RELAIS' : 'ANY', '127.0.0.1', String(port)], { env: ENV });
      return true;
    } catch {
      return false;
    }
  }, `${kind} listening`);
  return child;
}

export async function main(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 3);
  const files = [...listFiles(SHARED_CT), ...listFiles(SHARED_MR)];
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const times: Record<string, number[]> = { 'storescu→relais-agent': [], 'storescu→storescp': [], 'relais-sim→relais-agent': [] };
  for (let r = 0; r < rounds; r++) {
    for (const name of Object.keys(times)) {
      const dir = mkdtempSync(join(tmpdir(), 'relais-bench-'));
      const port = await freePort();
      const rx = await receiver(name.endsWith('storescp') ? 'storescp' : 'agent', dir, port);
      try {
        const t0 = performance.now();
        if (name.startsWith('storescu')) await run('storescu', ['-aec', name.endsWith('storescp') ? 'ANY' : 'RELAIS', '127.0.0.1', String(port), ...files], { env: ENV });
        else {
          const res = await sendStudy({ host: '127.0.0.1', port, calledAeTitle: 'RELAIS', callingAeTitle: 'BENCH' }, prepareFiles(files));
          if (!res.ok) throw new Error(`simulator failed: ${JSON.stringify(res.totals)}`);
        }
        times[name]!.push((performance.now() - t0) / 1000);
      } finally {
        rx.kill('SIGTERM');
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  for (const [name, ts] of Object.entries(times)) {
    const seconds = median(ts);
    process.stdout.write(
      `${JSON.stringify({ bench: 'agent-intake', path: name, instances: files.length, megabytes: Math.round(bytes / 1e4) / 100, rounds, medianSeconds: Math.round(seconds * 1000) / 1000, instancesPerSecond: Math.round((files.length / seconds) * 10) / 10, MBps: Math.round((bytes / 1e6 / seconds) * 10) / 10, fsync: !name.endsWith('storescp') })}\n`,
    );
  }
}
