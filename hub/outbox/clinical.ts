/**
 * Composition of the hub's clinical loop over the message channel: the outbox (hub → agent),
 * the agent inbox (agent → hub) with a handler per message type, the exam requests and the
 * reports, under DATA/outbox, DATA/requests and DATA/reports. `buildApp` calls this when its
 * deps carry `clinical`; the API for other hub modules is the returned object:
 *
 *   clinical.outbox.enqueue(agentId, message, { id })   // any hub → agent message
 *   clinical.requests.onRequest(listener)               // a request arrived / changed / was answered
 *   clinical.reports.onReportDelivered(listener)        // the site confirmed a report in its PACS
 *   clinical.reports.send(input, by)                    // a signed report back to its site
 *   clinical.requests.answer(requestId, input, by)      // a protocol answer back to its site
 */
import { join } from 'node:path';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { CatalogStore } from '../catalog/store.ts';
import type { KeyedMutex } from '../storage/keyed-mutex.ts';
import { HubOutbox } from './hub-outbox.ts';
import { AgentInbox } from './agent-inbox.ts';
import { RequestStore } from '../requests/request-store.ts';
import { RequestService } from '../requests/request-service.ts';
import type { ClinicalDispatchPort } from '../requests/dispatch-port.ts';
import { ReportService } from '../reports/report-service.ts';

export interface ClinicalDeps {
  /** The hub's data directory. */
  dataDir: string;
  /** The dispatch engine's port, when dispatch is wired (hub/requests/dispatch-port.ts). */
  dispatch?: ClinicalDispatchPort;
  /** The site an agent serves (default: its id). */
  siteOf?: (agentId: string) => Promise<string>;
}

export interface HubClinical {
  outbox: HubOutbox;
  inbox: AgentInbox;
  requests: RequestService;
  reports: ReportService;
  close(): Promise<void>;
}

export async function openClinical(
  deps: ClinicalDeps,
  hub: { clock: Clock; logger: Logger; audit: AuditLog; catalog: CatalogStore; studyLocks: KeyedMutex; onStudyChanged: (uid: string) => void },
): Promise<HubClinical> {
  const { clock, logger, audit } = hub;
  const outbox = new HubOutbox({ dir: join(deps.dataDir, 'outbox'), clock, logger });
  const inbox = new AgentInbox({ dir: join(deps.dataDir, 'outbox'), logger });
  const store = await RequestStore.open(join(deps.dataDir, 'requests'), logger);
  const requests = new RequestService({ clock, logger, store, outbox, audit, dispatch: deps.dispatch, ...(deps.siteOf ? { siteOf: deps.siteOf } : {}) });
  const reports = new ReportService({ dir: join(deps.dataDir, 'reports'), clock, logger, catalog: hub.catalog, studyLocks: hub.studyLocks, outbox, audit, dispatch: deps.dispatch, onStudyChanged: hub.onStudyChanged });
  inbox.handle('exam-request', (agentId, m) => requests.received(agentId, m.request));
  inbox.handle('exam-request-cancel', (agentId, m) => requests.cancelled(agentId, m.requestId, m.reason, m.cancelledAt));
  inbox.handle('report-delivered', (agentId, m) => reports.delivered(agentId, m));
  inbox.handle('report-undeliverable', (agentId, m) => reports.undeliverable(agentId, m));
  await reports.open();
  await requests.recover();
  return {
    outbox,
    inbox,
    requests,
    reports,
    close: () => outbox.close(),
  };
}
