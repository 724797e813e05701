/**
 * WADO-RS retrieval for signed-in users: one instance, a series or a whole study, as
 * `multipart/related; type="application/dicom"` (one part per instance, streamed from disk,
 * the stored Part 10 file byte for byte), or a single instance as bare `application/dicom`
 * when that is what the client accepts. Stored transfer syntaxes are served as they are
 * (transfer-syntax=* or the stored one); asking for another answers 406 (transcoding comes
 * with compression). Each retrieval is audited (DCM 110103) before any byte is sent.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { partHeader, closingDelimiter } from '../../lib/multipart.ts';
import { HubError } from '../errors.ts';
import { userOf } from '../auth/guard.ts';
import { userMay } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';
import type { InstanceEntry } from '../catalog/instance-index.ts';
import { assertUid } from './qido.ts';
import { errorBody } from '../../protocol/errors.ts';

type Wanted = { kind: 'multipart'; transferSyntax: string } | { kind: 'single'; transferSyntax: string } | { kind: 'none' };

/** Reads the Accept header: the first acceptable DICOM representation. */
export function negotiate(accept: string | undefined, allowSingle: boolean): Wanted {
  if (!accept || accept.trim() === '') return { kind: 'multipart', transferSyntax: '*' };
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((s) => s.trim());
    const p = Object.fromEntries(params.map((x) => x.split('=').map((s) => s.trim().replace(/^"|"$/g, '')) as [string, string]));
    const ts = p['transfer-syntax'] ?? '*';
    const t = type.toLowerCase();
    if (t === '*/*' || t === 'multipart/*') return { kind: 'multipart', transferSyntax: '*' };
    if (t === 'multipart/related' && (!p.type || p.type.toLowerCase() === 'application/dicom')) return { kind: 'multipart', transferSyntax: ts };
    if (t === 'application/dicom' && allowSingle) return { kind: 'single', transferSyntax: ts };
  }
  return { kind: 'none' };
}

function notAcceptable(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(406).type('application/json').send(errorBody('RELAIS_BAD_REQUEST', message));
}

export function registerWado(app: FastifyInstance, ctx: HubContext): void {
  const access = userMay('images:read');

  async function entriesOf(study: string, series?: string, sop?: string): Promise<InstanceEntry[]> {
    const known = await ctx.catalog.get(study);
    if (!known) throw new HubError('RELAIS_NOT_FOUND', 'no such study');
    const entries = (await ctx.indexes.get(study)).instances(series).filter((e) => !sop || e.sopInstanceUid === sop);
    if (entries.length === 0) throw new HubError('RELAIS_NOT_FOUND', sop ? 'no such instance' : 'no such series');
    return entries;
  }

  async function retrieve(request: FastifyRequest, reply: FastifyReply, level: 'study' | 'series' | 'instance') {
    const user = userOf(request);
    const { study, series, sop } = request.params as { study: string; series?: string; sop?: string };
    assertUid(study, 'study');
    if (series !== undefined) assertUid(series, 'series');
    if (sop !== undefined) assertUid(sop, 'instance');
    const wanted = negotiate(request.headers.accept, level === 'instance');
    if (wanted.kind === 'none') return notAcceptable(reply, 'this resource is served as multipart/related; type="application/dicom"');
    const entries = await entriesOf(study, series, sop);
    if (wanted.transferSyntax !== '*' && entries.some((e) => e.transferSyntaxUid !== wanted.transferSyntax)) {
      return notAcceptable(reply, `stored in ${[...new Set(entries.map((e) => e.transferSyntaxUid))].join(', ')}; transcoding is not available yet (ask transfer-syntax=*)`);
    }
    for (const e of entries) {
      try {
        await stat(ctx.objects.pathOf(e.sha256));
      } catch {
        throw new HubError('RELAIS_STORAGE_IO', 'an instance file is missing from storage');
      }
    }
    const bytes = entries.reduce((n, e) => n + e.size, 0);
    await ctx.audit.record({
      event: 'instances-accessed', action: `wado-${level}`, actor: { kind: 'user', id: user.userId, role: user.role }, outcome: 'success',
      ip: request.ip, studyInstanceUid: study, ...(series ? { seriesInstanceUid: series } : {}), ...(sop ? { sopInstanceUid: sop } : {}),
      count: entries.length, bytes,
    });
    if (wanted.kind === 'single') {
      const e = entries[0]!;
      reply.type(`application/dicom; transfer-syntax=${e.transferSyntaxUid}`).header('content-length', e.size);
      return reply.send(createReadStream(ctx.objects.pathOf(e.sha256)));
    }
    const boundary = `relais-${randomBytes(12).toString('hex')}`;
    const objects = ctx.objects;
    async function* body(): AsyncGenerator<Buffer> {
      let first = true;
      for (const e of entries) {
        yield partHeader(boundary, { 'Content-Type': `application/dicom; transfer-syntax=${e.transferSyntaxUid}`, 'Content-Length': String(e.size) }, first);
        first = false;
        for await (const chunk of objects.openRead(e.sha256)) yield chunk as Buffer;
      }
      yield closingDelimiter(boundary);
    }
    reply.type(`multipart/related; type="application/dicom"; boundary=${boundary}`);
    return reply.send(Readable.from(body()));
  }

  app.get('/dicomweb/studies/:study', { config: { access } }, (req, reply) => retrieve(req, reply, 'study'));
  app.get('/dicomweb/studies/:study/series/:series', { config: { access } }, (req, reply) => retrieve(req, reply, 'series'));
  app.get('/dicomweb/studies/:study/series/:series/instances/:sop', { config: { access } }, (req, reply) => retrieve(req, reply, 'instance'));
}
