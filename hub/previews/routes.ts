/**
 * Series previews at the hub (issue 4):
 * | PUT | /api/v1/studies/:study/series/:series/preview | agent   | SeriesPreviewUpload → SeriesPreviewAck (idempotent) |
 * | GET | /studies/:study/previews/:series.webp          | user, images:read | the series' primary image (middle key slice; brain window for CT) |
 * | GET | /studies/:study/previews/:series-:n.webp       | user, images:read | image n (0-based) of the series' preview |
 * | GET | /studies/:study                                | user page, images:read | previews as they arrive beside the study's transfer progress |
 * A preview may arrive before any instance of its study (it travels first). Every GET of an
 * image is audited (instances-accessed, action preview) before the bytes go.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HubError } from '../errors.ts';
import { agentOf, userOf } from '../auth/guard.ts';
import { AGENT, userMay } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';
import { assertValid } from '../../protocol/validate.ts';
import { SeriesPreviewUpload, type SeriesPreviewAck } from '../../protocol/preview.ts';
import { isWellFormedUid } from '../../lib/dicom/uid.ts';
import { PreviewStore, primaryImage } from './store.ts';
import { studyPreviewPage } from './page.ts';

/** `changed(study)`: a preview arrived (the caller pushes the study's live view). */
export function registerPreviews(app: FastifyInstance, ctx: HubContext, changed?: (studyInstanceUid: string) => void): PreviewStore {
  const store = new PreviewStore((uid) => ctx.indexes.dirOf(uid));
  const uids = (request: FastifyRequest, ...names: string[]) => {
    const p = request.params as Record<string, string>;
    for (const n of names) if (!isWellFormedUid(p[n] ?? '')) throw new HubError('RELAIS_BAD_REQUEST', `the URL does not carry a well-formed ${n} UID`);
    return p;
  };

  app.put('/api/v1/studies/:study/series/:series/preview', { config: { access: AGENT }, bodyLimit: 4 * 1024 * 1024 }, async (request) => {
    const agent = agentOf(request);
    const p = uids(request, 'study', 'series');
    const body = assertValid(SeriesPreviewUpload, request.body);
    if (body.studyInstanceUid !== p.study || body.seriesInstanceUid !== p.series) throw new HubError('RELAIS_BAD_REQUEST', 'the body names another study or series than the URL');
    await store.put(body);
    changed?.(body.studyInstanceUid);
    await ctx.audit.record({
      event: 'instances-transferred', action: 'preview', actor: { kind: 'agent', id: agent.agentId }, outcome: 'success',
      studyInstanceUid: body.studyInstanceUid, seriesInstanceUid: body.seriesInstanceUid, count: body.images.length,
    });
    const ack: SeriesPreviewAck = { studyInstanceUid: body.studyInstanceUid, seriesInstanceUid: body.seriesInstanceUid, images: body.images.length };
    return ack;
  });

  app.get('/studies/:study/previews/:file', { config: { access: userMay('images:read') } }, async (request: FastifyRequest, reply: FastifyReply) => {
    const { study, file } = request.params as { study: string; file: string };
    if (!isWellFormedUid(study)) throw new HubError('RELAIS_BAD_REQUEST', 'not a study UID');
    const m = /^([0-9.]{1,64}?)(?:-([0-9]{1,2}))?\.webp$/.exec(file);
    if (!m || !isWellFormedUid(m[1]!)) throw new HubError('RELAIS_NOT_FOUND', 'no such preview');
    const preview = await store.get(study, m[1]!);
    if (!preview) throw new HubError('RELAIS_NOT_FOUND', 'no preview for this series yet');
    const n = m[2] === undefined ? primaryImage(preview) : Number(m[2]);
    const image = preview.images[n];
    if (!image) throw new HubError('RELAIS_NOT_FOUND', 'no such preview image');
    const user = userOf(request);
    await ctx.audit.record({
      event: 'instances-accessed', action: 'preview', actor: { kind: 'user', id: user.userId, role: user.role }, outcome: 'success',
      ip: request.ip, studyInstanceUid: study, seriesInstanceUid: preview.seriesInstanceUid, count: 1,
    });
    const bytes = Buffer.from(image.webp, 'base64');
    return reply.type('image/webp').header('cache-control', 'private, max-age=60').header('content-length', bytes.length).send(bytes);
  });

  app.get('/studies/:study', { config: { access: userMay('images:read'), page: true } }, async (request, reply) => {
    const study = uids(request, 'study').study!;
    const record = await ctx.catalog.get(study);
    const previews = await store.list(study);
    if (!record && previews.length === 0) throw new HubError('RELAIS_NOT_FOUND', 'no such study');
    const lang = /(^|[?&])lang=en\b/.test(request.url.split('?')[1] ?? '') ? 'en' : 'fr';
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(studyPreviewPage(lang, study, record, previews));
  });
  return store;
}
