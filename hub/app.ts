/**
 * Builds the hub's fastify app from its dependencies, without listening (tests use `inject`,
 * or `listen({ port: 0 })` for socket.io). Composition: services (auth, ingest, fleet) over the
 * stores passed in, and the dispatch engine passed in started (its owner stops it after
 * `close()`); ingest opens each study's case (dispatch/study-cases.ts) and the catalog follows
 * the case; routes (health, sign-in, agent API, fleet, dispatch, DICOMweb, web pages), every one
 * declaring its access (deny by default, see auth/guard.ts); socket.io attached to app.server
 * for the live pages (/fleet, /dispatch). Errors answer ErrorBody with a stable code, never a
 * stack trace. Requests are logged without query strings (QIDO queries can carry patient attributes).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import { Server as SocketServer } from 'socket.io';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import { errorBody, type ErrorCode } from '../protocol/errors.ts';
import { ProtocolValidationError } from '../protocol/validate.ts';
import type { HealthStatus } from '../protocol/routes.ts';
import type { IdentityStore } from '../provisioning/identity-store.ts';
import { DEFAULT_HUB_OPTIONS, type HubOptions } from './options.ts';
import { HubError, storageError } from './errors.ts';
import type { HubContext } from './context.ts';
import type { AuditLog } from './audit/audit-log.ts';
import type { CatalogStore } from './catalog/store.ts';
import type { StudyIndexes } from './catalog/instance-index.ts';
import { ArchiveSweep } from './catalog/archive-sweep.ts';
import type { InstanceObjects } from './ingest/instance-objects.ts';
import { IngestService } from './ingest/ingest-service.ts';
import { registerIngest } from './ingest/routes.ts';
import { registerTusUploads } from './ingest/tus-uploads.ts';
import { Authenticator } from './auth/authenticator.ts';
import { SessionStore } from './auth/sessions.ts';
import { LoginThrottle } from './auth/throttle.ts';
import { installGuard, type RouteEntry } from './auth/guard.ts';
import { registerAuthRoutes } from './auth/routes.ts';
import { PUBLIC } from './auth/roles.ts';
import { FleetState } from './fleet/fleet-state.ts';
import { registerFleet } from './fleet/routes.ts';
import { attachFleetSocket } from './fleet/socket.ts';
import { registerQido } from './dicomweb/qido.ts';
import { registerWado } from './dicomweb/wado.ts';
import { registerPreviews } from './previews/routes.ts';
import { registerWeb, sendForbiddenPage, sendLoginPage } from './web/routes.ts';
import { registerViewer } from './viewer/routes.ts';
import { KeyedMutex } from './storage/keyed-mutex.ts';
import { openClinical, type ClinicalDeps, type HubClinical } from './outbox/clinical.ts';
import { registerChannelRoutes } from './outbox/routes.ts';
import { registerRequestRoutes } from './requests/routes.ts';
import { dispatchPortFor } from './requests/dispatch-port.ts';
import { agentSiteId } from '../provisioning/identity-schema.ts';
import type { DispatchEngine } from './dispatch/engine.ts';
import { dispatchRoutes, type DispatchPrincipal } from './dispatch/routes.ts';
import { StudyCases, studyCaseOf } from './dispatch/study-cases.ts';
import type { WebChannel } from './notify/channels/web.ts';
import type { Principal } from './auth/authenticator.ts';
import { admitSocket, recheckSockets } from './auth/socket-auth.ts';
import { DISPATCH_NAMESPACE } from '../protocol/dispatch.ts';
import type { TunnelBinding } from './tunnel/binding.ts';
import { checkSource } from './tunnel/source-check.ts';
import { registerTunnelRoutes } from './tunnel/routes.ts';
import { readingRoutes } from './reading/register.ts';
import { mayOpenCase } from './reading/access.ts';
import { installDicomwebCors } from './dicomweb/cors.ts';

export interface HubDeps {
  clock: Clock;
  logger: Logger;
  identities: IdentityStore;
  catalog: CatalogStore;
  audit: AuditLog;
  objects: InstanceObjects;
  indexes: StudyIndexes;
  /** The dispatch engine, started, and the live alert channel it was built with. */
  dispatch: HubDispatch;
  options?: Partial<HubOptions>;
  /** Hub software version reported by the health endpoint. */
  version?: string;
  /** The hub's WireGuard tunnel (agents accepted only from their own tunnel address). */
  tunnel?: TunnelBinding;
  /** The clinical loop (message channel, requests, reports); absent: those routes are not served. */
  clinical?: ClinicalDeps;
}

export interface HubDispatch {
  engine: DispatchEngine;
  webChannel: WebChannel;
}

/** The dispatch routes' view of a signed-in user (role and dispatch links). */
export function dispatchPrincipalOf(p: Principal | undefined): DispatchPrincipal | null {
  if (!p || p.kind !== 'user') return null;
  const d: DispatchPrincipal = { role: p.role, userId: p.userId };
  if (p.radiologistId) d.radiologistId = p.radiologistId;
  if (p.siteIds) d.siteIds = p.siteIds;
  return d;
}

