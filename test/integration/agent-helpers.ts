/**
 * Helpers for agent integration tests: an agent started in this process on a temp data
 * directory with a recording hub sink, and byte-level comparisons of what arrived.
 */
import { mkdtempSync, rmSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../lib/logger.ts';
import { parseFileMeta } from '../../lib/dicom/part10.ts';
import { loadAgentConfig } from '../../agent/config.ts';
import { startAgent, type RunningAgent, type AgentPorts } from '../../agent/main.ts';
import { HubSink } from '../fakes/hub-sink.ts';

export interface Harness {
  sink: HubSink;
  agent: RunningAgent;
  dataDir: string;
  restart(extra?: Record<string, unknown>): Promise<RunningAgent>;
  close(): Promise<void>;
}

export const FAST = { quietSeconds: '0.3', retryBaseMs: '20', retryMaxMs: '200', heartbeatSeconds: '0.2', studyRetentionHours: '0.0005', minFreeMb: '0' };

export async function startHarness(extra: Record<string, unknown> = {}, ports: Partial<AgentPorts> = {}): Promise<Harness> {
  const sink = new HubSink();
  await sink.listen();
  const dataDir = mkdtempSync(join(tmpdir(), 'relais-agent-it-'));
  const make = (more: Record<string, unknown>) =>
    startAgent(
      loadAgentConfig({ data: dataDir, hub: sink.url, credential: 'test-credential', dicomPort: '0', agentId: 'it-agent', lang: 'en', ...FAST, ...extra, ...more }, {}),
      { log: silentLogger(), ...ports },
    );
  const h: Harness = {
    sink,
    agent: await make({}),
    dataDir,
    async restart(more = {}) {
      await h.agent.stop();
      h.agent = await make(more);
      return h.agent;
    },
    async close() {
      await h.agent.stop();
      await sink.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}

/** Dataset bytes (everything after the file meta) of a Part 10 buffer or file. */
export function datasetOf(bytesOrPath: Buffer | string): Buffer {
  const bytes = typeof bytesOrPath === 'string' ? readFileSync(bytesOrPath) : bytesOrPath;
  return bytes.subarray(parseFileMeta(bytes).datasetOffset);
}

/** Entries left in a spool state directory. */
export function spoolEntries(dataDir: string, state: 'tmp' | 'queue' | 'sent' | 'quarantine' | 'studies'): string[] {
  const dir = join(dataDir, 'spool', state);
  return existsSync(dir) ? readdirSync(dir) : [];
}
