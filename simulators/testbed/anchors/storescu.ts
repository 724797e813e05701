/**
 * The DCMTK anchor: `storescu` in the site namespace sends the study to `storescp` in the hub
 * namespace, through the tunnel and the relay, one association, both with TCP_NODELAY=1 (without
 * it Nagle's algorithm alone makes DCMTK many times slower). storescp writes to a scratch folder
 * (no fsync, default 16 KB PDU). Complete = storescu succeeded and every instance is on the hub side.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startProgram } from '../processes.ts';
import { pollUntil } from '../poll.ts';
import type { ToolRun, TransferContext } from './types.ts';

const PORT = 11112;
const HUB_AE = 'RELAIS_HUB';
const SITE_AE = 'RELAIS_SITE';

export async function storescuTransfer({ bed, study, workDir, capMs }: TransferContext): Promise<ToolRun> {
  const env = { ...process.env, TCP_NODELAY: '1' };
  const out = join(workDir, 'storescp');
  await mkdir(out, { recursive: true });
  const scp = startProgram(bed, 'hub', 'storescp', ['-aet', HUB_AE, '-od', out, String(PORT)], env);
  try {
    await pollUntil(
      async () => {
        if (scp.exited) throw new Error(`storescp exited: ${scp.stderr}`);
        return bed.exec('site', 'echoscu', ['-aet', SITE_AE, '-aec', HUB_AE, '-to', '2', bed.hubAddr, String(PORT)], { env }).then(() => true);
      },
      'storescp to answer C-ECHO through the tunnel',
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const t0 = performance.now();
    const scu = startProgram(bed, 'site', 'storescu', ['-aet', SITE_AE, '-aec', HUB_AE, bed.hubAddr, String(PORT), ...study.files], env);
    const timer = setTimeout(() => void scu.stop(), capMs);
    const code = await scu.exitCode(capMs + 30_000);
    const seconds = (performance.now() - t0) / 1000;
    clearTimeout(timer);
    const received = (await readdir(out)).length;
    return {
      seconds,
      // storescp rewrites the meta header: count instances, in the study's own bytes.
      deliveredBytes: Math.round((study.bytes * received) / study.files.length),
      complete: code === 0 && received === study.files.length,
      resentBytes: 0,
      detail: { instancesReceived: received, exitCode: code, ...(code !== 0 ? { stderr: scu.stderr.slice(-500) } : {}) },
    };
  } finally {
    await scp.stop();
  }
}
