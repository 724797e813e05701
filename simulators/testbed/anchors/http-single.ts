/**
 * The plain-HTTP anchor: the study as one tar, sent by `curl -T` (one TCP stream, no
 * `Expect: 100-continue`) from the site namespace to a Node sink in the hub namespace that counts
 * and discards the bytes. The tar adds its headers (≈0.2 %); they are not counted as study bytes.
 */
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import { execFileRunner } from '../../../provisioning/wireguard/command-runner.ts';
import { startProgram, startTool } from '../processes.ts';
import type { ToolRun, TransferContext } from './types.ts';

export async function httpSingleStreamTransfer({ bed, study, workDir, capMs }: TransferContext): Promise<ToolRun> {
  const tar = join(workDir, `${study.name}.tar`);
  await execFileRunner().run('tar', ['-cf', tar, '-C', study.dir, ...study.files.map((f) => f.slice(study.dir.length + 1))]);
  const tarBytes = (await stat(tar)).size;
  const sink = startTool(bed, 'hub', 'http-sink.ts', ['--host', '0.0.0.0', '--port', '0']);
  try {
    const { port } = await sink.nextEvent((e) => e.event === 'listening');
    const t0 = performance.now();
    const curl = startProgram(bed, 'site', 'curl', [
      '-sS', '-T', tar, '-H', 'Expect:', '--max-time', String(Math.ceil(capMs / 1000)), '-o', '/dev/null',
      '-w', '%{http_code} %{size_upload}', `http://${bed.hubAddr}:${String(port)}/${study.name}.tar`,
    ]);
    const code = await curl.exitCode(capMs + 30_000);
    const seconds = (performance.now() - t0) / 1000;
    const req = await sink.nextEvent((e) => e.event === 'request', 10_000).catch(() => ({ bytes: 0 }));
    const received = Number(req.bytes ?? 0);
    const complete = code === 0 && received === tarBytes;
    return {
      seconds,
      deliveredBytes: complete ? study.bytes : Math.round((study.bytes * received) / tarBytes),
      complete,
      resentBytes: 0,
      detail: { tarBytes, exitCode: code },
    };
  } finally {
    await sink.stop();
  }
}