export interface HubApp {
  app: FastifyInstance;
  io: SocketServer;
  context: HubContext;
  /** Every route with its declared access (the inventory the auth sweep test walks). */
  routes: RouteEntry[];
  archive: ArchiveSweep;
  /** The clinical loop's services (outbox, requests, reports), when enabled. */
  clinical: HubClinical | undefined;
  studyCases: StudyCases;
  /** Marks the hub as stopping (health says so, uploads get 503) and closes the app. */
  close(): Promise<void>;
}

export async function buildApp(deps: HubDeps): Promise<HubApp> {
  const options: HubOptions = { ...DEFAULT_HUB_OPTIONS, ...deps.options };
  const { clock, logger } = deps;
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // No overall request limit (a 2 GB study instance on a 4 Mbit/s link takes over an hour),
    // but a connection silent for idleTimeoutMs is dropped.
    requestTimeout: 0,
    connectionTimeout: options.idleTimeoutMs,
  });
  await app.register(cookie);

  const studyLocks = new KeyedMutex();
  const sessions = new SessionStore(clock, options.sessionIdleMs, options.sessionMaxMs);
  const auth = new Authenticator(deps.identities, sessions);
  const { engine } = deps.dispatch;
  let studyCases: StudyCases | undefined; // built next: it publishes through the fleet
  let previewsOf: ((uid: string) => string[] | undefined) | undefined; // set by registerPreviews (issue 4)
  const fleet = new FleetState({
    clock,
    identities: deps.identities,
    catalog: deps.catalog,
    thresholds: { staleAfterMs: options.staleAfterMs, offlineAfterMs: options.offlineAfterMs },
    caseOf: (uid) => studyCaseOf(studyCases?.summaryOf(uid)),
    previewsOf: (uid) => previewsOf?.(uid),
  });
  const clinical = deps.clinical
    ? await openClinical(
        {
          dispatch: dispatchPortFor(engine),
          siteOf: async (agentId) => {
            const agent = await deps.identities.getAgent(agentId);
            return agent ? agentSiteId(agent) : agentId;
          },
          ...deps.clinical,
        },
        {
          clock,
          logger,
          audit: deps.audit,
          catalog: deps.catalog,
          studyLocks,
          onStudyChanged: (uid) => {
            void deps.catalog.get(uid).then((s) => s && fleet.studyChanged(s));
          },
        },
      )
    : undefined;
  const cases = new StudyCases({
    clock,
    logger,
    engine,
    catalog: deps.catalog,
    identities: deps.identities,
    studyLocks,
    publish: (record) => fleet.studyChanged(record),
    // A study matched to an exam request joins the request's case (opened when it was asked).
    resolveCaseId: async (record) => (record.requestId && clinical?.requests.get(record.requestId) ? record.requestId : undefined),
  });
  studyCases = cases;
  const ingest = new IngestService({
    clock,
    logger,
    objects: deps.objects,
    indexes: deps.indexes,
    catalog: deps.catalog,
    audit: deps.audit,
    studyLocks,
    maxInstanceBytes: options.maxInstanceBytes,
    onStudyChanged: (s) => fleet.studyChanged(s),
    // Clinical first (links the study to its request), then dispatch (opens or joins the case).
    onStudyStored: async (e) => {
      await clinical?.requests.studyStored(e);
      await cases.studyStored(e);
    },
  });
  const context: HubContext = {
    clock,
    logger,
    options,
    identities: deps.identities,
    auth,
    throttle: new LoginThrottle(clock, options.loginMaxFailures, options.loginWindowMs),
    audit: deps.audit,
    catalog: deps.catalog,
    indexes: deps.indexes,
    objects: deps.objects,
    studyLocks,
    ingest,
    fleet,
    ...(deps.tunnel ? { tunnel: deps.tunnel } : {}),
    state: { status: 'ok' },
  };
  const archive = new ArchiveSweep({
    clock,
    logger,
    catalog: deps.catalog,
    studyLocks,
    statuses: options.archiveStatuses,
    afterMs: options.archiveAfterMs,
    everyMs: options.archiveSweepMs,
  });

  const tunnel = deps.tunnel;
  installDicomwebCors(app, options.dicomwebCorsOrigins); // before the guard: cross-origin DICOMweb is bearer-only
  const routes = installGuard(app, auth, deps.audit, tunnel ? (ip, access, principal) => checkSource(tunnel.directory(), ip, access, principal) : undefined);
  installErrorHandling(app, context);

  app.get('/api/v1/health', { config: { access: PUBLIC } }, async (): Promise<HealthStatus> => ({
    status: context.state.status,
    version: deps.version ?? '0.1.0',
    protocolVersion: PROTOCOL_VERSION,
  }));
  registerAuthRoutes(app, context);
  await registerIngest(app, context);
  const tusUploads = await registerTusUploads(app, context, { directory: deps.objects.uploadsDir, clock });
  registerFleet(app, context);
  registerTunnelRoutes(app, context);
  registerQido(app, context);
  registerWado(app, context);
  const previewStore = registerPreviews(app, context, (uid) => void deps.catalog.get(uid).then((s) => s && fleet.studyChanged(s))); // issue 4
  previewsOf = (uid) => previewStore.urlsOf(uid);
  registerWeb(app, context);
  registerViewer(app, context);
  const stopping = new AbortController();
  if (clinical) {
    registerChannelRoutes(app, context, { outbox: clinical.outbox, inbox: clinical.inbox, stopping: stopping.signal });
    registerRequestRoutes(app, context, { requests: clinical.requests, reports: clinical.reports, mayOpen: (u, id) => mayOpenCase(engine, u, engine.getCase(id)) });
  }

  // Issue 7, hub side: request answers, report editor and signature, reconciliation, acts.
  if (clinical && deps.clinical) await app.register(readingRoutes, { ctx: context, engine, clinical, studyCases: cases, dataDir: deps.clinical.dataDir });

  const io = new SocketServer(app.server, { serveClient: false, cors: undefined, maxHttpBufferSize: 64 * 1024 });
  const parseCookie = (header: string) => app.parseCookie(header);
  const detachFleet = attachFleetSocket(io, fleet, auth, parseCookie, { clock, recheckMs: options.socketRecheckMs });
  const anyUser = () => true;
  await app.register(dispatchRoutes, {
    engine,
    io,
    webChannel: deps.dispatch.webChannel,
    authenticate: async (request) => dispatchPrincipalOf(request.principal),
    authenticateSocket: async (socket) => {
      const a = await admitSocket(socket, auth, parseCookie, anyUser);
      if (!a.ok) throw new Error(a.code);
      return dispatchPrincipalOf(a.principal);
    },
  });
  const stopDispatchRecheck = recheckSockets(io.of(DISPATCH_NAMESPACE), auth, anyUser, clock, options.socketRecheckMs);
  app.addHook('preClose', (done) => {
    context.state.status = 'stopping';
    stopping.abort();
    io.local.disconnectSockets(true);
    done();
  });
  app.addHook('onClose', async () => {
    archive.stop();
    tusUploads.close();
    detachFleet();
    stopDispatchRecheck();
    cases.close();
    await cases.idle();
    fleet.close();
    await clinical?.close();
    await new Promise<void>((resolve) => io.close(() => resolve()));
  });
  await cases.recover();
  archive.start();
  await app.ready();

  return {
    app,
    io,
    context,
    routes,
    archive,
    clinical,
    studyCases: cases,
    async close() {
      context.state.status = 'stopping';
      await app.close();
    },
  };
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'RELAIS_BAD_REQUEST',
  404: 'RELAIS_NOT_FOUND',
  413: 'RELAIS_UPLOAD_TOO_LARGE',
  503: 'RELAIS_HUB_UNAVAILABLE',
};

