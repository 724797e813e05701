/**
 * A forced outage in the middle of a transfer: watches the relay's counters and cuts the link for
 * `durationMs` once half the study's bytes have crossed it towards the hub. Contract: cuts at most
 * once; `cancel()` stops watching; `cutAtMs` tells when (ms after `start`) it cut, if it did.
 */
import type { Testbed } from '../testbed.ts';

export interface MidTransferOutage {
  cancel(): void;
  readonly cutAtMs: number | null;
}

export async function outageAtMidTransfer(bed: Testbed, studyBytes: number, durationMs: number): Promise<MidTransferOutage> {
  const base = (await bed.relay.stats()).up.bytesOut;
  const started = Date.now();
  let cutAtMs: number | null = null;
  let stop = false;
  const watch = async () => {
    while (!stop && cutAtMs === null) {
      const s = await bed.relay.stats().catch(() => null);
      if (s && s.up.bytesOut - base >= studyBytes / 2) {
        await bed.relay.cut(durationMs);
        cutAtMs = Date.now() - started;
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  void watch();
  return {
    cancel: () => { stop = true; },
    get cutAtMs() { return cutAtMs; },
  };
}
