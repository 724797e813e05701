/**
 * Dispatch HTTP routes and the `/dispatch` socket.io namespace, as a fastify plugin that
 * hub/app.ts registers: `app.register(dispatchRoutes, { engine, authenticate, io, ... })`.
 * Authentication is the host's: `authenticate(req)` returns who is calling (or null → 401).
 * Every route declares the permission it needs (`config.access`, hub/auth/roles.ts: the hub's
 * guard checks it before the route runs) and checks it again itself against the same table
 * (403 otherwise), then, for radiologists and clinicians, that the case or worklist is theirs
 * (not theirs answers 404). Errors are `ErrorBody` with a RELAIS_* code. The route table is
 * in protocol/dispatch.ts (DISPATCH_ROUTES). "Now" is the engine's clock.
 * Sockets: radiologists join `radiologist:<id>`, operators and admins `operators`, clinicians
 * `site:<siteId>`; the engine's web channel emits alerts into those rooms and every case
 * change is pushed as `case:update`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Server, Socket } from 'socket.io';
import type { TSchema } from '@sinclair/typebox';
import { errorBody, ERROR_CODES, type ErrorCode } from '../../protocol/errors.ts';
import { assertValid, ProtocolValidationError } from '../../protocol/validate.ts';
import {
  Agreement, Operator, PlannedPeriod, Radiologist, ReassignBody, Rota, RotaOverride, RoutingRule, ShiftPattern, Site, SwapBody, Team,
  DISPATCH_NAMESPACE, DISPATCH_ROUTES, type DispatchCase, type Rota as RotaT, type Text2,
} from '../../protocol/dispatch.ts';
import type { DispatchEngine } from './engine.ts';
import { DispatchError } from './engine.ts';
import { RotaInvalidError, nextOnCallChange, shiftsBetween, swapOverrides, type OnCall } from './rota/rota.ts';
import { RotaImportError, applyPublished } from './rota/published.ts';
import { csvToPublished, shiftsToCsv } from './rota/csv.ts';
import { icalToPublished, shiftsToIcal } from './rota/ical.ts';
import type { WebChannel } from '../notify/channels/web.ts';
import { roleMay, userMay, type Permission } from '../auth/roles.ts';
import type { OnCallAnswer, OnCallEntry } from '../../protocol/dispatch.ts';

export type DispatchRole = 'admin' | 'operator' | 'radiologist' | 'clinician';

export interface DispatchPrincipal {
  role: DispatchRole;
  userId: string;
  /** For radiologists: their id in the rota. */
  radiologistId?: string;
  /** For clinicians: the sites whose cases they follow. */
  siteIds?: string[];
}

export interface DispatchRoutesOptions {
  engine: DispatchEngine;
  authenticate: (req: FastifyRequest) => Promise<DispatchPrincipal | null>;
  /** socket.io server attached to the app's HTTP server; the `/dispatch` namespace is opened on it. */
  io?: Server;
  /** Null → RELAIS_AUTH_MISSING; a rejection with a `RELAIS_AUTH_*` message → that code. */
  authenticateSocket?: (socket: Socket) => Promise<DispatchPrincipal | null>;
  /** The engine's live channel, bound here to the namespace's rooms. */
  webChannel?: WebChannel;
  /** New ids (swaps); default: time-based. */
  newId?: () => string;
  /** Longest period served by a shifts export, default 92 days. */
  maxExportDays?: number;
}

const COLLECTIONS: Record<string, { key: keyof RotaT; schema: TSchema }> = {
  radiologists: { key: 'radiologists', schema: Radiologist },
  teams: { key: 'teams', schema: Team },
  sites: { key: 'sites', schema: Site },
  agreements: { key: 'agreements', schema: Agreement },
  rules: { key: 'rules', schema: RoutingRule },
  operators: { key: 'operators', schema: Operator },
  patterns: { key: 'patterns', schema: ShiftPattern },
  overrides: { key: 'overrides', schema: RotaOverride },
  planned: { key: 'planned', schema: PlannedPeriod },
};

class HttpError extends Error {
  constructor(readonly code: ErrorCode, message?: string, readonly details?: Record<string, unknown>) {
    super(message ?? ERROR_CODES[code].en);
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    dispatchPrincipal?: DispatchPrincipal;
  }
}