function installErrorHandling(app: FastifyInstance, ctx: HubContext): void {
  app.addHook('onResponse', async (request, reply) => {
    const p = request.principal;
    ctx.logger.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unknown',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        who: p ? (p.kind === 'agent' ? `agent:${p.agentId}` : `user:${p.userId}`) : undefined,
      },
      'request',
    );
  });

  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send(errorBody('RELAIS_NOT_FOUND'));
  });

  app.setErrorHandler((raw: FastifyError | Error, request, reply) => {
    let err: HubError | undefined;
    let status: number;
    const mapped = storageError(raw);
    if (mapped instanceof HubError) err = mapped;
    else if (raw instanceof ProtocolValidationError) err = new HubError('RELAIS_PROTOCOL_INVALID_MESSAGE', raw.message, { errors: raw.errors });
    if (err) {
      status = err.httpStatus;
    } else {
      const fe = raw as FastifyError;
      const sc = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
      if (sc >= 400 && sc < 500) {
        const code = STATUS_CODES[sc] ?? 'RELAIS_BAD_REQUEST';
        status = sc;
        err = new HubError(code, request.routeOptions.config.access?.kind === 'agent' && sc === 400 ? `invalid message: ${fe.message}` : fe.message);
        if (sc === 400 && request.routeOptions.config.access?.kind === 'agent') err = new HubError('RELAIS_PROTOCOL_INVALID_MESSAGE', fe.message);
      } else {
        ctx.logger.error({ err: { message: raw.message, name: raw.name, code: (raw as NodeJS.ErrnoException).code }, route: request.routeOptions.url }, 'request failed');
        status = 500;
        err = new HubError('RELAIS_INTERNAL');
      }
    }
    if (!request.raw.complete) reply.header('connection', 'close');
    if (status === 401 && request.routeOptions.config.page) return sendLoginPage(request, reply, ctx, 401);
    if (status === 403 && request.routeOptions.config.page) return sendForbiddenPage(request, reply, ctx);
    if (status === 429 && err.code === 'RELAIS_AUTH_THROTTLED' && !reply.hasHeader('retry-after')) reply.header('retry-after', '60');
    return reply.code(status).type('application/json; charset=utf-8').send(err.body());
  });
}
