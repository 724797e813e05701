/**
 * Relais itself in the test bed: `relais hub` in the hub namespace (listening on the hub's tunnel
 * address), `relais agent` in site 0's namespace (DICOM on 127.0.0.1, uploads to the hub through
 * the tunnel and the relay), DCMTK storescu as the modality (TCP_NODELAY=1, on the site's
 * loopback). Only public interfaces: the programs' command lines, DICOM, and the hub's data
 * directory read as files (instance index lines) to tell what is stored.
 *
 * `relaisTransfer` is the TransferTool of test/bench/transfer.ts: seconds from the first C-STORE
 * to the last instance indexed at the hub; resentBytes from the agent's own counters (logged when
 * it stops).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT, startProgram, type ToolProcess } from '../processes.ts';
import { pollUntil } from '../poll.ts';
import type { Testbed } from '../testbed.ts';
import type { ToolRun, TransferContext } from './types.ts';

const RELAIS = join(REPO_ROOT, 'bin', 'relais.js');
const HUB_PORT = 8080;
const DICOM_PORT = 11112;
const run = promisify(execFile);

export interface RelaisPair {
  hubDir: string;
  agentDir: string;
  hub: ToolProcess;
  agent: ToolProcess;
  startHub(): Promise<ToolProcess>;
  startAgent(): Promise<ToolProcess>;
  /** storescu in the site namespace to the agent, calling AE `callingAe` (urgency rules). */
  send(files: readonly string[], callingAe?: string): Promise<number | null>;
  /** SOP Instance UID → stored versions, read from the hub's instance index. */
  stored(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

export interface RelaisPairOptions {
  agentArgs?: readonly string[];
  /** Calling AE titles whose studies are emergencies. */
  emergencyAes?: readonly string[];
  defaultUrgency?: 'emergency' | 'scheduled' | 'deferred';
}

export async function startRelaisPair(bed: Testbed, workDir: string, o: RelaisPairOptions = {}): Promise<RelaisPair> {
  const hubDir = join(workDir, 'hub');
  const agentDir = join(workDir, 'agent');
  await mkdir(hubDir, { recursive: true });
  await mkdir(agentDir, { recursive: true });
  const { stdout } = await run(process.execPath, [RELAIS, 'provision', 'agent', '--data', hubDir, '--name', 'Bed site']);
  const credFile = join(workDir, 'credential');
  await writeFile(credFile, `${stdout.trim().split('\n').pop()!}\n`, { mode: 0o600 });
  const rules = join(workDir, 'urgency-rules.json');
  await writeFile(rules, JSON.stringify((o.emergencyAes ?? ['EMERGENCY']).map((ae) => ({ urgency: 'emergency', callingAeTitle: ae }))));
  const env = { ...process.env, TCP_NODELAY: '1' };

  const startHub = async () => {
    const hub = startProgram(bed, 'hub', process.execPath, [RELAIS, 'hub', '--data', hubDir, '--port', String(HUB_PORT), '--host', bed.hubAddr, '--log-level', 'warn'], env);
    await hub.nextEvent((e) => e.event === 'text' && /http:\/\//.test(String(e.text)), 60_000);
    return hub;
  };
  const startAgent = async () => {
    const agent = startProgram(
      bed,
      'site',
      process.execPath,
      [
        RELAIS, 'agent', '--data', agentDir, '--hub', `http://${bed.hubAddr}:${HUB_PORT}`, '--credential-file', credFile,
        '--agent-id', 'bed-site', '--dicom-port', String(DICOM_PORT), '--bind', '127.0.0.1', '--accept-any-called-ae', '--no-ui', '--no-worklist',
        '--quiet-seconds', '2', '--heartbeat-seconds', '5', '--retry-base-ms', '500', '--retry-max-ms', '4000', '--hub-timeout-seconds', '20',
        '--min-free-mb', '0', '--urgency-rules', rules, '--default-urgency', o.defaultUrgency ?? 'scheduled', '--log-level', 'info', ...(o.agentArgs ?? []),
      ],
      env,
    );
    await agent.nextEvent((e) => e.msg === 'agent ready', 60_000);
    return agent;
  };
  const pair: RelaisPair = {
    hubDir,
    agentDir,
    hub: await startHub(),
    agent: await startAgent(),
    startHub,
    startAgent,
    async send(files, callingAe = 'CT_SITE') {
      const scu = startProgram(bed, 'site', 'storescu', ['-aet', callingAe, '-aec', 'RELAIS', '127.0.0.1', String(DICOM_PORT), ...files], env);
      return scu.exitCode(600_000);
    },
    async stored() {
      const out = new Map<string, number>();
      const root = join(hubDir, 'studies');
      for (const a of await readdir(root).catch(() => [] as string[])) {
        for (const b of await readdir(join(root, a)).catch(() => [] as string[])) {
          const text = await readFile(join(root, a, b, 'instances.jsonl'), 'utf8').catch(() => '');
          for (const line of text.split('\n')) {
            if (!line.trim()) continue;
            try {
              const e = JSON.parse(line) as { sopInstanceUid?: string };
              if (e.sopInstanceUid) out.set(e.sopInstanceUid, (out.get(e.sopInstanceUid) ?? 0) + 1);
            } catch {
              // a torn last line after kill -9: the hub repairs it at start
            }
          }
        }
      }
      return out;
    },
    async stop() {
      await pair.agent.stop(10_000);
      await pair.hub.stop(10_000);
    },
  };
  return pair;
}

/** The agent's transfer counters, from its log line at stop ("uplink: stopped"). */
export function agentCounters(agent: ToolProcess): Promise<{ sentBytes: number; resentBytes: number } | undefined> {
  return agent.nextEvent((e) => e.msg === 'uplink: stopped', 15_000).then(
    (e) => ({ sentBytes: Number(e.sentBytes), resentBytes: Number(e.resentBytes) }),
    () => undefined,
  );
}

export async function relaisTransfer({ bed, study, workDir, capMs }: TransferContext): Promise<ToolRun> {
  const pair = await startRelaisPair(bed, workDir);
  try {
    const t0 = performance.now();
    // Previews first (issue 4): when does the first series preview land in the hub's data?
    let firstPreviewAt: number | undefined;
    let watching = true;
    const previewWatch = (async () => {
      while (watching && firstPreviewAt === undefined) {
        if (await hasPreview(pair.hubDir)) firstPreviewAt = performance.now();
        else await new Promise((r) => setTimeout(r, 50)); // sampling the hub's disk, not synchronisation
      }
    })();
    const code = await pair.send(study.files);
    const lastAtAgent = performance.now();
    if (code !== 0) throw new Error(`storescu to the agent failed (${code})`);
    let stored = new Map<string, number>();
    const complete = await pollUntil(
      async () => {
        stored = await pair.stored();
        return stored.size >= study.files.length ? true : undefined;
      },
      'every instance at the hub',
      { timeoutMs: capMs, intervalMs: 100 },
    ).then(() => true, () => false);
    const seconds = (performance.now() - t0) / 1000;
    if (firstPreviewAt === undefined) {
      // The study is complete: give a late preview a few more seconds, then stop looking.
      await pollUntil(async () => (firstPreviewAt !== undefined ? true : undefined), 'a preview', { timeoutMs: 15_000, intervalMs: 100 }).catch(() => undefined);
    }
    watching = false;
    await previewWatch;
    const counters = agentCounters(pair.agent);
    await pair.agent.stop(10_000);
    const c = await counters;
    return {
      seconds,
      deliveredBytes: Math.round((study.bytes * stored.size) / study.files.length),
      complete,
      resentBytes: c?.resentBytes ?? null,
      firstPreviewSeconds: firstPreviewAt === undefined ? null : (firstPreviewAt - lastAtAgent) / 1000,
      detail: { instancesStored: stored.size, duplicates: [...stored.values()].filter((n) => n > 1).length, sentBytes: c?.sentBytes ?? null },
    };
  } finally {
    await pair.stop();
  }
}

/** A series preview is stored somewhere under DATA/studies/<ab>/<study>/previews/ (hub/previews/store.ts). */
async function hasPreview(hubDir: string): Promise<boolean> {
  const root = join(hubDir, 'studies');
  for (const a of await readdir(root).catch(() => [] as string[])) {
    for (const b of await readdir(join(root, a)).catch(() => [] as string[])) {
      const names = await readdir(join(root, a, b, 'previews')).catch(() => [] as string[]);
      if (names.some((n) => n.endsWith('.json'))) return true;
    }
  }
  return false;
}
