/**
 * `npm run bench -- link [--profiles lan,rural-4g,island-vsat,flapping] [--seconds 6]`
 * Fidelity of the link relay through the real tunnel, per profile, one JSON line each:
 * - rate: a paced UDP overload (1.3 × the link rate) from the site to the hub's tunnel address;
 *   the relay's delivered datagram bytes towards the hub over the steady window, vs configured;
 * - delay: ping through the tunnel on an idle link (min/avg/max/mdev) vs configured RTT ± jitter;
 * - loss: what the relay applied during the overload (loss drops / datagrams past the queue);
 * - timer lateness of the relay's delivery (mean, max);
 * - lan only: one bulk TCP stream (BBR), efficiency = payload bits / (rate × seconds).
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { startTestbed } from '../../simulators/testbed/testbed.ts';
import { startTool } from '../../simulators/testbed/processes.ts';
import { startTcpSink, tcpBulk } from '../../simulators/testbed/bulk.ts';
import { namedProfile } from '../../simulators/link/profiles.ts';
import { stationaryLoss } from '../../simulators/link/gilbert-elliott.ts';
import { pollUntil } from '../../simulators/testbed/poll.ts';
import { round } from '../../simulators/testbed/stats.ts';

function parsePing(out: string) {
  const m = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(out);
  const l = /(\d+) packets transmitted, (\d+) received/.exec(out);
  if (!m || !l) throw new Error(`unexpected ping output: ${out}`);
  return { min: Number(m[1]), avg: Number(m[2]), max: Number(m[3]), mdev: Number(m[4]), sent: Number(l[1]), received: Number(l[2]) };
}


export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      profiles: { type: 'string', default: 'lan,rural-4g,island-vsat,flapping' },
      seconds: { type: 'string', default: '8' },
      pings: { type: 'string', default: '40' },
    },
  });
  const seconds = Number(values.seconds);
  for (const name of values.profiles.split(',')) {
    const profile = namedProfile(name);
    const bed = await startTestbed({ name: `rbl${randomBytes(3).toString('hex').slice(0, 5)}`, profile: name });
    try {
      // Delay first, on an idle link.
      const { stdout: pingOut } = await bed.exec('site', 'ping', ['-c', values.pings, '-i', '0.2', '-W', '3', bed.hubAddr]).catch((e) => ({ stdout: String((e as { stdout?: string }).stdout ?? '') }));
      const ping = parsePing(pingOut);

      // Rate and loss: overload at 1.3 × rate; measure the steady window from 1 s to the end.
      const rate = profile.up.rateBitsPerSecond;
      const blast = startTool(bed, 'site', 'udp-blast.ts', ['--host', bed.hubAddr, '--port', '9', '--bits-per-second', String(rate * 1.3), '--seconds', String(seconds)]);
      // The steady window starts once the relay delivers the blast and a queue's worth plus one
      // RTT has passed (the tool's own start-up is not part of it).
      const idle = (await bed.relay.stats()).up.bytesOut;
      await pollUntil(async () => (await bed.relay.stats()).up.bytesOut > idle + 100_000, 'the blast to reach the hub', { timeoutMs: 20_000 });
      const settleMs = profile.up.delayMs + profile.down.delayMs + (profile.up.queueBytes * 8000) / rate + 200;
      await new Promise((r) => setTimeout(r, settleMs));
      const s0 = await bed.relay.stats();
      const t0 = performance.now();
      await blast.nextEvent((e) => e.event === 'done', (seconds + 30) * 1000);
      const s1 = await bed.relay.stats();
      const t1 = performance.now();
      const measured = ((s1.up.bytesOut - s0.up.bytesOut) * 8) / ((t1 - t0) / 1000);
      const up = s1.up;
      const pastQueue = up.datagramsIn - up.drops.queue - up.drops.outage;

      const line: Record<string, unknown> = {
        bench: 'link',
        profile: name,
        rateConfigured: rate,
        rateMeasured: Math.round(measured),
        rateRatio: round(measured / rate, 3),
        // The bottleneck's own rate: loss is applied after it, so delivered = rate × (1 − loss).
        rateRatioBeforeLoss: round(measured / rate / (1 - up.drops.loss / Math.max(1, pastQueue)), 3),
        rttConfiguredMs: profile.up.delayMs + profile.down.delayMs,
        jitterConfiguredMs: profile.up.jitterMs,
        pingMinMs: ping.min,
        pingAvgMs: ping.avg,
        pingMaxMs: ping.max,
        pingMdevMs: ping.mdev,
        pingLoss: round(1 - ping.received / ping.sent, 3),
        lossConfigured: stationaryLoss(profile.up.loss),
        lossApplied: round(up.drops.loss / Math.max(1, pastQueue), 4),
        queueDrops: up.drops.queue,
        timerLateMeanMs: round((s1.up.timerLateMsSum + s1.down.timerLateMsSum) / Math.max(1, s1.up.datagramsOut + s1.down.datagramsOut), 3),
        timerLateMaxMs: round(Math.max(s1.up.timerLateMsMax, s1.down.timerLateMsMax), 2),
        seed: bed.seed,
      };
      if (name === 'lan') {
        const sink = await startTcpSink(bed);
        const bulk = await tcpBulk(bed, sink, { bytes: 100_000_000, capMs: 60_000 });
        await sink.stop();
        line.bulkBytes = bulk.deliveredBytes;
        line.bulkSeconds = round(bulk.seconds);
        line.bulkEfficiency = round((bulk.deliveredBytes * 8) / (rate * bulk.seconds), 3);
      }
      process.stdout.write(`${JSON.stringify(line)}\n`);
    } finally {
      await bed.stop();
    }
  }
}
