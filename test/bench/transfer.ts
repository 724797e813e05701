/**
 * `npm run bench -- transfer [--quick] [--runs N] [--profiles a,b] [--tools storescu,http1]
 *                            [--slices 300] [--cc bbr] [--outage-seconds 60] [--cap-seconds S]`
 * Sends the same study from the site to the hub through the same test bed (WireGuard + link
 * relay) with each tool, side by side in one run, interleaved run by run, and prints one JSON
 * line per (profile, tool): bench, profile, tool, study, studyBytes, seconds (median),
 * linkBitsPerSecond, efficiency = studyBytes × 8 / (link rate × seconds), resentBytes, plus
 * firstPreviewSeconds (Relais: the first
 * series preview at the hub, counted from the last instance acknowledged to the modality), plus
 * diagnostics (per-run seconds, TCP retransmissions in the site namespace, relay drops).
 * Tools: `storescu` (DCMTK anchor, TCP_NODELAY=1), `http1` (curl, one stream), and `relais` once
 * `relaisTransfer` below is plugged in. Study: the shared CT (54 slices) or `--slices N` made from
 * it with fresh SOP Instance UIDs. `--outage-seconds` cuts the link when half the study has crossed.
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_CT, hasSharedData } from '../data.ts';
import { startTestbed, type Testbed } from '../../simulators/testbed/testbed.ts';
import { CONGESTION_CONTROLS, type CongestionControl } from '../../simulators/testbed/congestion.ts';
import { namedProfile } from '../../simulators/link/profiles.ts';
import { median, round } from '../../simulators/testbed/stats.ts';
import { pollUntil } from '../../simulators/testbed/poll.ts';
import { makeStudy, studyFromDir } from '../../simulators/testbed/anchors/study.ts';
import { storescuTransfer } from '../../simulators/testbed/anchors/storescu.ts';
import { httpSingleStreamTransfer } from '../../simulators/testbed/anchors/http-single.ts';
import { outageAtMidTransfer } from '../../simulators/testbed/anchors/outage.ts';
import { tcpCounters } from '../../simulators/testbed/anchors/tcp-counters.ts';
import { relaisTransfer as relaisAnchor } from '../../simulators/testbed/anchors/relais.ts';
import type { Study, ToolRun, TransferContext, TransferTool } from '../../simulators/testbed/anchors/types.ts';

/**
 * THE HOOK for Relais's own transfer: a function that, given the test bed (site 0 namespace =
 * the agent's box, hub namespace = the hub, tunnel addresses `bed.siteAddr` / `bed.hubAddr`),
 * starts the hub and the agent in their namespaces, has the agent send `ctx.study` (e.g. by
 * C-STORE from a modality simulator in the site namespace), waits until the hub has it all
 * verified, stops both and returns a ToolRun (seconds from the first byte sent to the last
 * instance verified at the hub; resentBytes from the agent's own counters). Leave it undefined
 * until the transport exists; `--tools relais` then says so.
 */
export const relaisTransfer: TransferTool | undefined = relaisAnchor;

const TOOLS: Record<string, TransferTool | undefined> = {
  storescu: storescuTransfer,
  http1: httpSingleStreamTransfer,
  relais: relaisTransfer,
};

