/**
 * Resumable instance uploads (protocol/resumable.ts): @tus/server with @tus/file-store under
 * DATA/uploads, mounted in the hub's fastify app behind the agent guard (bearer credential,
 * tunnel source, protocol version), and handing each finished upload to IngestService — the
 * same verification, storage and idempotency as the v1 PUT route.
 *
 * Contract:
 * - an upload id is `<agent key>-<random>`, the agent key being derived by the hub from the
 *   agent the guard authenticated (never from anything the client sends); HEAD / PATCH / DELETE / commit on
 *   an id whose key is not the caller's get 403 and a security audit record;
 * - creation validates the metadata (UIDs, SHA-256, urgency, request id, hold reasons), the
 *   announced length (maxInstanceBytes) and that the study is not another agent's;
 * - the data on disk is the durable offset the agent resumes from (FileStore: the file's size);
 * - when the last byte lands, the whole file is hashed by ingest and compared with the metadata
 *   SHA-256 before anything is visible; a mismatch drops the upload (422, retryable: the agent
 *   starts afresh), so does a permanent refusal (its code goes back: the agent quarantines);
 * - after a successful ingest the upload's files are removed; finished uploads the agent never
 *   committed (answer lost, hub killed during ingest) are settled by the commit route; stale
 *   incomplete uploads expire after `expireMs` (swept every hour).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Server as TusServer, type Upload } from '@tus/server';
import { FileStore } from '@tus/file-store';
import type { Clock, TimerHandle } from '../../lib/clock.ts';
import { isWellFormedUid } from '../../lib/dicom/uid.ts';
import { TUS_METADATA, TUS_ROUTES, TusUploadId, UploadCommit } from '../../protocol/resumable.ts';
import { Urgency } from '../../protocol/common.ts';
import { HoldReason, RequestId } from '../../protocol/clinical.ts';
import { errorBody, ERROR_CODES } from '../../protocol/errors.ts';
import type { UploadResult } from '../../protocol/upload.ts';
import { assertValid, check } from '../../protocol/validate.ts';
import { HubError } from '../errors.ts';
import { agentOf } from '../auth/guard.ts';
import { AGENT } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';

const HOUR = 3_600_000;

/** The 16-hex key that prefixes an agent's upload ids. */
export function agentUploadKey(agentId: string): string {
  return createHash('sha256').update(`relais-tus:${agentId}`).digest('hex').slice(0, 16);
}

interface TusMeta {
  sopInstanceUid: string;
  studyInstanceUid: string | undefined;
  sha256: string;
  urgency: Urgency;
  requestId: string | undefined;
  hold: string[];
}

function refusal(code: Parameters<typeof errorBody>[0], message?: string): { status_code: number; body: string } {
  const e = new HubError(code, message);
  return { status_code: e.httpStatus, body: JSON.stringify(e.body()) };
}

function toTusError(err: unknown): { status_code: number; body: string } {
  if (err instanceof HubError) return { status_code: err.httpStatus, body: JSON.stringify(err.body()) };
  const e = err as { status_code?: number; body?: string };
  if (typeof e?.status_code === 'number') return { status_code: e.status_code, body: e.body ?? '' };
  return refusal('RELAIS_INTERNAL');
}

function parseMeta(m: Record<string, string | null> | undefined): TusMeta {
  const get = (k: string) => {
    const v = m?.[k];
    return v === null || v === undefined || v === '' ? undefined : v.trim();
  };
  const sop = get(TUS_METADATA.sopInstanceUid);
  if (!sop || !isWellFormedUid(sop)) throw new HubError('RELAIS_PROTOCOL_INVALID_MESSAGE', 'upload metadata lacks a well-formed sopInstanceUid');
  const sha256 = get(TUS_METADATA.sha256)?.toLowerCase();
  if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) throw new HubError('RELAIS_PROTOCOL_INVALID_MESSAGE', 'upload metadata lacks the hex sha256 of the instance');
  const urgency = get(TUS_METADATA.urgency) ?? 'scheduled';
  if (!check(Urgency, urgency)) throw new HubError('RELAIS_PROTOCOL_INVALID_MESSAGE', 'upload metadata urgency must be emergency, scheduled or deferred');
  const study = get(TUS_METADATA.studyInstanceUid);
  if (study !== undefined && !isWellFormedUid(study)) throw new HubError('RELAIS_PROTOCOL_INVALID_MESSAGE', 'upload metadata studyInstanceUid is not a UID');
  const requestId = get(TUS_METADATA.requestId);
  if (requestId !== undefined && !check(RequestId, requestId)) throw new HubError('RELAIS_PROTOCOL_INVALID_MESSAGE', 'upload metadata requestId is not a request id');
  const hold = (get(TUS_METADATA.hold) ?? '').split(',').map((r) => r.trim()).filter((r) => r.length > 0);
  if (!hold.every((r) => check(HoldReason, r))) throw new HubError('RELAIS_PROTOCOL_INVALID_MESSAGE', 'upload metadata hold lists unknown reasons');
  return { sopInstanceUid: sop, studyInstanceUid: study, sha256, urgency, requestId, hold };
}

