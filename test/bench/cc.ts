/**
 * `npm run bench -- cc [--quick] [--runs N] [--profiles a,b] [--ccs reno,cubic,bbr]`
 * One bulk TCP transfer (site → hub, through WireGuard and the link relay) per congestion
 * control and profile, interleaved run by run; prints one JSON line per (profile, cc) with the
 * median seconds and efficiency = delivered bytes × 8 / (link rate × seconds). A transfer still
 * running at the cap is stopped (reset) and counted at the bytes that arrived (`complete` false,
 * `projectedSeconds` extrapolated). TCP metrics are not saved and are flushed before each run.
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { startTestbed } from '../../simulators/testbed/testbed.ts';
import { startTcpSink, tcpBulk, type BulkResult } from '../../simulators/testbed/bulk.ts';
import { CONGESTION_CONTROLS, type CongestionControl } from '../../simulators/testbed/congestion.ts';
import { namedProfile } from '../../simulators/link/profiles.ts';
import { median, round } from '../../simulators/testbed/stats.ts';
import { pollUntil } from '../../simulators/testbed/poll.ts';

interface Plan {
  bytes: number;
  capMs: number;
}

/** Sizes so that BBR needs ~7–10 s and a collapsed cubic/reno hits the cap: the bench stays < 10 min. */
const PLANS: Record<string, { full: Plan; quick: Plan }> = {
  'rural-4g': { full: { bytes: 8_000_000, capMs: 30_000 }, quick: { bytes: 4_000_000, capMs: 15_000 } },
  'island-vsat': { full: { bytes: 4_000_000, capMs: 30_000 }, quick: { bytes: 2_000_000, capMs: 15_000 } },
};
const DEFAULT_PLAN = { full: { bytes: 8_000_000, capMs: 30_000 }, quick: { bytes: 4_000_000, capMs: 15_000 } };

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      profiles: { type: 'string', default: 'rural-4g,island-vsat' },
      ccs: { type: 'string', default: CONGESTION_CONTROLS.join(',') },
      seed: { type: 'string' },
    },
  });
  const runs = Number(values.runs ?? (values.quick ? 1 : 3));
  const ccs = values.ccs.split(',') as CongestionControl[];
  for (const cc of ccs) if (!CONGESTION_CONTROLS.includes(cc)) throw new Error(`unknown congestion control ${cc}`);
  for (const profileName of values.profiles.split(',')) {
    const profile = namedProfile(profileName);
    const plan = (PLANS[profileName] ?? DEFAULT_PLAN)[values.quick ? 'quick' : 'full'];
    const bed = await startTestbed({
      name: `rbc${randomBytes(3).toString('hex').slice(0, 5)}`,
      profile: profileName,
      ...(values.seed ? { seed: Number(values.seed) } : {}),
    });
    try {
      const sink = await startTcpSink(bed);
      const results = new Map<CongestionControl, BulkResult[]>(ccs.map((c) => [c, []]));
      for (let r = 0; r < runs; r++) {
        for (const cc of ccs) {
          await bed.setCongestionControl(cc);
          await bed.flushTcpMetrics();
          // Start from an idle link: nothing in flight from the previous run.
          await pollUntil(async () => (await bed.relay.stats()).up.inFlight === 0, 'an idle link', { timeoutMs: 10_000 });
          results.get(cc)!.push(await tcpBulk(bed, sink, plan));
        }
      }
      await sink.stop();
      const rate = profile.up.rateBitsPerSecond;
      for (const cc of ccs) {
        const rs = results.get(cc)!;
        const eff = rs.map((x) => (x.deliveredBytes * 8) / (rate * x.seconds));
        const line = {
          bench: 'cc',
          profile: profileName,
          cc,
          bytes: plan.bytes,
          runs: rs.length,
          seconds: round(median(rs.map((x) => x.seconds))),
          efficiency: round(median(eff), 3),
          complete: rs.filter((x) => x.complete).length,
          projectedSeconds: round(median(rs.map((x) => (x.seconds * x.bytes) / Math.max(1, x.deliveredBytes)))),
          linkBitsPerSecond: rate,
          runSeconds: rs.map((x) => round(x.seconds)),
          runEfficiency: eff.map((e) => round(e, 3)),
          seed: bed.seed,
        };
        process.stdout.write(`${JSON.stringify(line)}\n`);
      }
    } finally {
      await bed.stop();
    }
  }
}