/** Caps per run, well above the baseline's times (storescu island-vsat 54 slices: ~126 s). */
function defaultCapMs(profile: string, studyBytes: number): number {
  const rate = namedProfile(profile).up.rateBitsPerSecond;
  const ideal = (studyBytes * 8) / rate;
  return Math.ceil(Math.max(60, ideal * 4) * 1000);
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      profiles: { type: 'string' },
      tools: { type: 'string', default: 'relais,storescu' },
      slices: { type: 'string' },
      cc: { type: 'string' },
      'outage-seconds': { type: 'string' },
      'cap-seconds': { type: 'string' },
      seed: { type: 'string' },
    },
  });
  if (!hasSharedData()) throw new Error(`shared DICOM data not found at ${SHARED_CT} (set RELAIS_TEST_DATA)`);
  const runs = Number(values.runs ?? 1);
  const profiles = (values.profiles ?? (values.quick ? 'rural-4g' : 'rural-4g,island-vsat')).split(',');
  const toolNames = values.tools.split(',');
  for (const t of toolNames) {
    if (!(t in TOOLS)) throw new Error(`unknown tool ${t} (known: ${Object.keys(TOOLS).join(', ')})`);
    if (!TOOLS[t]) throw new Error(`tool ${t} is not plugged in yet (test/bench/transfer.ts: relaisTransfer)`);
  }
  const cc = values.cc as CongestionControl | undefined;
  if (cc && !CONGESTION_CONTROLS.includes(cc)) throw new Error(`unknown congestion control ${cc}`);
  const outageMs = values['outage-seconds'] ? Number(values['outage-seconds']) * 1000 : 0;

  const scratch = await mkdtemp(join(tmpdir(), 'relais-bench-transfer-'));
  try {
    let study: Study;
    if (values.slices && Number(values.slices) !== 54) {
      const dir = join(scratch, 'study');
      await mkdir(dir);
      study = await makeStudy(SHARED_CT, Number(values.slices), dir);
    } else {
      study = await studyFromDir(SHARED_CT, 'ct-54');
    }
    for (const profileName of profiles) {
      const profile = namedProfile(profileName);
      const capMs = values['cap-seconds'] ? Number(values['cap-seconds']) * 1000 : defaultCapMs(profileName, study.bytes);
      const bed = await startTestbed({
        name: `rbx${randomBytes(3).toString('hex').slice(0, 5)}`,
        profile: profileName,
        ...(cc ? { congestionControl: cc } : {}),
        ...(values.seed ? { seed: Number(values.seed) } : {}),
      });
      try {
        const results = new Map<string, Array<ToolRun & { retransSegs: number; relay: Record<string, number>; cutAtMs: number | null }>>(toolNames.map((t) => [t, []]));
        for (let r = 0; r < runs; r++) {
          for (const toolName of toolNames) {
            results.get(toolName)!.push(await runOnce(bed, TOOLS[toolName]!, { study, capMs, outageMs, scratch }));
          }
        }
        const rate = profile.up.rateBitsPerSecond;
        for (const toolName of toolNames) {
          const rs = results.get(toolName)!;
          const seconds = median(rs.map((x) => x.seconds));
          const resent = rs.map((x) => x.resentBytes).filter((x): x is number => x !== null);
          const line = {
            bench: 'transfer',
            profile: profileName,
            tool: toolName,
            study: study.name,
            instances: study.files.length,
            studyBytes: study.bytes,
            seconds: round(seconds),
            linkBitsPerSecond: rate,
            efficiency: round((study.bytes * 8) / (rate * seconds), 3),
            resentBytes: resent.length ? median(resent) : null,
            firstPreviewSeconds: roundOrNull(medianOrNull(rs.map((x) => x.firstPreviewSeconds ?? null))),
            runs: rs.length,
            complete: rs.filter((x) => x.complete).length,
            runSeconds: rs.map((x) => round(x.seconds)),
            cc: cc ?? 'default',
            outageSeconds: outageMs / 1000,
            cutAtSeconds: rs.map((x) => (x.cutAtMs === null ? null : round(x.cutAtMs / 1000))),
            tcpRetransSegs: median(rs.map((x) => x.retransSegs)),
            relayQueueDrops: median(rs.map((x) => x.relay.queue!)),
            relayLossDrops: median(rs.map((x) => x.relay.loss!)),
            relayOutageDrops: median(rs.map((x) => x.relay.outage!)),
            seed: bed.seed,
          };
          process.stdout.write(`${JSON.stringify(line)}\n`);
        }
      } finally {
        await bed.stop();
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function runOnce(bed: Testbed, tool: TransferTool, o: { study: Study; capMs: number; outageMs: number; scratch: string }) {
  await bed.flushTcpMetrics();
  await pollUntil(async () => (await bed.relay.stats()).up.inFlight === 0, 'an idle link', { timeoutMs: 10_000 });
  const workDir = await mkdtemp(join(o.scratch, 'run-'));
  const tcpBefore = await tcpCounters(bed);
  const before = await bed.relay.stats();
  const outage = o.outageMs > 0 ? await outageAtMidTransfer(bed, o.study.bytes, o.outageMs) : undefined;
  try {
    const ctx: TransferContext = { bed, study: o.study, workDir, capMs: o.capMs };
    const run = await tool(ctx);
    const after = await bed.relay.stats();
    const tcpAfter = await tcpCounters(bed);
    return {
      ...run,
      retransSegs: tcpAfter.retransSegs - tcpBefore.retransSegs,
      relay: {
        queue: after.up.drops.queue - before.up.drops.queue,
        loss: after.up.drops.loss - before.up.drops.loss,
        outage: after.up.drops.outage - before.up.drops.outage,
      },
      cutAtMs: outage?.cutAtMs ?? null,
    };
  } finally {
    outage?.cancel();
    await bed.relay.restore().catch(() => {});
    await rm(workDir, { recursive: true, force: true });
  }
}

function medianOrNull(xs: ReadonlyArray<number | null>): number | null {
  const known = xs.filter((x): x is number => x !== null);
  return known.length ? median(known) : null;
}

function roundOrNull(x: number | null): number | null {
  return x === null ? null : round(x);
}
