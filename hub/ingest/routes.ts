/**
 * Agent routes of the upload contract (protocol/upload.ts, protocol/routes.ts):
 * PUT /api/v1/instances/:sop (application/dicom body, streamed) and
 * POST /api/v1/studies/:study/manifest. Headers and bodies are validated here; the storage
 * rules are IngestService's. The DICOM body parser lives only in this plugin's scope.
 */
import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import { isWellFormedUid } from '../../lib/dicom/uid.ts';
import { UPLOAD_HEADERS, StudyManifest } from '../../protocol/upload.ts';
import { Urgency } from '../../protocol/common.ts';
import { HoldReason, RequestId } from '../../protocol/clinical.ts';
import { assertValid, check } from '../../protocol/validate.ts';
import { HubError } from '../errors.ts';
import { agentOf } from '../auth/guard.ts';
import { AGENT } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export async function registerIngest(app: FastifyInstance, ctx: HubContext): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser(['application/dicom', 'application/octet-stream'], (_req, payload, done) => done(null, payload));
    scope.put('/api/v1/instances/:sop', { config: { access: AGENT } }, async (request, reply) => {
      const agent = agentOf(request);
      if (ctx.state.status === 'stopping') throw new HubError('RELAIS_HUB_UNAVAILABLE');
      const { sop } = request.params as { sop: string };
      if (!isWellFormedUid(sop)) throw new HubError('RELAIS_BAD_REQUEST', 'the URL does not carry a well-formed SOP Instance UID');
      const sha256 = header(request.headers[UPLOAD_HEADERS.sha256])?.trim().toLowerCase();
      if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) {
        throw new HubError('RELAIS_PROTOCOL_INVALID_MESSAGE', `the ${UPLOAD_HEADERS.sha256} header must be the hex SHA-256 of the body`);
      }
      const urgency = header(request.headers[UPLOAD_HEADERS.urgency])?.trim() ?? 'scheduled';
      if (!check(Urgency, urgency)) throw new HubError('RELAIS_PROTOCOL_INVALID_MESSAGE', `the ${UPLOAD_HEADERS.urgency} header must be emergency, scheduled or deferred`);
      const studyUid = header(request.headers[UPLOAD_HEADERS.studyUid])?.trim();
      if (studyUid !== undefined && !isWellFormedUid(studyUid)) throw new HubError('RELAIS_PROTOCOL_INVALID_MESSAGE', `the ${UPLOAD_HEADERS.studyUid} header is not a UID`);
      const length = Number(request.headers['content-length'] ?? Number.NaN);
      if (Number.isFinite(length) && length > ctx.options.maxInstanceBytes) {
        throw new HubError('RELAIS_UPLOAD_TOO_LARGE', `instance larger than ${ctx.options.maxInstanceBytes} bytes`);
      }
      const requestId = header(request.headers[UPLOAD_HEADERS.requestId])?.trim();
      if (requestId !== undefined && !check(RequestId, requestId)) throw new HubError('RELAIS_PROTOCOL_INVALID_MESSAGE', `the ${UPLOAD_HEADERS.requestId} header is not a request id`);
      const holdRaw = header(request.headers[UPLOAD_HEADERS.hold])?.trim();
      const hold = holdRaw ? holdRaw.split(',').map((r) => r.trim()) : [];
      if (!hold.every((r) => check(HoldReason, r))) throw new HubError('RELAIS_PROTOCOL_INVALID_MESSAGE', `the ${UPLOAD_HEADERS.hold} header lists unknown reasons`);
      await ctx.ingest.assertMayWrite(agent.agentId, studyUid, request.ip);
      const body = (request.body as Readable | undefined) ?? request.raw;
      const out = await ctx.ingest.upload({
        agentId: agent.agentId,
        sopInstanceUid: sop,
        sha256,
        urgency,
        body,
        ip: request.ip,
        ...(studyUid ? { studyInstanceUid: studyUid } : {}),
        ...(requestId || hold.length > 0 ? { match: { requestId, hold } } : {}),
      });
      reply.code(out.httpStatus);
      return out.result;
    });
  });

  app.post('/api/v1/studies/:study/manifest', { config: { access: AGENT }, bodyLimit: ctx.options.maxJsonBytes }, async (request) => {
    const agent = agentOf(request);
    if (ctx.state.status === 'stopping') throw new HubError('RELAIS_HUB_UNAVAILABLE');
    const { study } = request.params as { study: string };
    const manifest = assertValid(StudyManifest, request.body);
    if (manifest.studyInstanceUid !== study) throw new HubError('RELAIS_PROTOCOL_INVALID_MESSAGE', 'the manifest is for another study than the URL');
    return ctx.ingest.manifest(agent.agentId, manifest, request.ip);
  });
}
