/**
 * Composition root of the agent: the only place real adapters (clock, disk, network) are built
 * and the stages wired together:
 *
 *   DICOM SCP (intake) ──admit──> spool queue/ ──> uploader ──PUT──> hub
 *                                      └──> study assembler ──quiet period──> manifest sender
 *   disk guard (reserve, A700) · heartbeat (every N s) · alerts
 *   tunnel (enrolled boxes: WireGuard up before the first upload, watchdog, key rotation)
 *
 * `startAgent(config, ports)` runs an agent in this process (integration tests use it with real
 * adapters or fakes); `runAgentFromCli` is `relais agent`: config from flags and environment,
 * graceful shutdown on SIGTERM / SIGINT (stop listening, finish admissions in flight, abort
 * uploads — nothing is lost: the spool is the queue).
 */
import { EventEmitter } from 'node:events';
import { statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createSystemClock, type Clock } from '../lib/clock.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import { sha256File } from '../lib/sha256.ts';
import type { Heartbeat, StudyManifest, StudyManifestAck } from '../protocol/index.ts';
import pkg from '../package.json' with { type: 'json' };
import { loadAgentConfig, ConfigError, type AgentConfig } from './config.ts';
import { AlertBook } from './alerts.ts';
import { DiskGuard, type DiskSpace } from './disk-guard.ts';
import { Spool } from './spool/spool.ts';
import type { InstanceRecord } from './spool/record.ts';
import { StudyAssembler } from './assemble/assembler.ts';
import { urgencyDecider } from './assemble/urgency.ts';
import { DicomServer } from './intake/dicom-server.ts';
import { STORE_STATUS } from './intake/status.ts';
import { createHttpHubClient, type HubClient } from './uplink/hub-client.ts';
import { LinkGate } from './uplink/export-queue.ts';
import { Uploader } from './uplink/uploader.ts';
import { ManifestSender } from './uplink/manifest-sender.ts';
import { createTusSender } from './uplink/tus-sender.ts';
import { spoolResumeStore } from './uplink/resume-store.ts';
import { BandwidthBudget } from './uplink/budget.ts';
import { HeartbeatLoop } from './heartbeat/heartbeat.ts';
import { openClinical, type AgentClinical } from './clinical.ts';
import type { ChannelClient } from './inbox/channel-client.ts';
import { AgentTunnel } from './tunnel/tunnel.ts';
import { execFileRunner, type CommandRunner } from '../provisioning/wireguard/command-runner.ts';
import { CompressStage } from './compress/stage.ts';
import { createCompressor, type Compressor } from './compress/pool.ts';
import { recoverCompressions } from './compress/spool-commit.ts';
import type { CompressResult } from './compress/compress-instance.ts';
import type { PreviewSender } from './preview/sender.ts';
import type { Codecs } from '../lib/codec/frame-codecs.ts';

export const AGENT_VERSION: string = pkg.version;

/** Real-world adapters; tests may replace any of them. */
export interface AgentPorts {
  clock: Clock;
  random: () => number;
  log: Logger;
  /** Hub client; built from config.hubUrl when absent. */
  hub: HubClient | undefined;
  statfs: (path: string) => Promise<DiskSpace>;
  /** Message channel client; built from config.hubUrl when absent. */
  channel?: ChannelClient | undefined;
  /** Runs ip / wg / wireguard-go for the tunnel. */
  runner: CommandRunner;
}

export interface AgentEvents {
  admitted: [InstanceRecord];
  refused: [number, string];
  uploaded: [InstanceRecord];
  quarantined: [InstanceRecord];
  manifest: [StudyManifest, StudyManifestAck];
  heartbeat: [Heartbeat];
  /** An instance left the compression stage (compressed, or as received: result says why). */
  compressed: [InstanceRecord, CompressResult | undefined];
  /** A series' preview reached the hub (series UID, render time in ms). */
  preview: [string, number];
}

export interface RunningAgent {
  readonly config: AgentConfig;
  readonly dicomPort: number;
  readonly events: EventEmitter<AgentEvents>;
  readonly alerts: AlertBook;
  /** The clinical loop: requests, worklist, matching, reports, local page. */
  readonly clinical: AgentClinical;
  /** The WireGuard tunnel, when this box enrolled and manages it. */
  readonly tunnel: AgentTunnel | undefined;
  /** Instances waiting for the hub. */
  pendingUploads(): number;
  stop(): Promise<void>;
}

/** The bundled agent (dist/agent/relais-agent.cjs) carries its compression worker and codec wasm beside itself. */
function bundledCompressWorker(): { workerUrl: URL; wasmDir: string } | Record<string, never> {
  const entry = process.argv[1];
  if (!entry?.endsWith('.cjs')) return {};
  const worker = join(dirname(entry), 'compress-worker.cjs');
  return existsSync(worker) ? { workerUrl: pathToFileURL(worker), wasmDir: dirname(entry) } : {};
}

