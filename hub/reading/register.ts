/**
 * The clinical pages and their routes (issue 7, hub side), in one encapsulated plugin so the
 * form-body parser stays theirs: request answers, report editor with signature and addenda,
 * the signer's settings, reconciliation, acts. `buildApp` registers it when the clinical loop
 * is enabled. Data: DATA/report-documents/, DATA/signing/.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { HubContext } from '../context.ts';
import type { DispatchEngine } from '../dispatch/engine.ts';
import type { HubClinical } from '../outbox/clinical.ts';
import type { StudyCases } from '../dispatch/study-cases.ts';
import { acceptForms } from './html.ts';
import { registerRequestPages } from './request-routes.ts';
import { registerReportPages } from './report-routes.ts';
import { registerSignaturePages } from './signature-routes.ts';
import { ReportDesk } from './report-desk.ts';
import { SigningCredentials } from './signing-credentials.ts';
import { Reconciler } from './reconcile.ts';
import { registerReconcilePages } from './reconcile-routes.ts';
import { registerActsPages } from './acts-routes.ts';

export interface ReadingDeps {
  ctx: HubContext;
  engine: DispatchEngine;
  clinical: HubClinical;
  studyCases: StudyCases;
  dataDir: string;
}

export async function readingRoutes(scope: FastifyInstance, deps: ReadingDeps): Promise<void> {
  const { ctx, engine, clinical, studyCases } = deps;
  acceptForms(scope);
  const credentials = new SigningCredentials(join(deps.dataDir, 'signing'));
  const desk = new ReportDesk({
    dir: join(deps.dataDir, 'report-documents'),
    clock: ctx.clock,
    logger: ctx.logger,
    audit: ctx.audit,
    catalog: ctx.catalog,
    reports: clinical.reports,
    credentials,
    note: async (uid, type, text, data) => {
      const caseId = studyCases.caseIdOf(uid);
      if (engine.hasCase(caseId)) await engine.note(caseId, type, { kind: 'system' }, text, data);
    },
  });
  await desk.recover();
  registerRequestPages(scope, ctx, { engine, requests: clinical.requests });
  registerReportPages(scope, ctx, { engine, caseIdOf: (uid) => studyCases.caseIdOf(uid), desk, reports: clinical.reports, credentials });
  registerSignaturePages(scope, ctx, credentials);
  const reconciler = new Reconciler({
    clock: ctx.clock, logger: ctx.logger, audit: ctx.audit, catalog: ctx.catalog, studyLocks: ctx.studyLocks,
    engine, cases: studyCases, requests: clinical.requests, onStudyChanged: (s) => ctx.fleet.studyChanged(s),
  });
  registerReconcilePages(scope, ctx, reconciler);
  registerActsPages(scope, ctx, { engine, reports: clinical.reports, dataDir: deps.dataDir });
}
