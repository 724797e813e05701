/**
 * TCP counters of one test-bed namespace (nstat, absolute values, history untouched): segments
 * sent and retransmitted by every socket of the namespace. Diagnostics beside a transfer's result
 * (a site namespace carries only the transfer under test).
 */
import type { Side, Testbed } from '../testbed.ts';

export interface TcpCounters {
  outSegs: number;
  retransSegs: number;
}

export async function tcpCounters(bed: Testbed, side: Side = 'site'): Promise<TcpCounters> {
  const { stdout } = await bed.exec(side, 'nstat', ['-asz', 'TcpOutSegs', 'TcpRetransSegs']);
  const value = (k: string) => Number(new RegExp(`^${k}\\s+(\\d+)`, 'm').exec(stdout)?.[1] ?? NaN);
  return { outSegs: value('TcpOutSegs'), retransSegs: value('TcpRetransSegs') };
}