function principal(req: FastifyRequest): DispatchPrincipal {
  const p = req.dispatchPrincipal;
  if (!p) throw new HttpError('RELAIS_AUTH_MISSING');
  return p;
}

function allow(req: FastifyRequest, permission: Permission): DispatchPrincipal {
  const p = principal(req);
  if (!roleMay(p.role, permission)) throw new HttpError('RELAIS_AUTH_FORBIDDEN', `the role ${p.role} may not do this (${permission})`);
  return p;
}

/** A radiologist principal's rota id, or 403 with what to do. */
function ownRadiologist(p: DispatchPrincipal): string {
  if (!p.radiologistId) throw new HttpError('RELAIS_AUTH_FORBIDDEN', 'this account is not linked to a radiologist of the rota (relais provision user --radiologist-id)');
  return p.radiologistId;
}

/** Route options: the permission the hub's guard checks before the handler runs. */
const needs = (permission: Permission) => ({ config: { access: userMay(permission) } });

/** Collections operators may edit besides admins (night replacements). */
const OPERATOR_COLLECTIONS = new Set(['overrides']);

function instantParam(v: unknown, name: string, fallback?: number): number {
  if (v === undefined || v === '') {
    if (fallback === undefined) throw new HttpError('RELAIS_BAD_REQUEST', `${name} is required`);
    return fallback;
  }
  const t = Date.parse(String(v));
  if (Number.isNaN(t)) throw new HttpError('RELAIS_BAD_REQUEST', `${name} must be an ISO 8601 instant`);
  return t;
}

function lang(req: FastifyRequest): 'fr' | 'en' {
  const q = (req.query as { lang?: string }).lang;
  if (q === 'en' || q === 'fr') return q;
  return /^en\b/i.test(String(req.headers['accept-language'] ?? '')) ? 'en' : 'fr';
}

function canSeeCase(p: DispatchPrincipal, c: DispatchCase): boolean {
  if (p.role === 'admin' || p.role === 'operator') return true;
  if (p.role === 'radiologist') return !!p.radiologistId && (c.assignee === p.radiologistId || c.alerted.includes(p.radiologistId));
  return !!p.siteIds?.includes(c.siteId);
}

