/**
 * `relais sim modality`: sends a folder of DICOM files (default: the shared CT beside the
 * repository, or $RELAIS_TEST_DATA) or N slices with fresh UIDs to a C-STORE SCP, prints one
 * line per instance and a JSON summary as the last line. Exit code 0 only if all were stored.
 */
import { existsSync } from 'node:fs';
import { formatStatus, isSuccessStatus, isWarningStatus } from '../../lib/dicom/raw-scu.ts';
import { listSourceFiles, prepareFiles, prepareSlices } from './prepare.ts';
import { sendStudy } from './run.ts';
import { sharedCtDir } from '../shared-data.ts';


function int(v: unknown, name: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: integer >= ${min} expected, got "${String(v)}"`);
  return n;
}

export async function runModalityFromCli(opts: Record<string, unknown>): Promise<number> {
  let code: number;
  try {
    const dir = typeof opts.study === 'string' ? opts.study : sharedCtDir();
    if (!existsSync(dir)) throw new Error(`--study: no such folder ${dir}`);
    const files = listSourceFiles(dir);
    const study = opts.slices !== undefined ? prepareSlices(files, int(opts.slices, '--slices', 1)) : prepareFiles(files);
    for (const s of study.skipped) process.stdout.write(`skipped  ${s.path}: ${s.reason}\n`);
    const quiet = opts.quiet === true;
    const result = await sendStudy(
      {
        host: String(opts.host ?? '127.0.0.1'),
        port: int(opts.port, '--port', 1),
        calledAeTitle: String(opts.calledAe ?? 'RELAIS'),
        callingAeTitle: String(opts.callingAe ?? 'MODALITY'),
      },
      study,
      {
        associations: int(opts.associations ?? 1, '--associations', 1),
        onResult: (r) => {
          if (quiet && (isSuccessStatus(r.status) || isWarningStatus(r.status))) return;
          const verdict = isSuccessStatus(r.status) ? 'stored ' : isWarningStatus(r.status) ? 'warning' : 'FAILED ';
          const comment = r.errorComment ? ` (${r.errorComment})` : '';
          process.stdout.write(`${verdict} ${formatStatus(r.status)} ${r.instance.label ?? r.instance.sopInstanceUid}${comment}\n`);
        },
      },
    );
    for (const e of result.errors) process.stderr.write(`relais sim modality: ${e}\n`);
    process.stdout.write(`${JSON.stringify({ ...result.totals, ...(study.studyInstanceUid ? { studyInstanceUid: study.studyInstanceUid } : {}) })}\n`);
    code = result.ok ? 0 : 1;
  } catch (err) {
    process.stderr.write(`relais sim modality: ${(err as Error).message}\n`);
    code = 2;
  }
  process.exitCode = code;
  return code;
}
