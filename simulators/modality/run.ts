/**
 * The modality simulator: sends prepared instances over C-STORE on N parallel associations
 * (lib/dicom/raw-scu.ts: raw bytes, TCP_NODELAY) and reports each instance's status.
 * Contract: resolves (never rejects) with per-instance results and totals; `ok` is true only
 * when every instance got a success or warning status and no source file was skipped.
 */
import { silenceDimseLog, storeRawInstances, isSuccessStatus, isWarningStatus, type RawInstance, type StoreOutcome } from '../../lib/dicom/raw-scu.ts';
import type { PreparedStudy } from './prepare.ts';

export interface ModalityTarget {
  host: string;
  port: number;
  calledAeTitle: string;
  callingAeTitle: string;
}

export interface ModalityResult {
  ok: boolean;
  results: StoreOutcome[];
  skipped: PreparedStudy['skipped'];
  errors: string[];
  totals: { instances: number; stored: number; failed: number; skipped: number; bytesSent: number; seconds: number; instancesPerSecond: number };
}

export async function sendStudy(
  target: ModalityTarget,
  study: PreparedStudy,
  opts: { associations?: number; onResult?: (r: StoreOutcome) => void; now?: () => number } = {},
): Promise<ModalityResult> {
  silenceDimseLog();
  const now = opts.now ?? (() => performance.now());
  const n = Math.max(1, Math.min(opts.associations ?? 1, study.instances.length || 1));
  const groups: RawInstance[][] = Array.from({ length: n }, () => []);
  study.instances.forEach((inst, i) => groups[i % n]!.push(inst));
  const started = now();
  const outcomes = await Promise.all(
    groups
      .filter((g) => g.length > 0)
      .map((g) =>
        storeRawInstances(
          { host: target.host, port: target.port, callingAeTitle: target.callingAeTitle, calledAeTitle: target.calledAeTitle },
          g,
        ).then((o) => {
          for (const r of o.results) opts.onResult?.(r);
          return o;
        }),
      ),
  );
  const seconds = (now() - started) / 1000;
  const results = outcomes.flatMap((o) => o.results);
  const errors: string[] = [];
  for (const o of outcomes) {
    if (o.rejected) errors.push(`association rejected (result ${o.rejected.result}, source ${o.rejected.source}, reason ${o.rejected.reason})`);
    if (o.error) errors.push(o.error);
  }
  const stored = results.filter((r) => isSuccessStatus(r.status) || isWarningStatus(r.status)).length;
  return {
    ok: stored === results.length && study.skipped.length === 0,
    results,
    skipped: study.skipped,
    errors,
    totals: {
      instances: results.length,
      stored,
      failed: results.length - stored,
      skipped: study.skipped.length,
      bytesSent: outcomes.reduce((s, o) => s + o.bytesSent, 0),
      seconds: Math.round(seconds * 1000) / 1000,
      instancesPerSecond: seconds > 0 ? Math.round((stored / seconds) * 10) / 10 : 0,
    },
  };
}