export async function dispatchRoutes(app: FastifyInstance, o: DispatchRoutesOptions): Promise<void> {
  const { engine } = o;
  let seq = 0;
  const newId = o.newId ?? (() => `sw-${engine.now().toString(36)}-${(seq++).toString(36)}`);
  const maxExportMs = (o.maxExportDays ?? 92) * 86_400_000;

  app.addContentTypeParser(['text/csv', 'text/calendar'], { parseAs: 'string', bodyLimit: 5 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err, req, reply) => {
    let code: ErrorCode = 'RELAIS_INTERNAL';
    let message: string | undefined;
    let details: Record<string, unknown> | undefined;
    const coded = err as { code?: unknown; details?: unknown };
    if (err instanceof HttpError) ({ code, message, details } = { code: err.code, message: err.message, details: err.details });
    else if (err instanceof DispatchError) ({ code, message } = { code: err.code, message: err.message });
    else if (err instanceof RotaInvalidError || err instanceof RotaImportError) ({ code, message, details } = { code: 'RELAIS_ROTA_INVALID', message: err.message, details: { problems: err.problems } });
    else if (err instanceof ProtocolValidationError) ({ code, message, details } = { code: 'RELAIS_PROTOCOL_INVALID_MESSAGE', message: err.message, details: { errors: err.errors } });
    else if (typeof coded.code === 'string' && coded.code in ERROR_CODES) {
      // The host's errors (its guard's 401/403/426, storage errors) keep their code.
      code = coded.code as ErrorCode;
      message = (err as Error).message;
      if (coded.details && typeof coded.details === 'object') details = coded.details as Record<string, unknown>;
    }
    else if ((err as { validation?: unknown }).validation || (err as { statusCode?: number }).statusCode === 400) ({ code, message } = { code: 'RELAIS_BAD_REQUEST', message: (err as Error).message });
    else if ((err as { statusCode?: number }).statusCode === 413) code = 'RELAIS_UPLOAD_TOO_LARGE';
    else req.log.error({ err: (err as Error).message }, 'dispatch route failed');
    void reply.code(ERROR_CODES[code].httpStatus).send(errorBody(code, message, details));
  });

  app.addHook('onRequest', async (req) => {
    const p = await o.authenticate(req);
    if (!p) throw new HttpError('RELAIS_AUTH_MISSING');
    req.dispatchPrincipal = p;
  });

  // ---- rota ---------------------------------------------------------------------------------

  app.get(DISPATCH_ROUTES.rota, needs('rota:read'), async (req) => {
    allow(req, 'rota:read');
    return engine.rota;
  });

  app.put(DISPATCH_ROUTES.rota, needs('rota:edit'), async (req) => {
    allow(req, 'rota:edit');
    await engine.setRota(assertValid(Rota, req.body));
    return engine.rota;
  });

  app.put<{ Params: { collection: string; id: string } }>('/api/v1/dispatch/rota/:collection/:id', needs('rota:override'), async (req) => {
    allow(req, OPERATOR_COLLECTIONS.has(req.params.collection) ? 'rota:override' : 'rota:edit');
    const col = COLLECTIONS[req.params.collection];
    if (!col) throw new HttpError('RELAIS_NOT_FOUND', 'unknown rota collection');
    const item = assertValid(col.schema, req.body) as { id: string };
    if (item.id !== req.params.id) throw new HttpError('RELAIS_BAD_REQUEST', 'the id in the path and the body differ');
    const rota = engine.rota;
    const list = rota[col.key] as Array<{ id: string }>;
    const i = list.findIndex((x) => x.id === item.id);
    if (i >= 0) list[i] = item;
    else list.push(item);
    await engine.setRota(rota);
    return item;
  });

  app.delete<{ Params: { collection: string; id: string } }>('/api/v1/dispatch/rota/:collection/:id', needs('rota:override'), async (req, reply) => {
    allow(req, OPERATOR_COLLECTIONS.has(req.params.collection) ? 'rota:override' : 'rota:edit');
    const col = COLLECTIONS[req.params.collection];
    if (!col) throw new HttpError('RELAIS_NOT_FOUND', 'unknown rota collection');
    const rota = engine.rota;
    const list = rota[col.key] as Array<{ id: string }>;
    const kept = list.filter((x) => x.id !== req.params.id);
    if (kept.length === list.length) throw new HttpError('RELAIS_NOT_FOUND');
    (rota as unknown as Record<string, unknown>)[col.key] = kept;
    await engine.setRota(rota); // refuses a delete that leaves dangling references
    return reply.code(204).send();
  });

  app.post(DISPATCH_ROUTES.swaps, needs('rota:override'), async (req) => {
    allow(req, 'rota:override');
    const body = assertValid(SwapBody, req.body);
    const rota = engine.rota;
    const added = swapOverrides(body, [newId(), newId()]);
    rota.overrides.push(...added);
    await engine.setRota(rota);
    return { overrides: added };
  });

  const exportWindow = (req: FastifyRequest) => {
    const q = req.query as { from?: string; to?: string };
    const from = instantParam(q.from, 'from');
    const to = instantParam(q.to, 'to');
    if (!(from < to) || to - from > maxExportMs) throw new HttpError('RELAIS_BAD_REQUEST', `from < to, at most ${o.maxExportDays ?? 92} days`);
    return { from, to };
  };

  const exportShifts = (req: FastifyRequest) => {
    const p = allow(req, 'rota:shifts');
    const q = req.query as { teamId?: string; radiologistId?: string };
    const { from, to } = exportWindow(req);
    let radiologistId = q.radiologistId;
    if (p.role === 'radiologist') {
      if (radiologistId && radiologistId !== p.radiologistId) throw new HttpError('RELAIS_AUTH_FORBIDDEN');
      radiologistId = ownRadiologist(p);
    }
    return shiftsBetween(engine.compiledRota, q.teamId, from, to).filter((s) => !radiologistId || s.radiologistId === radiologistId);
  };

  app.get(DISPATCH_ROUTES.shiftsCsv, needs('rota:shifts'), async (req, reply) => {
    const shifts = exportShifts(req);
    const sep = (req.query as { sep?: string }).sep === ';' ? ';' : ',';
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="rota.csv"').send(shiftsToCsv(engine.rota, shifts, sep));
  });

  app.get(DISPATCH_ROUTES.shiftsIcs, needs('rota:shifts'), async (req, reply) => {
    const shifts = exportShifts(req);
    return reply.type('text/calendar; charset=utf-8').header('content-disposition', 'attachment; filename="rota.ics"').send(shiftsToIcal(engine.rota, shifts, engine.now(), lang(req)));
  });

  const importWindow = (req: FastifyRequest) => {
    const q = req.query as { teamId?: string; from?: string; to?: string };
    if (!q.teamId) throw new HttpError('RELAIS_BAD_REQUEST', 'teamId is required');
    if (typeof req.body !== 'string') throw new HttpError('RELAIS_BAD_REQUEST', 'send the file as the request body');
    return { teamId: q.teamId, body: req.body, from: q.from, to: q.to };
  };

  app.post(DISPATCH_ROUTES.shiftsCsv, needs('rota:edit'), async (req) => {
    allow(req, 'rota:edit');
    const w = importWindow(req);
    const published = csvToPublished(engine.rota, w.body, {
      teamId: w.teamId,
      ...(w.from ? { from: instantParam(w.from, 'from') } : {}),
      ...(w.to ? { to: instantParam(w.to, 'to') } : {}),
    });
    await engine.setRota(applyPublished(engine.rota, published));
    return { teamId: published.teamId, from: new Date(published.from).toISOString(), to: new Date(published.to).toISOString(), shifts: published.shifts.length };
  });

  app.post(DISPATCH_ROUTES.shiftsIcs, needs('rota:edit'), async (req) => {
    allow(req, 'rota:edit');
    const w = importWindow(req);
    const published = icalToPublished(engine.rota, w.body, { teamId: w.teamId, from: instantParam(w.from, 'from'), to: instantParam(w.to, 'to') });
    await engine.setRota(applyPublished(engine.rota, published));
    return { teamId: published.teamId, from: new Date(published.from).toISOString(), to: new Date(published.to).toISOString(), shifts: published.shifts.length };
  });

  const onCallEntry = (x: OnCall): OnCallEntry => ({
    teamId: x.teamId, radiologistId: x.radiologistId, displayName: engine.directory.name(x.radiologistId), role: x.role,
    since: new Date(x.since).toISOString(), until: new Date(x.until).toISOString(), openCases: engine.openCases(x.radiologistId),
  });

  app.get(DISPATCH_ROUTES.onCall, needs('oncall:read'), async (req): Promise<OnCallAnswer> => {
    allow(req, 'oncall:read');
    const q = req.query as { at?: string; teamId?: string };
    const at = instantParam(q.at, 'at', engine.now());
    const teams = engine.rota.teams.filter((t) => !q.teamId || t.id === q.teamId);
    const next: OnCallAnswer['next'] = [];
    for (const t of teams) {
      const change = nextOnCallChange(engine.compiledRota, t.id, at);
      if (change) next.push({ teamId: t.id, at: new Date(change.at).toISOString(), onCall: change.onCall.map(onCallEntry) });
    }
    return { at: new Date(at).toISOString(), onCall: engine.onCallAt(at, q.teamId).map(onCallEntry), next };
  });

  app.get(DISPATCH_ROUTES.channels, needs('rota:read'), async (req) => {
    allow(req, 'rota:read');
    return { channels: engine.channels() };
  });

  // ---- cases ----------------------------------------------------------------------------------

  app.get(DISPATCH_ROUTES.worklist, needs('worklist:read'), async (req) => {
    const p = allow(req, 'worklist:read');
    const q = req.query as { radiologistId?: string };
    const id = p.role === 'radiologist' ? ownRadiologist(p) : q.radiologistId;
    if (!id) throw new HttpError('RELAIS_BAD_REQUEST', 'radiologistId is required');
    if (p.role === 'radiologist' && q.radiologistId && q.radiologistId !== id) throw new HttpError('RELAIS_AUTH_FORBIDDEN');
    return { items: engine.worklist(id) };
  });

  app.get(DISPATCH_ROUTES.cases, needs('cases:list'), async (req) => {
    allow(req, 'cases:list');
    const q = req.query as { state?: string; limit?: string };
    const limit = Math.min(100, Math.max(1, Number(q.limit ?? 100) || 100));
    const states = q.state ? q.state.split(',') : undefined;
    return { cases: engine.cases((c) => !states || states.includes(c.state)).slice(-limit).map((c) => engine.worklistItem(c)) };
  });

  const visibleCase = (req: FastifyRequest<{ Params: { caseId: string } }>) => {
    const p = allow(req, 'cases:follow');
    const c = engine.getCase(req.params.caseId);
    // Not found and not yours look the same (no probing of case ids).
    if (!c || !canSeeCase(p, c)) throw new HttpError('RELAIS_NOT_FOUND');
    return c;
  };

  app.get<{ Params: { caseId: string } }>('/api/v1/dispatch/cases/:caseId', needs('cases:follow'), async (req) => {
    const c = visibleCase(req);
    const p = principal(req);
    if (p.role === 'clinician') return engine.worklistItem(c);
    return c;
  });

  app.get<{ Params: { caseId: string } }>('/api/v1/dispatch/cases/:caseId/timeline', needs('cases:follow'), async (req) => {
    const c = visibleCase(req);
    const l = lang(req);
    return {
      caseId: c.caseId,
      reference: c.reference,
      timeline: c.timeline.map((e) => ({ at: e.at, type: e.type, actor: e.actor, text: (e.text as Text2)[l], ...(e.data ? { data: e.data } : {}) })),
    };
  });

  app.post<{ Params: { caseId: string } }>('/api/v1/dispatch/cases/:caseId/acknowledge', needs('cases:acknowledge'), async (req) => {
    const p = allow(req, 'cases:acknowledge');
    const radiologistId = ownRadiologist(p);
    visibleCase(req);
    const c = await engine.acknowledge(req.params.caseId, radiologistId);
    return engine.worklistItem(c);
  });

  app.post<{ Params: { caseId: string } }>('/api/v1/dispatch/cases/:caseId/reassign', needs('cases:assign'), async (req) => {
    const p = allow(req, 'cases:assign');
    const body = assertValid(ReassignBody, req.body);
    const c = await engine.reassign(req.params.caseId, body.radiologistId, { kind: 'operator', id: p.userId }, body.reason);
    return engine.worklistItem(c);
  });

  app.get(DISPATCH_ROUTES.counters, needs('cases:list'), async (req) => {
    allow(req, 'cases:list');
    return engine.counters();
  });

  // ---- socket.io --------------------------------------------------------------------------------

  if (o.io) {
    const nsp = o.io.of(DISPATCH_NAMESPACE);
    const authSocket = o.authenticateSocket;
    nsp.use((socket, next) => {
      if (!authSocket) return next(new Error('RELAIS_AUTH_MISSING'));
      authSocket(socket).then(
        (p) => {
          if (!p) return next(new Error('RELAIS_AUTH_MISSING'));
          socket.data.principal = p;
          next();
        },
        (err: Error) => next(new Error(/^RELAIS_AUTH_[A-Z]+$/.test(err.message) ? err.message : 'RELAIS_AUTH_INVALID')),
      );
    });
    nsp.on('connection', (socket) => {
      const p = socket.data.principal as DispatchPrincipal;
      if (p.role === 'radiologist' && p.radiologistId) void socket.join(`radiologist:${p.radiologistId}`);
      if (p.role === 'operator' || p.role === 'admin') void socket.join('operators');
      if (p.role === 'clinician') for (const s of p.siteIds ?? []) void socket.join(`site:${s}`);
      socket.on('worklist:get', (ack: unknown) => {
        if (typeof ack !== 'function') return;
        (ack as (items: unknown) => void)(p.role === 'radiologist' && p.radiologistId ? engine.worklist(p.radiologistId) : []);
      });
    });
    o.webChannel?.bind((room, event, payload) => {
      nsp.to(room).emit(event, payload);
    });
    const off = engine.onCase((c) => {
      const item = engine.worklistItem(c);
      nsp.to('operators').emit('case:update', item);
      for (const r of new Set([c.assignee, ...c.alerted].filter(Boolean) as string[])) nsp.to(`radiologist:${r}`).emit('case:update', item);
    });
    app.addHook('onClose', async () => {
      off();
    });
  }
}

/** Convenience for hosts that answer 401/403 themselves. */
export function sendError(reply: FastifyReply, code: ErrorCode, message?: string): FastifyReply {
  return reply.code(ERROR_CODES[code].httpStatus).send(errorBody(code, message));
}
