/**
 * The clinical loop on the agent, composed (called by main.ts, which owns the real adapters):
 * the message channel both ways (outbox-messages/, inbox/), the request desk (requests/), the
 * study registry that matches incoming studies to requests at intake (matching/), the
 * worklist answer for the C-FIND SCP (worklist/), report delivery to the site PACS (reports/)
 * and the local page (local-ui/). Everything lives under <data>/clinical and <data>/channel.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import type { DicomHeader } from '../lib/dicom/header.ts';
import type { AgentConfig } from './config.ts';
import type { AlertBook } from './alerts.ts';
import { createChannelClient, type ChannelClient } from './inbox/channel-client.ts';
import { MessageInbox } from './inbox/message-inbox.ts';
import { MessageOutbox } from './outbox-messages/message-outbox.ts';
import { AgentRequestStore } from './requests/request-store.ts';
import { AccessionCounter } from './requests/identifiers.ts';
import { RequestDesk } from './requests/request-desk.ts';
import { StudyRegistry, type Classification } from './matching/study-registry.ts';
import { findWorklist, worklistItem } from './worklist/worklist.ts';
import { ReportDelivery } from './reports/report-delivery.ts';
import { LocalUsers } from './local-ui/local-users.ts';
import { buildLocalUi } from './local-ui/server.ts';
import type { ReportObjectKind, StudyMatch } from '../protocol/index.ts';

export interface AgentClinical {
  desk: RequestDesk;
  studies: StudyRegistry;
  outbox: MessageOutbox;
  inbox: MessageInbox;
  reports: ReportDelivery;
  /** The local page's address, when it runs. */
  uiUrl: string | undefined;
  classify(header: DicomHeader): Promise<Classification>;
  worklist(query: Record<string, unknown>): Record<string, unknown>[];
  matchOf(studyInstanceUid: string): StudyMatch | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function openClinical(
  config: AgentConfig,
  ports: { clock: Clock; random: () => number; log: Logger; alerts: AlertBook; version: string; client?: ChannelClient | undefined },
): Promise<AgentClinical> {
  const { clock, random, log, alerts } = ports;
  const c = config.clinical;
  const base = join(config.dataDir, 'clinical');
  const client =
    'client' in ports
      ? ports.client
      : config.hubUrl
        ? createChannelClient({ baseUrl: config.hubUrl, credential: config.credential ?? '', userAgent: `relais-agent/${ports.version}`, timeoutMs: config.upload.timeoutMs })
        : undefined;
  const retry = config.upload.retry;
  const outbox = new MessageOutbox({ dir: join(config.dataDir, 'channel', 'out'), clock, random, log, alerts, retry, client });
  const inbox = new MessageInbox({ dir: join(config.dataDir, 'channel', 'in'), clock, random, log, alerts, retry, client, waitMs: c.pollWaitMs, minIdlePollMs: 1_000 });
  await outbox.open();
  await inbox.open();
  const store = new AgentRequestStore(join(base, 'requests'), log);
  await store.open();
  const desk = new RequestDesk({ clock, log, store, outbox, accessions: new AccessionCounter(join(base, 'accession.json'), clock, c.accessionPrefix, c.zone) });
  await desk.recover();
  const lookup = (r: ReturnType<AgentRequestStore['get']>) => (r && r.status !== 'cancelled' ? { requestId: r.request.requestId, patient: r.request.patient } : undefined);
  const studies = new StudyRegistry({
    dir: join(base, 'studies'),
    clock,
    log,
    requests: {
      byStudyUid: (uid) => lookup(store.byStudyUid(uid)),
      byAccession: (acc) => lookup(store.byAccession(acc)),
      urgencyOf: (id) => store.get(id)?.request.urgency,
    },
    onMatched: (requestId, uid) => desk.linkStudy(requestId, uid),
    holdUnsolicited: c.unsolicited === 'hold',
  });
  await studies.open();
  let kinds: readonly ReportObjectKind[] = c.reportObjects;
  const reports = new ReportDelivery({
    dir: join(base, 'reports'),
    clock,
    random,
    log,
    alerts,
    retry,
    outbox,
    pacs: c.pacs,
    kinds: () => kinds,
    identityOf: (uid) => studies.get(uid)?.identity,
    onState: async (report, state) => {
      if (!report.requestId) return;
      await desk.setReport(report.requestId, report as never, { reportId: report.reportId, status: state === 'pending' ? 'delivering' : state });
    },
  });
  await reports.open();
  inbox.handle('protocol-answer', (m) => desk.applyAnswer(m.answer));
  inbox.handle('worklist-entry', (m) => desk.applyWorklistEntry(m.request, m.answer));
  inbox.handle('report', async (m) => {
    if (m.report.requestId && !store.get(m.report.requestId)) log.warn({ reportId: m.report.reportId }, 'reports: report for a request this agent does not hold');
    await reports.receive(m.report);
  });
  inbox.handle('config', async (m) => {
    if (m.settings.reportObjects) kinds = m.settings.reportObjects;
    log.info({ version: m.version, settings: Object.keys(m.settings) }, 'config: settings from the hub applied');
  });

  let ui: FastifyInstance | undefined;
  let uiUrl: string | undefined;
  return {
    desk,
    studies,
    outbox,
    inbox,
    reports,
    get uiUrl() {
      return uiUrl;
    },
    classify: (h) => studies.classify(h),
    worklist: (query) => (c.worklist ? findWorklist(desk.worklist().map((r) => worklistItem(r, c.zone)), query) : []),
    matchOf: (uid) => studies.matchOf(uid),
    async start() {
      outbox.start();
      inbox.start();
      reports.start();
      if (c.ui) {
        ui = await buildLocalUi({
          clock,
          log,
          users: new LocalUsers(config.dataDir),
          desk,
          studies,
          reports,
          lang: config.lang,
          zone: c.zone,
          defaultIssuer: c.patientIdIssuer,
          stations: c.stations,
          auditPath: join(config.dataDir, 'local-ui', 'audit.jsonl'),
        });
        uiUrl = await ui.listen({ host: c.ui.host, port: c.ui.port });
        log.info({ url: uiUrl }, 'local page ready');
      }
    },
    async stop() {
      await ui?.close();
      await Promise.all([outbox.stop(), inbox.stop(), reports.stop()]);
    },
  };
}
