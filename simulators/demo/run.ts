/**
 * `relais demo`: a hub, an agent and the modality simulator on this machine, as separate
 * processes talking over their public interfaces (HTTP, DICOM), with the embedded defaults.
 * Seeds a small on-call rota through the hub's API (dispatch.ts), sends a series (the shared
 * CT by default) over real C-STORE, shows it arriving and the case assigned (« assigné à … »).
 * With --once: waits until the hub holds every instance, retrieves each over WADO-RS, compares
 * it with what the modality sent, takes the case in charge as the simulated radiologist,
 * prints a JSON summary as the last stdout line (`assignedTo` added) and returns 0 if every
 * instance is identical, 1 otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { existsSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { sharedCtDir } from '../shared-data.ts';
import { runRelais } from './relais-process.ts';
import { loadStudySource, type SourceInstance } from './study-source.ts';
import { HubClient } from './hub-client.ts';
import { compareInstance } from './compare.ts';
import { loadCodecs } from '../../lib/codec/frame-codecs.ts';
import { texts, type DemoLang } from './texts.ts';
import { DEMO_DISPATCH, seedDemoRota, takeInCharge, waitForAssignment, type DemoAssignment } from './dispatch.ts';

export interface DemoOptions {
  once?: boolean;
  study?: string;
  data?: string;
  port?: string;
  dicomPort?: string;
  lang?: string;
  timeout?: string;
}

const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export async function runDemo(opts: DemoOptions): Promise<number> {
  const lang: DemoLang = opts.lang === 'en' ? 'en' : 'fr';
  const t = texts[lang];
  const studyDir = resolve(opts.study ?? sharedCtDir());
  if (!existsSync(studyDir)) {
    process.stderr.write(`${t.noStudy(studyDir)}\n`);
    return 2;
  }
  const source = await loadStudySource(studyDir);
  if (source.length === 0) {
    process.stderr.write(`${t.emptyStudy(studyDir)}\n`);
    return 2;
  }
  const workDir = opts.data ? resolve(opts.data) : await mkdtemp(join(tmpdir(), 'relais-demo-'));
  const hubDir = join(workDir, 'hub');
  const agentDir = join(workDir, 'agent');
  await mkdir(hubDir, { recursive: true });
  await mkdir(agentDir, { recursive: true });
  const children: ChildProcess[] = [];
  const stop = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  };
  process.once('SIGINT', () => { stop(); process.exit(130); });
  process.once('SIGTERM', () => { stop(); process.exit(143); });
  const started = Date.now();
  let succeeded = false;
  const stopWatching = new AbortController();
  try {
    const httpPort = await choosePort(Number(opts.port ?? 8080));
    const dicomPort = await choosePort(Number(opts.dicomPort ?? 11112));
    const credential = lastLine(await runRelais(['provision', 'agent', '--data', hubDir, '--name', 'Démo — scanner des urgences', '--site', DEMO_DISPATCH.siteId]));
    const token = lastLine(await runRelais(['provision', 'user', '--data', hubDir, '--name', 'operateur', '--role', 'operator', '--display-name', 'Opérateur démo']));
    const adminToken = lastLine(await runRelais(['provision', 'user', '--data', hubDir, '--name', 'admin', '--role', 'admin', '--display-name', 'Administrateur démo']));
    const radiologistToken = lastLine(await runRelais(['provision', 'user', '--data', hubDir, '--name', 'radiologue', '--role', 'radiologist', '--display-name', DEMO_DISPATCH.radiologistName, '--radiologist-id', DEMO_DISPATCH.radiologistId]));
    const hubUrl = `http://127.0.0.1:${httpPort}`;
    children.push(startChild(['hub', '--data', hubDir, '--port', String(httpPort), '--lang', lang], 'hub', workDir));
    const hub = new HubClient(hubUrl, token);
    await hub.waitHealthy(30_000);
    await seedDemoRota(hubUrl, adminToken);
    // The demo's study comes without an exam request: dispatch it as it is (default: hold).
    children.push(
      startChild(
        ['agent', '--data', agentDir, '--hub', hubUrl, '--credential', credential, '--dicom-port', String(dicomPort), '--ae-title', 'RELAIS', '--quiet-seconds', '3', '--unsolicited', 'dispatch'],
        'agent',
        workDir,
      ),
    );
    say(t.started(hubUrl, dicomPort, workDir));
    say(t.logs(join(workDir, 'hub.log'), join(workDir, 'agent.log')));
    say(t.operatorPage(`${hubUrl}/#token=${token}`));
    say(t.dispatchPages(`${hubUrl}/cases#token=${token}`, `${hubUrl}/rota#token=${adminToken}`, `${hubUrl}/my-cases#token=${radiologistToken}`));
    const bytesSent = source.reduce((n, s) => n + s.datasetBytes, 0);
    say(t.sending(source.length, studyDir, bytesSent));
    const sendCode = await runRelais(
      ['sim', 'modality', '--host', '127.0.0.1', '--port', String(dicomPort), '--called-ae', 'RELAIS', '--calling-ae', 'CT_URGENCES', '--study', studyDir],
      { passthrough: false, waitForPort: { host: '127.0.0.1', port: dicomPort, timeoutMs: 30_000 } },
    ).then(() => 0, (err: Error) => { process.stderr.write(`${err.message}\n`); return 1; });
    if (sendCode !== 0) return finish(opts, t, { instances: 0, bytesReceived: 0, bytesSent, seconds: secondsSince(started), identical: false }, 1);
    const studies = [...new Set(source.map((s) => s.studyInstanceUid))];
    const timeoutMs = Number(opts.timeout ?? 600) * 1000;
    // The case opens at the first instance at the hub: show its assignment as soon as it is made.
    const assignment: Promise<DemoAssignment | undefined> = waitForAssignment(hubUrl, token, studies[0]!, timeoutMs, lang, stopWatching.signal).then(
      (a) => {
        say(t.assigned(a.text));
        return a;
      },
      (err: Error) => {
        process.stderr.write(`${t.notAssigned(err.message)}\n`);
        return undefined;
      },
    );
    await hub.waitForInstances(studies, source.length, timeoutMs, (received) => say(t.progress(received, source.length)));
    const assigned = await assignment;
    if (!opts.once) {
      say(t.arrivedKeepRunning(`${hubUrl}/#token=${token}`));
      await new Promise<void>(() => {});
    }
    if (assigned) say(t.takenInCharge(await takeInCharge(hubUrl, radiologistToken, studies[0]!, lang)));
    const result = await verify(hub, source);
    succeeded = result.identical;
    return finish(
      opts, t,
      { instances: result.found, bytesReceived: result.bytesReceived, bytesSent, seconds: secondsSince(started), identical: result.identical, assignedTo: assigned ? DEMO_DISPATCH.radiologistName : null },
      result.identical ? 0 : 1,
    );
  } catch (err) {
    process.stderr.write(`${t.failed((err as Error).message)}\n`);
    return finish(opts, t, { instances: 0, bytesReceived: 0, bytesSent: 0, seconds: secondsSince(started), identical: false }, 1);
  } finally {
    stopWatching.abort();
    stop();
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    // A failed run keeps its directory (logs, spool, hub data) for inspection.
    if (!opts.data && opts.once && succeeded) await rm(workDir, { recursive: true, force: true });
  }
}

interface Summary {
  instances: number;
  bytesReceived: number;
  bytesSent: number;
  seconds: number;
  identical: boolean;
  /** Who the study's case was assigned to (null: not seen). */
  assignedTo?: string | null;
}

