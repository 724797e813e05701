/**
 * The clinical pages and their routes (issue 7, hub side), in one encapsulated plugin so the
 * form-body parser stays theirs: request answers, report editor with signature and addenda,
 * reconciliation, acts. `buildApp` registers it when the clinical loop is enabled.
 */
import type { FastifyInstance } from 'fastify';
import type { HubContext } from '../context.ts';
import type { DispatchEngine } from '../dispatch/engine.ts';
import type { HubClinical } from '../outbox/clinical.ts';
import type { StudyCases } from '../dispatch/study-cases.ts';
import { acceptForms } from './html.ts';
import { registerRequestPages } from './request-routes.ts';

export interface ReadingDeps {
  ctx: HubContext;
  engine: DispatchEngine;
  clinical: HubClinical;
  studyCases: StudyCases;
  dataDir: string;
}

export async function readingRoutes(scope: FastifyInstance, deps: ReadingDeps): Promise<void> {
  acceptForms(scope);
  registerRequestPages(scope, deps.ctx, { engine: deps.engine, requests: deps.clinical.requests });
}