export interface TusUploads {
  /** Stops the expiry sweep. */
  close(): void;
}

export async function registerTusUploads(app: FastifyInstance, ctx: HubContext, opts: { directory: string; clock: Clock; expireMs?: number }): Promise<TusUploads> {
  const store = new FileStore({ directory: opts.directory, expirationPeriodInMilliseconds: opts.expireMs ?? 7 * 24 * HOUR });
  const uploadPath = (id: string) => join(opts.directory, id);
  /** The authenticated agent of each request handed to tus (keyed by node's request object). */
  const agents = new WeakMap<IncomingMessage, string>();
  const agentOfTus = (req: unknown): string => {
    const raw = (req as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
    const id = raw ? agents.get(raw) : undefined;
    if (!id) throw new HubError('RELAIS_AUTH_MISSING');
    return id;
  };

  /** Hands a complete upload to ingest; removes it once the instance is durable. */
  async function ingest(upload: Upload, agentId: string, ip: string | undefined): Promise<{ httpStatus: number; result: UploadResult }> {
    const meta = parseMeta(upload.metadata);
    try {
      const out = await ctx.ingest.upload({
        agentId,
        sopInstanceUid: meta.sopInstanceUid,
        sha256: meta.sha256,
        urgency: meta.urgency,
        body: createReadStream(uploadPath(upload.id), { highWaterMark: 1024 * 1024 }),
        ...(ip ? { ip } : {}),
        ...(meta.studyInstanceUid ? { studyInstanceUid: meta.studyInstanceUid } : {}),
        ...(meta.requestId || meta.hold.length > 0 ? { match: { requestId: meta.requestId, hold: meta.hold } } : {}),
      });
      await store.remove(upload.id).catch(() => {});
      return out;
    } catch (err) {
      // Bytes that do not hash right will never do so: drop them so the agent starts afresh.
      // Content refused for good: drop it too (the agent quarantines its copy).
      if (err instanceof HubError && (err.code === 'RELAIS_UPLOAD_HASH_MISMATCH' || !ERROR_CODES[err.code].retryable)) await store.remove(upload.id).catch(() => {});
      throw err;
    }
  }

  const tus = new TusServer({
    path: TUS_ROUTES.uploads,
    datastore: store,
    relativeLocation: true,
    maxSize: ctx.options.maxInstanceBytes,
    respectForwardedHeaders: false,
    namingFunction: (req) => `${agentUploadKey(agentOfTus(req))}-${randomBytes(16).toString('hex')}`,
    onUploadCreate: async (req, upload) => {
      try {
        const meta = parseMeta(upload.metadata);
        const agentId = agentOfTus(req);
        await ctx.ingest.assertMayWrite(agentId, meta.studyInstanceUid);
        if (ctx.state.status === 'stopping') throw new HubError('RELAIS_HUB_UNAVAILABLE');
      } catch (err) {
        throw toTusError(err);
      }
      return {};
    },
    onUploadFinish: async (req, upload) => {
      try {
        const out = await ingest(upload, agentOfTus(req), undefined);
        return {
          status_code: req.method === 'POST' ? 201 : 200,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify(out.result),
        };
      } catch (err) {
        ctx.logger.warn({ uploadId: upload.id, code: (err as HubError).code, err: (err as Error).message }, 'tus: finished upload refused by ingest');
        throw toTusError(err);
      }
    },
    onResponseError: (_req, err) => toTusError(err),
  });

  async function ownUpload(request: FastifyRequest, id: string): Promise<void> {
    const agent = agentOf(request);
    if (!check(TusUploadId, id)) throw new HubError('RELAIS_NOT_FOUND', 'no such upload');
    if (id.slice(0, 16) !== agentUploadKey(agent.agentId)) {
      await ctx.audit.record({
        event: 'security-alert', action: 'resume-foreign-upload', actor: { kind: 'agent', id: agent.agentId },
        outcome: 'failure', result: 'RELAIS_AUTH_FORBIDDEN', ip: request.ip,
      });
      throw new HubError('RELAIS_AUTH_FORBIDDEN', 'this upload was created by another agent');
    }
  }

  await app.register(async (scope) => {
    // tus bodies are read by @tus/server itself, streamed to the file store.
    scope.addContentTypeParser('application/offset+octet-stream', (_req, _payload, done) => done(null));
    const handle = async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
      const agent = agentOf(request);
      const { id } = (request.params ?? {}) as { id?: string };
      if (id !== undefined) await ownUpload(request, id);
      else if (ctx.state.status === 'stopping') throw new HubError('RELAIS_HUB_UNAVAILABLE');
      agents.set(request.raw, agent.agentId);
      reply.hijack();
      await tus.handle(request.raw, reply.raw);
    };
    scope.route({ method: ['POST'], url: TUS_ROUTES.uploads, config: { access: AGENT }, handler: handle });
    scope.route({ method: ['HEAD', 'PATCH', 'DELETE'], url: `${TUS_ROUTES.uploads}/:id`, config: { access: AGENT }, exposeHeadRoute: false, handler: handle });
  });

  app.post(`${TUS_ROUTES.uploads}/:id/commit`, { config: { access: AGENT }, bodyLimit: 16 * 1024 }, async (request, reply) => {
    const agent = agentOf(request);
    const { id } = request.params as { id: string };
    await ownUpload(request, id);
    if (ctx.state.status === 'stopping') throw new HubError('RELAIS_HUB_UNAVAILABLE');
    const claim = assertValid(UploadCommit, request.body);
    let upload: Upload | undefined;
    try {
      upload = await store.getUpload(id);
    } catch {
      upload = undefined;
    }
    if (upload) {
      const meta = parseMeta(upload.metadata);
      if (meta.sopInstanceUid !== claim.sopInstanceUid || meta.sha256 !== claim.sha256) throw new HubError('RELAIS_PROTOCOL_INVALID_MESSAGE', 'this upload carries another instance');
      if (upload.size === undefined || upload.offset < upload.size) {
        reply.code(409);
        return errorBody('RELAIS_BAD_REQUEST', `upload incomplete (${upload.offset} of ${upload.size ?? '?'} bytes)`, { offset: upload.offset });
      }
      const out = await ingest(upload, agent.agentId, request.ip);
      reply.code(out.httpStatus);
      return out.result;
    }
    // Gone: ingested and removed (the answer was lost), or never there.
    if (claim.studyInstanceUid) {
      const study = await ctx.catalog.get(claim.studyInstanceUid);
      if (study && study.agentId === agent.agentId) {
        const index = await ctx.indexes.get(claim.studyInstanceUid);
        const same = index.findVersion(claim.sopInstanceUid, claim.sha256);
        if (same) {
          const result: UploadResult = { status: 'duplicate', sopInstanceUid: claim.sopInstanceUid, studyInstanceUid: claim.studyInstanceUid, sha256: same.sha256, version: same.version, storedAt: same.storedAt };
          return result;
        }
      }
    }
    throw new HubError('RELAIS_NOT_FOUND', 'no such upload');
  });

  let timer: TimerHandle | undefined;
  const sweep = () => {
    timer = opts.clock.setTimeout(() => {
      store.deleteExpired().then(
        (n) => n > 0 && ctx.logger.info({ removed: n }, 'tus: expired incomplete uploads removed'),
        (err: Error) => ctx.logger.warn({ err: err.message }, 'tus: expiry sweep failed'),
      ).finally(sweep);
    }, HOUR);
  };
  sweep();
  return {
    close() {
      opts.clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