function finish(opts: DemoOptions, t: (typeof texts)['fr'], summary: Summary, code: number): number {
  if (opts.once) say(summary.identical ? t.identical(summary.instances) : t.notIdentical);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return code;
}

async function verify(hub: HubClient, source: SourceInstance[]): Promise<{ found: number; bytesReceived: number; identical: boolean }> {
  let found = 0;
  let bytesReceived = 0;
  let identical = true;
  const codecs = await loadCodecs();
  for (const s of source) {
    const got = await hub.retrieveInstance(s.studyInstanceUid, s.seriesInstanceUid, s.sopInstanceUid);
    if (!got) {
      identical = false;
      continue;
    }
    found++;
    bytesReceived += got.length;
    if (!compareInstance(s, got, codecs).identical) identical = false;
  }
  return { found, bytesReceived, identical };
}

/** Starts one program; its structured logs go to <workDir>/<label>.log (the terminal shows progress). */
function startChild(args: string[], label: string, cwd: string): ChildProcess {
  const log = openSync(join(cwd, `${label}.log`), 'a', 0o600);
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'relais.js'), ...args], {
    cwd,
    stdio: ['ignore', 'ignore', log],
    env: { ...process.env },
  });
  closeSync(log);
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') process.stderr.write(`[${label}] exited (${code ?? signal}); see ${join(cwd, `${label}.log`)}\n`);
  });
  return child;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function lastLine(out: string): string {
  const lines = out.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim();
}

function secondsSince(start: number): number {
  return Math.round((Date.now() - start) / 10) / 100;
}

/** The preferred port if free on loopback, else any free port. */
async function choosePort(preferred: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number>((resolvePort, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolvePort(p));
      });
    });
  try {
    return await tryListen(preferred);
  } catch {
    return tryListen(0);
  }
}