async function realStatfs(path: string): Promise<DiskSpace> {
  const s = await statfs(path);
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
}

export async function startAgent(config: AgentConfig, overrides: Partial<AgentPorts> = {}): Promise<RunningAgent> {
  const clock = overrides.clock ?? createSystemClock();
  const random = overrides.random ?? Math.random;
  const log = overrides.log ?? createLogger({ name: 'relais-agent', level: config.logLevel });
  const statfsPort = overrides.statfs ?? realStatfs;
  const startedAt = clock.now();
  const events = new EventEmitter<AgentEvents>();
  const alerts = new AlertBook(clock, config.lang);

  const spool = new Spool(join(config.dataDir, 'spool'), log);
  // Compression replacements interrupted by a crash: finished or undone before the spool reads its queue.
  const compressRecovery = await recoverCompressions(spool.layout.queue);
  if (compressRecovery.rolledForward + compressRecovery.discarded > 0) log.info(compressRecovery, 'compress: recovery pass done');
  const recovery = await spool.open({ defaultUrgency: config.urgency.default });
  log.info(
    {
      queued: recovery.queued.length,
      studies: recovery.studies.length,
      quarantined: recovery.quarantined,
      removedTemp: recovery.removedTemp,
      completedQuarantines: recovery.completedQuarantines,
      rebuiltSidecars: recovery.rebuiltSidecars,
      quarantinedUnreadable: recovery.quarantinedUnreadable,
    },
    'spool: recovery pass done',
  );
  if (recovery.quarantined > 0) alerts.raise('RELAIS_AGENT_QUARANTINE', String(recovery.quarantined));

  // The tunnel first: the hub's API is reached through it. A failure is not fatal (studies are
  // still received and spooled); the watchdog retries and the alert tells the operator.
  let tunnel: AgentTunnel | undefined;
  if (config.tunnel.manage && config.enrolment) {
    tunnel = new AgentTunnel({
      dataDir: config.dataDir,
      interfaceName: config.tunnel.interfaceName,
      implementation: config.tunnel.implementation,
      enrolment: config.enrolment,
      credential: config.credential ?? '',
      runner: overrides.runner ?? execFileRunner(),
      clock,
      log,
      alerts,
    });
    try {
      await tunnel.up();
    } catch (err) {
      log.error({ err: (err as Error).message }, 'tunnel: could not be brought up (retried by the watchdog)');
      alerts.raise('RELAIS_AGENT_TUNNEL_DOWN', (err as Error).message.slice(0, 200));
    }
    tunnel.watch();
  }

  const hub =
    'hub' in overrides
      ? overrides.hub
      : config.hubUrl !== undefined
        ? createHttpHubClient({
            baseUrl: config.hubUrl,
            credential: config.credential ?? '',
            userAgent: `relais-agent/${AGENT_VERSION}`,
            timeoutMs: config.upload.timeoutMs,
            maxSockets: config.upload.concurrency + 2,
          })
        : undefined;
  if (!hub) alerts.raise('RELAIS_AGENT_NO_HUB');

  const clinical = await openClinical(config, { clock, random, log, alerts, version: AGENT_VERSION, ...('channel' in overrides ? { client: overrides.channel } : {}) });

  const gate = new LinkGate(clock, config.upload.retry, random);
  // Issue 3: resumable uploads over tus (the v1 PUT stays for --upload-transport put), and the
  // link budget of scheduled and deferred work.
  const tusSender =
    hub && !('hub' in overrides) && config.hubUrl !== undefined && config.upload.transport === 'tus'
      ? createTusSender({
          baseUrl: config.hubUrl,
          credential: config.credential ?? '',
          userAgent: `relais-agent/${AGENT_VERSION}`,
          chunkSize: config.upload.chunkBytes,
          timeoutMs: config.upload.timeoutMs,
          maxSockets: config.upload.concurrency + 1,
          clock,
          store: spoolResumeStore((id) => join(spool.layout.queue, id)),
          hub,
        })
      : undefined;
  const budget = config.upload.budget
    ? new BandwidthBudget({ ...config.upload.budget, defaultFraction: 1, utcOffsetMinutes: -new Date(clock.now()).getTimezoneOffset() })
    : undefined;
  // Declared before the assembler, whose callbacks use them once started.
  let manifests: ManifestSender | undefined;
  const assembler = new StudyAssembler({
    clock,
    quietMs: config.quietMs,
    retentionMs: config.studyRetentionMs,
    onComplete: (uid) => manifests?.enqueue(uid),
    onPurgeable: (uid, ids) => {
      spool.purgeStudy(uid, ids).catch((err: Error) => log.error({ err: err.message }, 'spool: could not purge a finished study (done at next start)'));
    },
  });

  const uploader = hub
    ? new Uploader({
        clock,
        random,
        hub,
        policy: config.upload.retry,
        gate,
        concurrency: config.upload.concurrency,
        alerts,
        log,
        dataPath: (id) => spool.queuedDataPath(id),
        hashFile: (path) => sha256File(path),
        sender: tusSender,
        budget,
        commitUploaded: async (record, result) => {
          await spool.markUploaded(record);
          log.info({ spoolId: record.id, hub: result.status, version: result.version }, 'uplink: instance at the hub');
          assembler.markUploaded(record);
          events.emit('uploaded', record);
        },
        quarantine: async (record, reason) => {
          await spool.quarantine(record.id, reason, new Date(clock.now()));
          assembler.markQuarantined(record);
          events.emit('quarantined', record);
        },
      })
    : undefined;
  // Compression stage (issue 4): admitted instances are transcoded off the intake path, then
  // handed to the uploader exactly as intake did before.
  let compressor: Compressor | undefined;
  if (config.pipeline.compress.mode !== 'off') {
    try {
      compressor = createCompressor({ clock, ...(config.pipeline.compress.workers ? { size: config.pipeline.compress.workers } : {}), ...bundledCompressWorker() });
    } catch (err) {
      log.error({ err: (err as Error).message }, 'compress: no worker pool, instances travel as received');
    }
  }
  const mode = config.pipeline.compress.mode;
  const compressStage = new CompressStage({
    compressor,
    policy: { ...(mode !== 'auto' && mode !== 'off' ? { codec: mode } : {}), ...(config.pipeline.compress.linkRateBps ? { linkRateBps: config.pipeline.compress.linkRateBps } : {}) },
    queueDir: (id) => join(spool.layout.queue, id),
    log,
    ready: (record, result) => {
      assembler.markCompressed(record); // the manifest lists the bytes sent
      uploader?.enqueue(record);
      events.emit('compressed', record, result);
    },
  });
  // Previews first (issue 4): rendered per series from the spooled files, sent ahead of the pixels.
  // Loaded lazily: sharp is a native addon the single-file bundle does not carry (previews off there).
  let previews: PreviewSender | undefined;
  if (hub && config.hubUrl && config.pipeline.previews.enabled) {
    try {
      const [{ PreviewSender: Sender }, { loadCodecs }] = await Promise.all([import('./preview/sender.ts'), import('../lib/codec/frame-codecs.ts')]);
      let codecsOnce: Promise<Codecs> | undefined;
      previews = new Sender({
        clock, random, log, hubUrl: config.hubUrl, credential: config.credential ?? '',
        workDir: join(config.dataDir, 'previews'),
        dataPath: (r) => spool.queuedDataPath(r.id),
        codecs: () => (codecsOnce ??= loadCodecs()),
        minInstances: config.pipeline.previews.minInstances,
        waitMs: config.pipeline.previews.waitMs,
        retry: { baseMs: config.upload.retry.baseMs, maxMs: config.upload.retry.maxMs },
        onSent: (p, ms) => events.emit('preview', p.seriesInstanceUid, ms),
      });
    } catch (err) {
      log.error({ err: (err as Error).message }, 'preview: renderer unavailable, previews off');
    }
  }
  if (hub) {
    manifests = new ManifestSender({
      clock,
      random,
      hub,
      policy: config.upload.retry,
      gate,
      alerts,
      log,
      build: (uid) => {
        const m = assembler.buildManifest(uid);
        const match = m ? clinical.matchOf(uid) : undefined;
        return m && match ? { ...m, match } : m;
      },
      answered: (m, outcome, reason) => assembler.manifestAnswered(m, outcome, reason),
      save: (state) => spool.saveManifestState(state),
      onAccepted: (m, ack) => events.emit('manifest', m, ack),
    });
  }

  assembler.restore(recovery.studies, recovery.queued);
  for (const record of recovery.queued) {
    if (compressStage.willCompress(record)) assembler.markCompressing(record);
    compressStage.submit(record);
  }

  const disk = new DiskGuard({
    clock,
    statfs: () => statfsPort(config.dataDir),
    reserveBytes: config.minFreeBytes,
    intervalMs: 5_000,
    alerts,
  });
  await disk.start();

  const urgencyOf = urgencyDecider(config.urgency.rules, config.urgency.default);
  const dicom = new DicomServer(
    {
      port: config.dicom.port,
      ...(config.dicom.host ? { host: config.dicom.host } : {}),
      maxAssociations: config.dicom.maxAssociations,
      idleTimeoutMs: config.dicom.idleTimeoutMs,
      associationTimeoutMs: config.dicom.associationTimeoutMs,
      maxPduLength: config.dicom.maxPduLength,
    },
    {
      aeTitle: config.dicom.aeTitle,
      acceptAnyCalledAe: config.dicom.acceptAnyCalledAe,
      ...(config.dicom.allowedCallingAes ? { allowedCallingAes: new Set(config.dicom.allowedCallingAes) } : {}),
      spool,
      clock,
      maxInstanceBytes: config.dicom.maxInstanceBytes,
      intakeRefusal: () => disk.refusal(),
      admit: { spool, urgencyOf, maxInflatedBytes: Math.min(config.dicom.maxInstanceBytes * 4, 2 ** 31), log, classify: (h) => clinical.classify(h) },
      ...(config.clinical.worklist ? { worklist: (query: Record<string, unknown>) => clinical.worklist(query) } : {}),
      onAdmitted: (record) => {
        alerts.clear('RELAIS_AGENT_INTAKE_FAILING');
        assembler.addQueued(record);
        previews?.observe(record);
        if (compressStage.willCompress(record)) assembler.markCompressing(record);
        compressStage.submit(record);
        void disk.refresh();
        events.emit('admitted', record);
      },
      onRefused: (status, code) => {
        if (status === STORE_STATUS.outOfResources && code !== 'DISK_RESERVE' && code !== 'TOO_LARGE') {
          alerts.raise('RELAIS_AGENT_INTAKE_FAILING', code);
          void disk.refresh();
        }
        events.emit('refused', status, code);
      },
      log,
    },
  );
  const dicomPort = await dicom.listen();

  uploader?.start();
  manifests?.start();
  await clinical.start();
  const heartbeat = hub
    ? new HeartbeatLoop({
        clock,
        intervalMs: config.heartbeatMs,
        hub,
        alerts,
        log,
        backlogAlertMs: config.backlogAlertMs,
        onSent: (hb) => events.emit('heartbeat', hb),
        onAck: (ack) => {
          if (ack.rotateTunnelKey && tunnel && hub) {
            void tunnel.rotate(hub).catch((err: Error) => log.error({ err: err.message }, 'tunnel: key rotation failed'));
          }
        },
        facts: async () => ({
          agentId: config.agentId,
          agentVersion: AGENT_VERSION,
          startedAt,
          now: clock.now(),
          queue: uploader!.stats(),
          quarantined: spool.quarantinedCount,
          lastUploadAt: uploader!.lastUploadAt,
          disk: await disk.refresh(),
          dicom: { aeTitle: config.dicom.aeTitle, port: dicomPort, activeAssociations: dicom.activeAssociations },
          alerts: [],
          ...(tunnel ? { tunnel: await tunnel.state() } : {}),
        }),
      })
    : undefined;
  heartbeat?.start();
  log.info({ dicomPort, aeTitle: config.dicom.aeTitle, hub: config.hubUrl ?? null, agentId: config.agentId, version: AGENT_VERSION, ui: clinical.uiUrl ?? null, worklist: config.clinical.worklist }, 'agent ready');

  let stopping: Promise<void> | undefined;
  return {
    config,
    dicomPort,
    events,
    alerts,
    clinical,
    tunnel,
    pendingUploads: () => (uploader?.pending ?? recovery.queued.length) + compressStage.inFlight,
    stop() {
      stopping ??= (async () => {
        await dicom.close();
        previews?.stop();
        await compressStage.stop();
        await Promise.all([heartbeat?.stop(), uploader?.stop(), manifests?.stop(), clinical.stop(), tunnel?.stop()]);
        assembler.stop();
        disk.stop();
        hub?.close();
        tusSender?.close();
        log.info('agent stopped');
      })();
      return stopping;
    },
  };
}

/** `relais agent`: runs until SIGTERM / SIGINT. Resolves with the process exit code. */
export async function runAgentFromCli(opts: Record<string, unknown>): Promise<number> {
  let config: AgentConfig;
  try {
    config = loadAgentConfig(opts, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`relais agent: ${err.message}\n`);
    process.exitCode = 2;
    return 2;
  }
  const log = createLogger({ name: 'relais-agent', level: config.logLevel });
  let agent: RunningAgent;
  try {
    agent = await startAgent(config, { log });
  } catch (err) {
    log.fatal({ err: (err as Error).message, code: (err as NodeJS.ErrnoException).code }, 'agent could not start');
    process.exitCode = 1;
    return 1;
  }
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, 'agent stopping');
      const force = setTimeout(() => {
        log.error('agent did not stop in time, exiting');
        process.exit(1);
      }, 20_000);
      force.unref();
      agent.stop().then(
        () => {
          process.exitCode = 0;
          resolve(0);
          process.exit(0);
        },
        (err: Error) => {
          log.error({ err: err.message }, 'agent stop failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}
