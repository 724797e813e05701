/**
 * One bulk TCP transfer from a site to the hub through the test bed (tools/tcp-bulk.ts at both
 * ends), for benchmarks and tests. Contract: `tcpBulk` resolves with the sender's seconds (connect
 * to the sink's answer), the bytes the sink received, and whether everything arrived before the cap.
 */
import type { Side, Testbed } from './testbed.ts';
import { startTool, type ToolProcess } from './processes.ts';

export interface BulkResult {
  bytes: number;
  deliveredBytes: number;
  seconds: number;
  complete: boolean;
}

export interface TcpSink {
  port: number;
  tool: ToolProcess;
  stop(): Promise<void>;
}

export async function startTcpSink(bed: Testbed, side: Side = 'hub', port = 0): Promise<TcpSink> {
  const tool = startTool(bed, side, 'tcp-bulk.ts', ['sink', '--host', '0.0.0.0', '--port', String(port)]);
  const ev = await tool.nextEvent((e) => e.event === 'listening');
  return { port: ev.port as number, tool, stop: () => tool.stop() };
}

export async function tcpBulk(bed: Testbed, sink: TcpSink, opts: { bytes: number; capMs?: number; from?: Side; host?: string }): Promise<BulkResult> {
  const args = ['source', '--host', opts.host ?? bed.hubAddr, '--port', String(sink.port), '--bytes', String(opts.bytes)];
  if (opts.capMs !== undefined) args.push('--cap-ms', String(opts.capMs));
  const source = startTool(bed, opts.from ?? 'site', 'tcp-bulk.ts', args);
  const timeout = (opts.capMs ?? 600_000) + 30_000;
  const sent = await source.nextEvent((e) => e.event === 'sent' || e.event === 'error', timeout);
  if (sent.event === 'error') throw new Error(`bulk source: ${String(sent.message)}`);
  const received = await sink.tool.nextEvent((e) => e.event === 'received', 30_000);
  await source.exitCode(10_000).catch(() => source.stop());
  return {
    bytes: opts.bytes,
    deliveredBytes: received.bytes as number,
    seconds: sent.seconds as number,
    complete: sent.complete === true && received.bytes === opts.bytes,
  };
}
